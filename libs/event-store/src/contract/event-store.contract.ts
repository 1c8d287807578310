/**
 * The behaviour every EventStore adapter must show, written against the port and its errors only.
 * An adapter's int-spec calls `eventStoreContract('sqlite', factory)`.
 *
 * Tests do not assume an empty store: they use fresh stream names and positions relative to the
 * head read at the start, so an adapter may share one server between tests. They do assume no
 * other writer during a test.
 *
 * This file imports @jest/globals, so it is not exported from the package index: import it by path.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { EventMetadata, NewEvent, RecordedEvent } from '../port/envelope.js';
import { WrongExpectedRevisionError } from '../port/errors.js';
import { computeEventHash, verifyStreamChain } from '../integrity/integrity.js';
import type { EventStore, Subscription } from '../port/port.js';

export interface EventStoreFixture {
  store: EventStore;
  cleanup(): Promise<void>;
  /** The SQLite adapter numbers the log 1, 2, 3 …; EventStoreDB's positions are byte offsets with gaps. */
  gapFreePositions?: boolean;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** A stream name no other test (or earlier run against a shared server) uses. */
export function uniqueStream(prefix = 'permit'): string {
  return `${prefix}-${randomUUID()}`;
}

export function newEvent(type = 'PermitApplied', data: Record<string, unknown> = {}, metadata: Partial<EventMetadata> = {}): NewEvent {
  const commandId = randomUUID();
  return {
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    data,
    metadata: {
      effectiveAt: '2021-03-04T10:00:00.000Z',
      actor: { id: 'officer-7', role: 'licensing-officer' },
      commandId,
      correlationId: commandId,
      causationId: null,
      ...metadata,
    },
  };
}

