import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore, WrongExpectedRevisionError, type NewEvent } from '@permit-ledger/event-store';
import { loadConfig } from '../config/config.js';
import { ProblemException } from '../http/problem.js';
import { CommandRunner, type CommandMeta } from './command-runner.js';

const meta = (extra: Partial<CommandMeta> = {}): CommandMeta => ({
  actor: { id: 'officer-1', role: 'officer' },
  effectiveAt: '2020-01-01T00:00:00.000Z',
  ...extra,
});

const otherWriter = (n: number): NewEvent => ({
  eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  type: 'PermitReviewFindingRecorded',
  schemaVersion: 1,
  data: { n },
  metadata: { effectiveAt: '2020-01-01T00:00:00.000Z', actor: { id: 'other', role: 'officer' }, commandId: `c${n}`, correlationId: `c${n}`, causationId: null },
});

describe('CommandRunner on a real store, with another writer racing it', () => {
  let dir: string;
  let store: SqliteEventStore;
  let runner: CommandRunner;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'runner-'));
    store = SqliteEventStore.open({ file: join(dir, 'events.sqlite') });
    runner = new CommandRunner(store, loadConfig({ DATA_DIR: dir, AUTH_JWT_SECRET: 'x'.repeat(32), COMMAND_CONFLICT_RETRIES: '3' }));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A decide function that lets another writer append to the stream `times` times before it answers. */
  function racingDecide(times: number) {
    let calls = 0;
    const decide = async (history: { revision: number }[]) => {
      calls++;
      if (calls <= times) await store.append('permit-X', [otherWriter(calls)], { expectedRevision: 'any' });
      return [{ type: 'PermitReviewFindingRecorded', data: { seen: history.length } }];
    };
    return { decide, calls: () => calls };
  }

  it('decides again on the new state after a conflict, and appends once', async () => {
    const race = racingDecide(1);
    const result = await runner.run({ stream: 'permit-X', meta: meta(), decide: race.decide });
    expect(race.calls()).toBe(2);
    expect(result.revision).toBe(1);
    expect(result.events[0].data).toEqual({ seen: 1 });
  });

  it('gives up after the configured retries with the conflict, writing nothing of its own', async () => {
    const race = racingDecide(10);
    await expect(runner.run({ stream: 'permit-X', meta: meta(), decide: race.decide })).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    expect(race.calls()).toBe(4);
    const events = await store.readStream('permit-X');
    expect(events.every((e) => e.metadata.actor.id === 'other')).toBe(true);
  });

  it('never retries under If-Match: the conflict is a 412', async () => {
    const race = racingDecide(1);
    const error = await runner.run({ stream: 'permit-X', meta: meta({ ifMatch: -1 }), decide: race.decide }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProblemException);
    expect((error as ProblemException).problem.status).toBe(412);
    expect(race.calls()).toBe(1);
  });

  it('runs commands on one stream one at a time, so none of them conflicts', async () => {
    const results = await Promise.all(
      Array.from({ length: 30 }, () =>
        runner.run({ stream: 'permit-Y', meta: meta(), decide: (h) => [{ type: 'PermitReviewFindingRecorded', data: { seen: h.length } }] }),
      ),
    );
    expect(results.map((r) => r.revision).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });
});
