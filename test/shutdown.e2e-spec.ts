import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, germanPermit, Service } from './support/service.js';

describe('graceful shutdown on SIGTERM under load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'permit-ledger-term-'));
  let service: Service;
  afterAll(async () => {
    await service.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finishes the requests in flight, exits 0, and loses no acknowledged command', async () => {
    service = new Service(dir, await freePort());
    await service.start();
    const acknowledged: string[] = [];
    let stop = false;
    let n = 0;
    // 16 writers on keep-alive connections, until the service stops answering.
    const writers = Array.from({ length: 16 }, async () => {
      while (!stop) {
        const permitNumber = `EXP-22-${String(n++).padStart(6, '0')}`;
        try {
          const res = await service.call('POST', '/permits', 'officer', germanPermit(permitNumber));
          if (res.status === 201) acknowledged.push(permitNumber);
        } catch {
          return; // connection refused or closed: the service has stopped taking requests
        }
      }
    });
    await new Promise((r) => setTimeout(r, 800));
    const exit = service.terminate();
    await new Promise((r) => setTimeout(r, 1500));
    stop = true;
    await Promise.all(writers);
    const { code, output } = await exit;
    expect({ code, shutdownLogged: /no longer accepting requests/.test(output) }).toEqual({ code: 0, shutdownLogged: true });
    expect(acknowledged.length).toBeGreaterThan(50);
    process.stdout.write(`SIGTERM under load: ${acknowledged.length} acknowledged commands\n`);

    await service.start();
    const head = await service.call('GET', '/permits?limit=1', 'viewer');
    expect(head.status).toBe(200);
    const missing: string[] = [];
    for (let i = 0; i < acknowledged.length; i += 50) {
      const answers = await Promise.all(acknowledged.slice(i, i + 50).map((p) => service.call('GET', `/permits/${p}`, 'viewer')));
      answers.forEach((a, k) => a.status !== 200 && missing.push(acknowledged[i + k]));
    }
    expect(missing).toEqual([]);
    const verify = await service.call('GET', '/ledger/verify', 'auditor');
    expect(verify.body).toMatchObject({ valid: true, unanchored: 0 });
  });
});
