import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '@permit-ledger/esdb-test-server';
import { CLI, freePort, germanPermit, Service } from './support/service.js';

const WRITERS = 32;
const SEED = Number(process.env.CRASH_SEED ?? 20201005);
const permitNumber = (w: number, k: number) => `CRASH-${String(w).padStart(2, '0')}-${String(k).padStart(4, '0')}`;

interface Ack {
  permitNumber: string;
  eventIds: string[];
  revision: number;
  position: number;
}

describe('32 writers over HTTP, SIGKILL at a random moment, restart', () => {
  let dir: string;
  let service: Service;
  const acks: Ack[] = [];
  const touched = new Set<string>();
  let killAfterMs = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'permit-ledger-reliability-'));
    service = new Service(dir, await freePort(), { RATE_LIMIT_PER_MINUTE: '1000000' });
    await service.start();
  });
  afterAll(async () => {
    await service.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged command across the SIGKILL', async () => {
    const random = mulberry32(SEED); // the kill moment is random but reproducible from CRASH_SEED
    killAfterMs = 300 + Math.floor(random() * 1700); // between 0.3 s and 2 s of load
    let killed = false;
    const writer = async (w: number) => {
      // Each writer: issue a permit, then suspend / reinstate it in turn, then the next permit.
      for (let k = 0; !killed; k++) {
        const n = permitNumber(w, k);
        for (let step = 0; step < 4 && !killed; step++) {
          const [path, body] =
            step === 0
              ? ['/permits', germanPermit(n)]
              : [
                  `/permits/${n}/${step % 2 ? 'suspend' : 'reinstate'}`,
                  { reason: `step ${step}`, legalBasis: 'EIPA s.10(1)', effectiveAt: '2021-06-01' },
                ];
          touched.add(n);
          let answer;
          try {
            answer = await service.call('POST', path, step === 0 ? 'officer' : 'minister', body);
          } catch {
            return; // the connection died with the process: this command is not acknowledged
          }
          if (answer.status !== 200 && answer.status !== 201) {
            if (killed) return;
            throw new Error(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
          }
          acks.push({
            permitNumber: n,
            eventIds: answer.body.events.map((e: { eventId: string }) => e.eventId),
            revision: answer.body.revision,
            position: answer.body.position,
          });
        }
      }
    };
    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
    await new Promise((r) => setTimeout(r, killAfterMs));
    killed = true;
    await service.kill();
    await Promise.all(writers);
    process.stdout.write(`SIGKILL after ${killAfterMs} ms (seed ${SEED}): ${acks.length} commands acknowledged\n`);
    expect(acks.length).toBeGreaterThan(0);

    await service.start();
    const byPermit = new Map<string, Ack[]>();
    for (const a of acks) byPermit.set(a.permitNumber, [...(byPermit.get(a.permitNumber) ?? []), a]);
    for (const [n, list] of byPermit) {
      const history = await service.call('GET', `/permits/${n}/history`, 'auditor');
      expect(history.status).toBe(200);
      const events = history.body.events as { eventId: string; revision: number; position: number }[];
      // Contiguous revisions; a command that committed but was not acknowledged may follow the last ack.
      expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => i));
      const stored = new Map(events.map((e) => [e.eventId, e]));
      for (const a of list) {
        for (const id of a.eventIds) expect(stored.get(id)).toMatchObject({ revision: a.revision, position: a.position });
      }
    }
  });

  /** Every permit's row in the status read model against a fold of its own events. */
  async function readModelsMatchTheLog(): Promise<Record<string, string>> {
    const statuses: Record<string, string> = {};
    for (const n of touched) {
      const history = await service.call('GET', `/permits/${n}/history`, 'auditor');
      if (history.status === 404) continue; // never committed
      const last = history.body.events.at(-1);
      const [row, folded] = await Promise.all([
        service.call('GET', `/permits/${n}`, 'auditor', undefined, { 'X-Min-Position': String(last.position) }),
        service.call('GET', `/permits/${n}/state`, 'auditor'),
      ]);
      expect(row.status).toBe(200);
      expect(folded.status).toBe(200);
      expect({ n, status: row.body.status, revision: row.body.revision }).toEqual({
        n,
        status: folded.body.status,
        revision: last.revision,
      });
      statuses[n] = row.body.status;
    }
    return statuses;
  }

  it('converges the read models to the log, and permit-cli rebuild gives the same rows', async () => {
    const live = await readModelsMatchTheLog();
    expect(Object.keys(live).length).toBeGreaterThan(0);
    await service.kill();
    const cli = spawnSync(process.execPath, [CLI, 'rebuild'], { env: service.env(), encoding: 'utf8' });
    expect(cli.status).toBe(0);
    await service.start();
    expect(await readModelsMatchTheLog()).toEqual(live);
  });
});
