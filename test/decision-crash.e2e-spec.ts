import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, germanPermit, Service } from './support/service.js';

const N = 500;
const permitNumber = (i: number) => `EXP-21-${String(i).padStart(6, '0')}`;

describe('a 500-permit decision survives SIGKILL half-way', () => {
  let dir: string;
  let service: Service;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'permit-ledger-crash-'));
    service = new Service(dir, await freePort());
    await service.start();
    for (let i = 0; i < N; i += 50) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, k) => service.call('POST', '/permits', 'officer', germanPermit(permitNumber(i + k)))),
      );
      expect(answers.every((a) => a.status === 201)).toBe(true);
    }
  });
  afterAll(async () => {
    await service.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  const decision = (decisionRef: string, action: string, effectiveAt: string) =>
    service.call('POST', '/decisions', 'minister', {
      decisionRef,
      action,
      selector: { destination: 'DE' },
      reason: 'test decision',
      legalBasis: 'EIPA s.10(1)',
      effectiveAt,
    });

  it('carries out an uninterrupted 500-permit decision', async () => {
    const started = performance.now();
    expect((await decision('SUSPEND-DE', 'suspend', '2022-01-01')).status).toBe(202);
    let body: any;
    do {
      body = (await service.call('GET', '/decisions/SUSPEND-DE', 'auditor')).body;
    } while (body.status !== 'COMPLETED');
    const ms = performance.now() - started;
    process.stdout.write(`500-permit decision: ${ms.toFixed(0)} ms from POST to COMPLETED\n`);
    expect(body.applied).toHaveLength(N);
  });

  it('finishes after a restart, with every target applied exactly once', async () => {
    expect((await decision('CANCEL-DE', 'cancel', '2022-02-01')).status).toBe(202);
    // Kill as soon as the process manager is under way, and before it has finished.
    let applied: number;
    for (;;) {
      const body = (await service.call('GET', '/decisions/CANCEL-DE', 'auditor')).body;
      applied = body.applied.length;
      if (applied > 0 || body.status === 'COMPLETED') break;
    }
    await service.kill();
    expect(applied).toBeLessThan(N);
    process.stdout.write(`SIGKILL after ${applied} of ${N} outcomes were recorded\n`);

    await service.start();
    let body: any;
    for (let i = 0; i < 600; i++) {
      body = (await service.call('GET', '/decisions/CANCEL-DE', 'auditor')).body;
      if (body.status === 'COMPLETED') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(body.status).toBe('COMPLETED');
    expect(body.applied).toHaveLength(N);
    expect(body.skipped).toEqual([]);
    expect(body.failed).toEqual([]);

    for (let i = 0; i < N; i += 50) {
      const histories = await Promise.all(
        Array.from({ length: 50 }, (_, k) => service.call('GET', `/permits/${permitNumber(i + k)}/history`, 'auditor')),
      );
      for (const h of histories) {
        const carrying = h.body.events.filter((e: { decisionRef: string | null }) => e.decisionRef === 'CANCEL-DE');
        expect(carrying.map((e: { type: string }) => e.type)).toEqual(['PermitCancelled']);
      }
    }
  });
});
