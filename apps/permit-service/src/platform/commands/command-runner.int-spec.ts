import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore, StoreUnavailableError, WrongExpectedRevisionError, type NewEvent } from '@permit-ledger/event-store';
import { loadConfig } from '@permit-ledger/config';
import { ApplicationError } from '../errors/application-error.js';
import { toProblem } from '../errors/problem.filter.js';
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

  /** Lets another writer append to the stream, between the runner's read and its append, `times` times. */
  function racing(times: number) {
    let calls = 0;
    let decided = 0;
    const racingStore = Object.create(store) as SqliteEventStore;
    racingStore.append = async (stream, events, options) => {
      if (calls++ < times) await store.append(stream, [otherWriter(calls)], { expectedRevision: 'any' });
      return store.append(stream, events, options);
    };
    const decide = (history: { revision: number }[]) => {
      decided++;
      return [{ type: 'PermitReviewFindingRecorded', data: { seen: history.length } }];
    };
    const config = loadConfig({ DATA_DIR: dir, AUTH_JWT_SECRET: 'x'.repeat(32), COMMAND_CONFLICT_RETRIES: '3' });
    return { runner: new CommandRunner(racingStore, config), decide, calls: () => decided };
  }

  it('decides again on the new state after a conflict, and appends once', async () => {
    const race = racing(1);
    const result = await race.runner.run({ stream: 'permit-X', meta: meta(), decide: race.decide });
    expect(race.calls()).toBe(2);
    expect(result.revision).toBe(1);
    expect(result.events[0].data).toEqual({ seen: 1 });
  });

  it('gives up after the configured retries with the conflict, writing nothing of its own', async () => {
    const race = racing(10);
    await expect(race.runner.run({ stream: 'permit-X', meta: meta(), decide: race.decide })).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    expect(race.calls()).toBe(4);
    const events = await store.readStream('permit-X');
    expect(events.every((e) => e.metadata.actor.id === 'other')).toBe(true);
  });

  it('never retries under If-Match: the conflict is a 412', async () => {
    const race = racing(1);
    const error = await race.runner.run({ stream: 'permit-X', meta: meta({ ifMatch: -1 }), decide: race.decide }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationError);
    expect(toProblem(error).problem.status).toBe(412);
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

  describe('Idempotency-Key, scoped to the caller and the stream', () => {
    const finding = (h: { length: number }) => [{ type: 'PermitReviewFindingRecorded', data: { seen: h.length } }];
    const keyed = (caller: string, key: string, hash: string, executor?: string): CommandMeta =>
      meta({ actor: { id: caller, role: 'officer', ...(executor ? { executor } : {}) }, idempotencyKey: key, requestHash: hash });

    it('answers a retry with the first answer and writes nothing, even from another runner (another replica)', async () => {
      const first = await runner.run({ stream: 'permit-K', meta: keyed('officer-1', 'k', 'h'), decide: finding });
      const replica = new CommandRunner(store, loadConfig({ DATA_DIR: dir, AUTH_JWT_SECRET: 'x'.repeat(32) }));
      const again = await replica.run({ stream: 'permit-K', meta: keyed('officer-1', 'k', 'h'), decide: finding });
      expect(again).toEqual({ ...first, replayed: true });
      expect(await store.readStream('permit-K')).toHaveLength(1);
      expect(first.events[0].metadata.idempotency).toEqual({ key: 'k', caller: 'officer-1', requestHash: 'h' });
    });

    it('refuses the same key with another body (422) and writes nothing', async () => {
      await runner.run({ stream: 'permit-K', meta: keyed('officer-1', 'k', 'h1'), decide: finding });
      const error = await runner.run({ stream: 'permit-K', meta: keyed('officer-1', 'k', 'h2'), decide: finding }).catch((e: unknown) => e);
      expect(toProblem(error).problem).toMatchObject({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
      expect(await store.readStream('permit-K')).toHaveLength(1);
    });

    it("keeps callers apart: another caller's same key and body is its own command", async () => {
      const a = await runner.run({ stream: 'permit-K', meta: keyed('officer-1', 'k', 'h'), decide: finding });
      const b = await runner.run({ stream: 'permit-K', meta: keyed('officer-2', 'k', 'h'), decide: finding });
      expect(b.replayed).toBe(false);
      expect(b.revision).toBe(a.revision + 1);
      expect(b.events[0].metadata.actor.id).toBe('officer-2');
      // A process acting for a caller owns its keys apart from that caller.
      const processed = await runner.run({ stream: 'permit-K', meta: keyed('officer-1', 'k', 'h', 'decision-process-manager'), decide: finding });
      expect(processed.replayed).toBe(false);
    });

    it('keeps streams apart: the same key on another stream is another command', async () => {
      await runner.run({ stream: 'permit-K', meta: keyed('officer-1', 'k', 'h1'), decide: finding });
      const elsewhere = await runner.run({ stream: 'permit-L', meta: keyed('officer-1', 'k', 'h2'), decide: finding });
      expect(elsewhere.replayed).toBe(false);
    });

    it('recognises a key in events recorded before keys were scoped (commandId only), for the same owner', async () => {
      const old = { ...otherWriter(1), metadata: { ...otherWriter(1).metadata, actor: { id: 'officer-1', role: 'officer' }, commandId: 'k-old' } };
      await store.append('permit-O', [old], { expectedRevision: 'no_stream' });
      const again = await runner.run({ stream: 'permit-O', meta: keyed('officer-1', 'k-old', 'h'), decide: finding });
      expect(again).toMatchObject({ replayed: true, revision: 0 });
      expect((await runner.run({ stream: 'permit-O', meta: keyed('officer-2', 'k-old', 'h'), decide: finding })).replayed).toBe(false);
    });

    it('recognises its own first attempt after a conflict with it (two replicas racing on one key)', async () => {
      // The other writer is the same command, landing first: the runner reads again and answers it.
      let raced = false;
      const racingStore = Object.create(store) as SqliteEventStore;
      racingStore.append = async (stream, events, options) => {
        if (!raced) {
          raced = true;
          await runner.run({ stream, meta: keyed('pm', 'decision:D:1', 'decision:D:1'), decide: finding });
        }
        return store.append(stream, events, options);
      };
      const loser = new CommandRunner(racingStore, loadConfig({ DATA_DIR: dir, AUTH_JWT_SECRET: 'x'.repeat(32) }));
      const answer = await loser.run({ stream: 'permit-R', meta: keyed('pm', 'decision:D:1', 'decision:D:1'), decide: finding });
      expect(answer.replayed).toBe(true);
      expect(await store.readStream('permit-R')).toEqual(answer.events);
    });
  });

  describe('a write the store reports but cannot show yet (EventStoreDB: a commit that timed out, still replicating)', () => {
    const finding = (h: { length: number }) => [{ type: 'PermitReviewFindingRecorded', data: { seen: h.length } }];
    const keyed = meta({ idempotencyKey: 'k', requestHash: 'h' });

    /** The first attempt "times out" but lands hidden; reads show it only after `hiddenReads` reads. */
    function hiding(hiddenReads: number) {
      let reads = 0;
      let hidden: NewEvent[] | undefined;
      const view = Object.create(store) as SqliteEventStore;
      view.readStream = async (stream, options) => {
        if (hidden && ++reads > hiddenReads) {
          await store.append(stream, hidden, { expectedRevision: 'no_stream' });
          hidden = undefined;
        }
        return store.readStream(stream, options);
      };
      view.append = async (stream, events, options) => {
        if (!hidden && reads === 0) {
          hidden = events;
          throw new WrongExpectedRevisionError(stream, options.expectedRevision, 0);
        }
        return store.append(stream, events, options);
      };
      return new CommandRunner(view, loadConfig({ DATA_DIR: dir, AUTH_JWT_SECRET: 'x'.repeat(32), COMMAND_CONFLICT_RETRIES: '3' }));
    }

    it('waits for it, then answers it as the first answer instead of writing again', async () => {
      const answer = await hiding(2).run({ stream: 'permit-H', meta: keyed, decide: finding });
      expect(answer.replayed).toBe(true);
      expect(await store.readStream('permit-H')).toEqual(answer.events);
    });

    it('answers 503 (not a conflict) when it stays unreadable', async () => {
      const error = await hiding(1_000).run({ stream: 'permit-H', meta: keyed, decide: finding }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
    });
  });
});