/** Collects subscription deliveries; `until(n)` resolves once n events have arrived. */
function collector() {
  const events: RecordedEvent[] = [];
  const batches: RecordedEvent[][] = [];
  let inFlight = 0;
  let overlapped = false;
  const waiting: Array<{ n: number; resolve: () => void }> = [];
  return {
    events,
    batches,
    get overlapped() {
      return overlapped;
    },
    handler: async (batch: RecordedEvent[]) => {
      inFlight += 1;
      if (inFlight > 1) overlapped = true;
      // Yield inside the handler so that a store delivering concurrently would be caught.
      await new Promise((resolve) => setImmediate(resolve));
      batches.push(batch);
      events.push(...batch);
      inFlight -= 1;
      for (const w of waiting.filter((w) => events.length >= w.n)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve();
      }
    },
    until(n: number, timeoutMs = 5000): Promise<void> {
      if (events.length >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`got ${events.length} of ${n} events`)), timeoutMs);
        waiting.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function expectRefusal(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the append to be refused');
}

export function eventStoreContract(name: string, factory: () => Promise<EventStoreFixture>): void {
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;
    let fixture: EventStoreFixture;
    const open: Subscription[] = [];

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });

    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
      await fixture.cleanup();
    });

    describe('append and readStream', () => {
      it('round-trips the full envelope and adds stream, revision, position, recordedAt and hashes', async () => {
        const stream = uniqueStream();
        const head = await store.headPosition();
        const first = newEvent(
          'PermitApplied',
          {
            applicant: 'Nordwerk AG',
            items: [{ code: 'ML1.a', qty: 12, unitPrice: 1499.5 }],
            urgent: false,
            note: null,
            city: 'Düsseldorf ✓',
          },
          {
            reason: 'first filing',
            legalBasis: 'AWG §8',
            decisionRef: 'D-2021-001',
            actor: { id: 'pm', role: 'system', executor: 'decision-process' },
          },
        );
        const second = newEvent('PermitIssued', { validUntil: '2022-03-04' }, { causationId: first.metadata.commandId });

        const result = await store.append(stream, [first, second], { expectedRevision: 'no_stream' });

        expect(result.stream).toBe(stream);
        expect(result.revision).toBe(1);
        expect(result.position).toBeGreaterThan(head);
        expect(result.events[1].position).toBeGreaterThan(result.events[0].position);
        if (fixture.gapFreePositions) expect(result.position).toBe(head + 2);
        const read = await store.readStream(stream);
        expect(read).toEqual(result.events);
        read.forEach((event, i) => {
          const written = [first, second][i];
          expect(event).toEqual({
            ...written,
            stream,
            revision: i,
            position: result.events[i].position,
            recordedAt: expect.stringMatching(ISO_UTC),
            prevHash: i === 0 ? null : read[i - 1].hash,
            hash: expect.stringMatching(/^[0-9a-f]{64}$/),
          });
        });
      });

      it('reads an unknown stream as empty with revision -1', async () => {
        const stream = uniqueStream('unknown');
        expect(await store.readStream(stream)).toEqual([]);
        expect(await store.readStream(stream, { direction: 'backwards' })).toEqual([]);
        expect(await store.streamRevision(stream)).toBe(-1);
      });

      it('refuses an empty append as a programming error and writes nothing', async () => {
        const stream = uniqueStream();
        const head = await store.headPosition();
        await expect(store.append(stream, [], { expectedRevision: 'any' })).rejects.toThrow();
        expect(await store.streamRevision(stream)).toBe(-1);
        expect(await store.headPosition()).toBe(head);
      });

      it('reads forwards, backwards, from a revision (inclusive) and up to maxCount', async () => {
        const stream = uniqueStream();
        await store.append(
          stream,
          [0, 1, 2, 3, 4].map((n) => newEvent('PermitAmended', { n })),
          { expectedRevision: 'no_stream' },
        );
        const revisions = (events: RecordedEvent[]) => events.map((e) => e.revision);

        expect(revisions(await store.readStream(stream))).toEqual([0, 1, 2, 3, 4]);
        expect(revisions(await store.readStream(stream, { fromRevision: 2 }))).toEqual([2, 3, 4]);
        expect(revisions(await store.readStream(stream, { fromRevision: 1, maxCount: 2 }))).toEqual([1, 2]);
        expect(revisions(await store.readStream(stream, { fromRevision: 9 }))).toEqual([]);
        expect(revisions(await store.readStream(stream, { direction: 'backwards' }))).toEqual([4, 3, 2, 1, 0]);
        expect(revisions(await store.readStream(stream, { direction: 'backwards', fromRevision: 2 }))).toEqual([2, 1, 0]);
        expect(revisions(await store.readStream(stream, { direction: 'backwards', maxCount: 2 }))).toEqual([4, 3]);
        expect((await store.readStream(stream, { direction: 'backwards', maxCount: 1 }))[0].data).toEqual({ n: 4 });
        expect(await store.streamRevision(stream)).toBe(4);
      });
    });

    describe('expected revision', () => {
      it("'no_stream' succeeds on a new stream and is refused on an existing one", async () => {
        const stream = uniqueStream();
        await store.append(stream, [newEvent()], { expectedRevision: 'no_stream' });

        const error = await expectRefusal(store.append(stream, [newEvent()], { expectedRevision: 'no_stream' }));
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ code: 'WRONG_EXPECTED_REVISION', stream, expected: 'no_stream', actual: 0 });
        expect(await store.streamRevision(stream)).toBe(0);
      });

      it('an exact revision succeeds when it is the last one and is refused when stale, ahead or on a missing stream', async () => {
        const stream = uniqueStream();
        await store.append(stream, [newEvent(), newEvent()], { expectedRevision: 'no_stream' });
        const ok = await store.append(stream, [newEvent()], { expectedRevision: 1 });
        expect(ok.revision).toBe(2);
        const head = await store.headPosition();

        for (const expected of [1, 5]) {
          const error = await expectRefusal(store.append(stream, [newEvent()], { expectedRevision: expected }));
          expect(error).toBeInstanceOf(WrongExpectedRevisionError);
          expect(error).toMatchObject({ stream, expected, actual: 2 });
        }
        const missing = uniqueStream('missing');
        const error = await expectRefusal(store.append(missing, [newEvent()], { expectedRevision: 0 }));
        expect(error).toMatchObject({ stream: missing, expected: 0, actual: -1 });

        expect(await store.streamRevision(stream)).toBe(2);
        expect(await store.streamRevision(missing)).toBe(-1);
        expect(await store.headPosition()).toBe(head);
      });

      it("'any' appends to a new and to an existing stream", async () => {
        const stream = uniqueStream();
        expect((await store.append(stream, [newEvent()], { expectedRevision: 'any' })).revision).toBe(0);
        expect((await store.append(stream, [newEvent(), newEvent()], { expectedRevision: 'any' })).revision).toBe(2);
      });

      it('of 20 parallel appends at the same expected revision exactly one wins', async () => {
        const stream = uniqueStream();
        await store.append(stream, [newEvent()], { expectedRevision: 'no_stream' });

        const outcomes = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => store.append(stream, [newEvent('PermitAmended', { i })], { expectedRevision: 0 })),
        );

        const won = outcomes.filter((o) => o.status === 'fulfilled');
        const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(19);
        for (const o of lost) {
          expect(o.reason).toBeInstanceOf(WrongExpectedRevisionError);
          expect(o.reason).toMatchObject({ stream, expected: 0, actual: 1 });
        }
        expect(await store.streamRevision(stream)).toBe(1);
      });

      it("parallel 'any' appends to one stream get contiguous revisions and a valid chain", async () => {
        const stream = uniqueStream();
        await Promise.all(
          Array.from({ length: 10 }, (_, i) => store.append(stream, [newEvent('PermitAmended', { i })], { expectedRevision: 'any' })),
        );
        const events = await store.readStream(stream);
        expect(events.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(verifyStreamChain(events).valid).toBe(true);
      });
    });

    describe('global log', () => {
      it('numbers events strictly increasing across streams (gap-free where the adapter says so), also after a refused append', async () => {
        const head = await store.headPosition();
        const a = uniqueStream('a');
        const b = uniqueStream('b');
        const r1 = await store.append(a, [newEvent(), newEvent()], { expectedRevision: 'no_stream' });
        await expectRefusal(store.append(b, [newEvent(), newEvent()], { expectedRevision: 3 }));
        const r2 = await store.append(b, [newEvent()], { expectedRevision: 'no_stream' });
        await expectRefusal(store.append(a, [newEvent()], { expectedRevision: 'no_stream' }));
        const r3 = await store.append(a, [newEvent()], { expectedRevision: 1 });

        const positions = [...r1.events, ...r2.events, ...r3.events].map((e) => e.position);
        expect(positions[0]).toBeGreaterThan(head);
        expect([...positions].sort((x, y) => x - y)).toEqual(positions);
        expect(new Set(positions).size).toBe(4);
        if (fixture.gapFreePositions) expect(positions).toEqual([head + 1, head + 2, head + 3, head + 4]);
        expect(await store.headPosition()).toBe(positions[3]);
        const all = await store.readAll({ after: head });
        expect(all.map((e) => e.position)).toEqual(positions);
        expect(all.map((e) => e.stream)).toEqual([a, a, b, a]);
      });

      it('readAll starts after a position (exclusive) and stops at maxCount', async () => {
        const head = await store.headPosition();
        const stream = uniqueStream();
        const { events } = await store.append(
          stream,
          [0, 1, 2, 3].map((n) => newEvent('PermitAmended', { n })),
          { expectedRevision: 'no_stream' },
        );

        expect(await store.readAll({ after: head })).toEqual(events);
        const p = events.map((e) => e.position);
        expect((await store.readAll({ after: p[0], maxCount: 2 })).map((e) => e.position)).toEqual([p[1], p[2]]);
        expect(await store.readAll({ after: p[3] })).toEqual([]);
        expect(await store.readAll({ after: head, maxCount: 0 })).toEqual([]);
      });

      it('countAfter counts what readAll delivers after a position, up to a limit, and says where it stopped', async () => {
        const head = await store.headPosition();
        const a = uniqueStream('a');
        const b = uniqueStream('b');
        const first = await store.append(a, [newEvent(), newEvent()], { expectedRevision: 'no_stream' });
        await store.append(b, [newEvent()], { expectedRevision: 'no_stream' });
        const last = await store.append(a, [newEvent(), newEvent()], { expectedRevision: 1 });
        const p = (await store.readAll({ after: head })).map((e) => e.position);
        expect(p).toHaveLength(5);
        if (fixture.gapFreePositions) expect(p).toEqual([1, 2, 3, 4, 5].map((n) => head + n));

        expect(await store.countAfter(head, 100)).toEqual({ count: 5, through: last.position });
        expect(await store.countAfter(first.position, 100)).toEqual({ count: 3, through: p[4] });
        expect(await store.countAfter(head, 2)).toEqual({ count: 2, through: p[1] });
        // Going on from where a capped count stopped counts the rest once.
        expect(await store.countAfter(p[1], 2)).toEqual({ count: 2, through: p[3] });
        expect(await store.countAfter(p[4], 100)).toEqual({ count: 0, through: p[4] });
        expect(await store.countAfter(head, 0)).toEqual({ count: 0, through: head });
        // From the start of the log, whatever else the store holds (EventStoreDB's system events are not counted).
        const everything = await store.readAll();
        expect(await store.countAfter(0, everything.length + 10)).toEqual({ count: everything.length, through: p[4] });
        expect(await store.countAfter(0, 1)).toEqual({ count: 1, through: everything[0].position });
      });
    });

    describe('integrity', () => {
      it('chains each event to the previous one of its stream and hashes its content', async () => {
        const stream = uniqueStream();
        const other = uniqueStream('other');
        await store.append(stream, [newEvent(), newEvent()], { expectedRevision: 'no_stream' });
        await store.append(other, [newEvent()], { expectedRevision: 'no_stream' });
        await store.append(stream, [newEvent('PermitRevoked', { why: 'end-use breach' })], { expectedRevision: 1 });

        const events = await store.readStream(stream);
        expect(verifyStreamChain(events)).toEqual({ valid: true, checked: 3 });
        expect(events[0].prevHash).toBeNull();
        expect(events[1].prevHash).toBe(events[0].hash);
        expect(events[2].prevHash).toBe(events[1].hash);
        for (const e of events) expect(e.hash).toBe(computeEventHash(e));

        const tampered = events.map((e) => ({ ...e }));
        tampered[1] = { ...tampered[1], data: { why: 'edited' } };
        expect(verifyStreamChain(tampered)).toEqual({ valid: false, checked: 2, firstBrokenRevision: 1 });
      });
    });

    describe('chaining on the head the caller read', () => {
      it('chains on headHash without another read, and refuses it when the stream moved on', async () => {
        const stream = uniqueStream();
        const first = await store.append(stream, [newEvent()], { expectedRevision: 'no_stream', headHash: null });
        const second = await store.append(stream, [newEvent(), newEvent()], { expectedRevision: 0, headHash: first.events[0].hash });
        expect(second.events.map((e) => e.prevHash)).toEqual([first.events[0].hash, second.events[0].hash]);
        expect(verifyStreamChain(await store.readStream(stream))).toEqual({ valid: true, checked: 3 });

        const stale = await expectRefusal(store.append(stream, [newEvent()], { expectedRevision: 0, headHash: first.events[0].hash }));
        expect(stale).toBeInstanceOf(WrongExpectedRevisionError);
        expect(await store.streamRevision(stream)).toBe(2);
      });

      it('answers with the events exactly as they are stored, positions included', async () => {
        const stream = uniqueStream();
        const one = await store.append(stream, [newEvent('PermitIssued', { n: 1 })], { expectedRevision: 'no_stream', headHash: null });
        const two = await store.append(stream, [newEvent('PermitAmended', { n: 2 }), newEvent('PermitAmended', { n: 3 })], {
          expectedRevision: 0,
          headHash: one.events[0].hash,
        });
        expect(await store.readStream(stream)).toEqual([...one.events, ...two.events]);
        expect(one.position).toBe(one.events[0].position);
        expect(two.position).toBe(two.events[1].position);
        expect(two.events[0].position).toBeLessThan(two.events[1].position);
      });
    });

    describe('subscribeToAll', () => {
      it('catches up from `after`, reports caught-up once, then delivers new appends live and in order', async () => {
        const head = await store.headPosition();
        const a = uniqueStream('a');
        const b = uniqueStream('b');
        const first = await store.append(a, [newEvent(), newEvent()], { expectedRevision: 'no_stream' });
        await store.append(b, [newEvent()], { expectedRevision: 'no_stream' });

        const seen = collector();
        let caughtUp = 0;
        let caughtUpAt = -1;
        let markCaughtUp!: () => void;
        const isCaughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
        const subscription = store.subscribeToAll(seen.handler, {
          after: first.events[0].position,
          batchSize: 1,
          onCaughtUp: () => {
            caughtUp += 1;
            caughtUpAt = seen.events.length;
            markCaughtUp();
          },
        });
        open.push(subscription);

        await isCaughtUp;
        expect(caughtUpAt).toBe(2);
        await Promise.all([
          store.append(a, [newEvent(), newEvent()], { expectedRevision: 1 }),
          store.append(b, [newEvent()], { expectedRevision: 0 }),
        ]);
        await seen.until(5);
        await store.append(b, [newEvent()], { expectedRevision: 'any' });
        await seen.until(6);

        const all = await store.readAll({ after: first.events[0].position });
        expect(seen.events).toEqual(all);
        expect(all).toHaveLength(6);
        if (fixture.gapFreePositions) expect(seen.events.map((e) => e.position)).toEqual([2, 3, 4, 5, 6, 7].map((n) => head + n));
        expect(seen.batches.every((batch) => batch.length === 1)).toBe(true);
        expect(seen.overlapped).toBe(false);
        expect(caughtUp).toBe(1);
      });

      it('delivers in batches of at most batchSize, one handler call at a time', async () => {
        const head = await store.headPosition();
        const stream = uniqueStream();
        await store.append(
          stream,
          Array.from({ length: 7 }, (_, n) => newEvent('PermitAmended', { n })),
          { expectedRevision: 'no_stream' },
        );

        const seen = collector();
        open.push(store.subscribeToAll(seen.handler, { after: head, batchSize: 3 }));
        await seen.until(7);

        // How events group into batches depends on how they arrive; never more than batchSize, never out of order.
        expect(seen.batches.every((b) => b.length >= 1 && b.length <= 3)).toBe(true);
        expect(seen.batches.length).toBeGreaterThanOrEqual(3);
        expect(seen.events.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5, 6]);
        expect(seen.overlapped).toBe(false);
      });

      it('close() stops delivery and resolves done', async () => {
        const head = await store.headPosition();
        const stream = uniqueStream();
        await store.append(stream, [newEvent()], { expectedRevision: 'no_stream' });
        const seen = collector();
        const subscription = store.subscribeToAll(seen.handler, { after: head });
        await seen.until(1);

        await subscription.close();
        await expect(subscription.done).resolves.toBeUndefined();
        await store.append(stream, [newEvent()], { expectedRevision: 0 });
        await sleep(100);
        expect(seen.events).toHaveLength(1);
      });

      it('a throwing handler stops the subscription and rejects done with its error', async () => {
        const head = await store.headPosition();
        const stream = uniqueStream();
        await store.append(stream, [newEvent(), newEvent()], { expectedRevision: 'no_stream' });
        let calls = 0;
        const subscription = store.subscribeToAll(
          () => {
            calls += 1;
            throw new Error('projection cannot apply event');
          },
          { after: head, batchSize: 1 },
        );

        await expect(subscription.done).rejects.toThrow('projection cannot apply event');
        await store.append(stream, [newEvent()], { expectedRevision: 1 });
        await sleep(50);
        expect(calls).toBe(1);
        await subscription.close();
      });
    });
  });
}
