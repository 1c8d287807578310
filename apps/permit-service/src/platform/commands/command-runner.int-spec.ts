import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore, StoreUnavailableError, WrongExpectedRevisionError, type NewEvent } from '@permit-ledger/event-store';
import { loadConfig } from '@permit-ledger/config';
import {
  destinationDecider,
  permitDecider,
  type Dated,
  type Decider,
  type DestinationCommand,
  type PermitCommand,
  type PermitEvent,
  type PermitState,
} from '@permit-ledger/permits';
import { trPermit } from '@permit-ledger/story';
import { ApplicationError } from '../errors/application-error.js';
import { toProblem } from '../errors/problem.filter.js';
import { CommandRunner, type CommandMeta } from './command-runner.js';

const meta = (extra: Partial<CommandMeta> = {}): CommandMeta => ({
  actor: { id: 'officer-1', role: 'officer' },
  ...extra,
});

interface Note {
  type: 'Note';
  effectiveAt: string;
}
interface Seen {
  type: 'PermitReviewFindingRecorded';
  data: { seen: number };
}
const note: Note = { type: 'Note', effectiveAt: '2020-01-01T00:00:00.000Z' };

/** A decider whose state counts the stream's events: each command records how many it saw. */
const counting = (onDecide: () => void = () => undefined): Decider<Note, Seen, number> => ({
  streamName: (id) => `permit-${id}`,
  initialState: () => 0,
  evolve: (seen) => seen + 1,
  decide: (_, seen) => {
    onDecide();
    return [{ type: 'PermitReviewFindingRecorded', data: { seen } }];
  },
  schemaVersions: { PermitReviewFindingRecorded: 1 },
  upcast: ({ data, effectiveAt }) => ({ type: 'PermitReviewFindingRecorded', data: data as Seen['data'], effectiveAt }),
  effectiveAt: (_, command) => command.effectiveAt,
});
const finding = counting();

const otherWriter = (n: number): NewEvent => ({
  eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  type: 'PermitReviewFindingRecorded',
  schemaVersion: 1,
  data: { n },
  metadata: {
    effectiveAt: '2020-01-01T00:00:00.000Z',
    actor: { id: 'other', role: 'officer' },
    commandId: `c${n}`,
    correlationId: `c${n}`,
    causationId: null,
  },
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
    const decider = counting(() => decided++);
    const config = loadConfig({ DATA_DIR: dir, AUTH_JWT_SECRET: 'x'.repeat(32), COMMAND_CONFLICT_RETRIES: '3' });
    return { runner: new CommandRunner(racingStore, config), decider, calls: () => decided };
  }

  it('decides again on the new state after a conflict, and appends once', async () => {
    const race = racing(1);
    const result = await race.runner.run(race.decider, 'X', note, meta());
    expect(race.calls()).toBe(2);
    expect(result.revision).toBe(1);
    expect(result.events[0].data).toEqual({ seen: 1 });
  });

  it('gives up after the configured retries with the conflict, writing nothing of its own', async () => {
    const race = racing(10);
    await expect(race.runner.run(race.decider, 'X', note, meta())).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    expect(race.calls()).toBe(4);
    const events = await store.readStream('permit-X');
    expect(events.every((e) => e.metadata.actor.id === 'other')).toBe(true);
  });

  it('never retries under If-Match: the conflict is a 412', async () => {
    const race = racing(1);
    const error = await race.runner.run(race.decider, 'X', note, meta({ ifMatch: -1 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationError);
    expect(toProblem(error).problem.status).toBe(412);
    expect(race.calls()).toBe(1);
  });

  it('runs commands on one stream one at a time, so none of them conflicts', async () => {
    const results = await Promise.all(Array.from({ length: 30 }, () => runner.run(finding, 'Y', note, meta())));
    expect(results.map((r) => r.revision).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  describe('Idempotency-Key, scoped to the caller and the stream', () => {
    const keyed = (caller: string, key: string, hash: string, executor?: string): CommandMeta =>
      meta({ actor: { id: caller, role: 'officer', ...(executor ? { executor } : {}) }, idempotencyKey: key, requestHash: hash });

    it('answers a retry with the first answer and writes nothing, even from another runner (another replica)', async () => {
      const first = await runner.run(finding, 'K', note, keyed('officer-1', 'k', 'h'));
      const replica = new CommandRunner(store, loadConfig({ DATA_DIR: dir, AUTH_JWT_SECRET: 'x'.repeat(32) }));
      const again = await replica.run(finding, 'K', note, keyed('officer-1', 'k', 'h'));
      expect(again).toEqual({ ...first, replayed: true });
      expect(await store.readStream('permit-K')).toHaveLength(1);
      expect(first.events[0].metadata.idempotency).toEqual({ key: 'k', caller: 'officer-1', requestHash: 'h' });
    });

    it('refuses the same key with another body (422) and writes nothing', async () => {
      await runner.run(finding, 'K', note, keyed('officer-1', 'k', 'h1'));
      const error = await runner.run(finding, 'K', note, keyed('officer-1', 'k', 'h2')).catch((e: unknown) => e);
      expect(toProblem(error).problem).toMatchObject({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
      expect(await store.readStream('permit-K')).toHaveLength(1);
    });

    it("keeps callers apart: another caller's same key and body is its own command", async () => {
      const a = await runner.run(finding, 'K', note, keyed('officer-1', 'k', 'h'));
      const b = await runner.run(finding, 'K', note, keyed('officer-2', 'k', 'h'));
      expect(b.replayed).toBe(false);
      expect(b.revision).toBe(a.revision + 1);
      expect(b.events[0].metadata.actor.id).toBe('officer-2');
      // A process acting for a caller owns its keys apart from that caller.
      const processed = await runner.run(finding, 'K', note, keyed('officer-1', 'k', 'h', 'decision-process-manager'));
      expect(processed.replayed).toBe(false);
    });

    it('keeps streams apart: the same key on another stream is another command', async () => {
      await runner.run(finding, 'K', note, keyed('officer-1', 'k', 'h1'));
      const elsewhere = await runner.run(finding, 'L', note, keyed('officer-1', 'k', 'h2'));
      expect(elsewhere.replayed).toBe(false);
    });

    it('recognises a key in events recorded before keys were scoped (commandId only), for the same owner', async () => {
      const old = {
        ...otherWriter(1),
        metadata: { ...otherWriter(1).metadata, actor: { id: 'officer-1', role: 'officer' }, commandId: 'k-old' },
      };
      await store.append('permit-O', [old], { expectedRevision: 'no_stream' });
      const again = await runner.run(finding, 'O', note, keyed('officer-1', 'k-old', 'h'));
      expect(again).toMatchObject({ replayed: true, revision: 0 });
      expect((await runner.run(finding, 'O', note, keyed('officer-2', 'k-old', 'h'))).replayed).toBe(false);
    });

    it('recognises its own first attempt after a conflict with it (two replicas racing on one key)', async () => {
      // The other writer is the same command, landing first: the runner reads again and answers it.
      let raced = false;
      const racingStore = Object.create(store) as SqliteEventStore;
      racingStore.append = async (stream, events, options) => {
        if (!raced) {
          raced = true;
          await runner.run(finding, 'R', note, keyed('pm', 'decision:D:1', 'decision:D:1'));
        }
        return store.append(stream, events, options);
      };
      const loser = new CommandRunner(racingStore, loadConfig({ DATA_DIR: dir, AUTH_JWT_SECRET: 'x'.repeat(32) }));
      const answer = await loser.run(finding, 'R', note, keyed('pm', 'decision:D:1', 'decision:D:1'));
      expect(answer.replayed).toBe(true);
      expect(await store.readStream('permit-R')).toEqual(answer.events);
    });
  });

  describe('a write the store reports but cannot show yet (EventStoreDB: a commit that timed out, still replicating)', () => {
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
      const answer = await hiding(2).run(finding, 'H', note, keyed);
      expect(answer.replayed).toBe(true);
      expect(await store.readStream('permit-H')).toEqual(answer.events);
    });

    it('answers 503 (not a conflict) when it stays unreadable', async () => {
      const error = await hiding(1_000)
        .run(finding, 'H', note, keyed)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
    });
  });

  describe("with the domain's deciders", () => {
    const officer = meta();
    const issue = (permitNumber: string, effectiveAt: string, exceptionGround: string | null = null): PermitCommand => {
      const { effectiveAt: _, ...body } = trPermit();
      return { type: 'IssuePermit', effectiveAt, data: { permitNumber, ...body, exceptionGround } };
    };
    const presumptiveDenial: DestinationCommand = {
      type: 'ImposeDestinationMeasure',
      effectiveAt: '2020-04-16T00:00:00.000Z',
      data: {
        country: 'TR',
        measureId: 'TR-NTE-992',
        kind: 'presumptive_denial',
        eclGroups: [2],
        exceptionGrounds: ['nato_cooperation'],
        reference: 'NtE 992',
        reason: 'r',
      },
    };

    it("decides issuance on the destination stream the permit decider's context names, read with the permit's", async () => {
      await runner.run(destinationDecider, 'TR', presumptiveDenial, officer);
      const refused = await runner
        .run(permitDecider, 'EXP-20-000001', issue('EXP-20-000001', '2020-05-14T12:00:00.000Z'), officer)
        .catch((e: unknown) => e);
      expect(refused).toMatchObject({ name: 'DomainError', code: 'ISSUANCE_BLOCKED' });
      expect(await store.readStream('permit-EXP-20-000001')).toEqual([]);
      const issued = await runner.run(
        permitDecider,
        'EXP-20-000001',
        issue('EXP-20-000001', '2020-05-14T12:00:00.000Z', 'nato_cooperation'),
        officer,
      );
      expect(issued.events.map((e) => [e.stream, e.type, e.schemaVersion])).toEqual([['permit-EXP-20-000001', 'PermitIssued', 2]]);
    });

    it("takes the envelope's effectiveAt from the command, or from the decider (PermitExpired: the start of expiresOn)", async () => {
      const issued = await runner.run(permitDecider, 'EXP-19-000002', issue('EXP-19-000002', '2019-03-20T09:30:00.000Z'), officer);
      expect(issued.events[0].metadata.effectiveAt).toBe('2019-03-20T09:30:00.000Z');
      const expire: PermitCommand = {
        type: 'ExpirePermit',
        effectiveAt: '2022-06-01T08:00:00.000Z',
        data: { permitNumber: 'EXP-19-000002' },
      };
      const expired = await runner.run(permitDecider, 'EXP-19-000002', expire, officer);
      expect(expired.events.map((e) => [e.type, e.metadata.effectiveAt])).toEqual([['PermitExpired', '2022-03-19T00:00:00.000Z']]);
    });

    it('folds stored events upcast to the current shape, and leaves them as written', async () => {
      const { effectiveAt: _, exporter, ...body } = trPermit();
      const v1 = {
        ...otherWriter(1),
        type: 'PermitIssued',
        schemaVersion: 1,
        data: {
          permitNumber: 'EXP-17-000003',
          ...body,
          exporter: exporter.name,
          totalValueCad: 4_200_000,
          exceptionGround: null,
          supersedes: null,
        },
      };
      await store.append('permit-EXP-17-000003', [v1], { expectedRevision: 'no_stream' });
      const folded: unknown[] = [];
      const watching = {
        ...permitDecider,
        evolve: (state: PermitState, event: Dated<PermitEvent>) => (folded.push(event), permitDecider.evolve(state, event)),
      };
      const suspend: PermitCommand = {
        type: 'SuspendPermit',
        effectiveAt: '2020-10-05T00:00:00.000Z',
        data: { permitNumber: 'EXP-17-000003', reason: 'r', legalBasis: 'EIPA s.10(1)' },
      };
      await runner.run(watching, 'EXP-17-000003', suspend, officer);
      expect(folded).toEqual([
        expect.objectContaining({ type: 'PermitIssued', data: expect.objectContaining({ exporter: { name: exporter.name } }) }),
      ]);
      expect((await store.readStream('permit-EXP-17-000003'))[0]).toMatchObject({ schemaVersion: 1, data: { exporter: exporter.name } });
    });
  });
});
