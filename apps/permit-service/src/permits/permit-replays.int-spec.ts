import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EsdbEventStore,
  SqliteEventStore,
  type EventStore,
  type NewEvent,
  type ReadStreamOptions,
  type RecordedEvent,
} from '@permit-ledger/event-store';
import { evolvePermit, initialPermitState, type PermitEvent } from '@permit-ledger/permits';
import { dated } from '../platform/commands/dated.js';
import { provideStore, STORE_KINDS, type ProvidedStore } from '../testing/stores.js';
import { PermitReplays, type ReplayCut } from './permit-replays.js';

const day = (date: string) => `${date}T00:00:00.000Z`;
const N = 'EXP-20-000900';
const permitEvent = (type: PermitEvent['type'], effectiveAt: string, data: Record<string, unknown> = {}): NewEvent => {
  const id = randomUUID();
  return {
    eventId: id,
    type,
    schemaVersion: type === 'PermitIssued' ? 2 : 1,
    data: { permitNumber: N, ...data },
    metadata: { effectiveAt, actor: { id: 'officer-1', role: 'officer' }, commandId: id, correlationId: id, causationId: null },
  };
};
const issued = (effectiveAt = day('2020-01-10')) =>
  permitEvent('PermitIssued', effectiveAt, {
    destination: 'TR',
    exporter: { name: 'Northfield Optronics' },
    consignee: { name: 'Anadolu UAV Systems', country: 'TR' },
    endUser: { name: 'Anadolu UAV Systems', country: 'TR' },
    intendedEndUse: 'UAV targeting pods',
    items: [{ eclItem: '2-15.a', description: 'EO/IR sensor', quantity: 10, unit: 'unit', valueCad: 10_000 }],
    totalValueCad: 10_000,
    validFrom: '2020-01-10',
    expiresOn: '2022-12-31',
    conditions: [],
    exceptionGround: null,
    supersedes: null,
  });
const suspended = (date: string) =>
  permitEvent('PermitSuspended', day(date), { reason: 'r', legalBasis: 'EIPA s.10(1)', decisionRef: `MIN-${date}` });
const reinstated = (date: string) =>
  permitEvent('PermitReinstated', day(date), { reason: 'r', legalBasis: 'EIPA s.10(1)', decisionRef: null });
const shipped = (ref: string, exportedOn: string) =>
  permitEvent('ShipmentRecorded', day(exportedOn), { declarationRef: ref, exportedOn, lines: [{ item: 0, quantity: 1, valueCad: 1000 }] });

/** A permit's life with declarations recorded late (dated before events already recorded): an asOf then takes no first part only. */
const life = (): NewEvent[] => [
  issued(),
  shipped('D-1', '2020-02-01'),
  suspended('2020-03-01'),
  reinstated('2020-04-01'),
  shipped('D-2', '2020-02-15'),
  suspended('2020-05-01'),
  reinstated('2020-06-01'),
  permitEvent('PermitAmended', day('2020-06-02'), { changes: { expiresOn: '2023-06-30' }, totalValueCad: 10_000, reason: 'r' }),
  shipped('D-3', '2020-01-20'),
  suspended('2020-06-10'),
  permitEvent('PermitCancelled', day('2020-07-01'), { reason: 'r', legalBasis: 'EIPA s.10(1)', decisionRef: 'MIN-C', reviewId: null }),
];

/** recordedAt one day apart from 2021-01-01 on, one event per append: every knownAt between two events is its own cut. */
function tickingClock(): () => Date {
  let t = Date.parse('2021-01-01T00:00:00.000Z');
  return () => new Date((t += 86_400_000));
}

interface Stores {
  /** The store the replays read through. */
  store: EventStore;
  /** Another writer on the same log (another process, a replica). */
  other: EventStore;
  close(): Promise<void>;
}

async function openStores(provided: ProvidedStore): Promise<Stores> {
  const clock = tickingClock();
  const connectionString = provided.env.EVENTSTORE_CONNECTION_STRING;
  if (connectionString) {
    const store = EsdbEventStore.open({ connectionString, clock });
    const other = EsdbEventStore.open({ connectionString, clock });
    return { store, other, close: async () => void (await Promise.all([store.close(), other.close()])) };
  }
  const dir = mkdtempSync(join(tmpdir(), 'permit-replays-'));
  const file = join(dir, 'events.sqlite');
  const store = SqliteEventStore.open({ file, clock });
  const other = SqliteEventStore.open({ file, clock });
  return {
    store,
    other,
    close: async () => {
      await Promise.all([store.close(), other.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function appendEach(store: EventStore, stream: string, events: NewEvent[]): Promise<void> {
  for (const event of events) {
    const revision = await store.streamRevision(stream);
    await store.append(stream, [event], { expectedRevision: revision === -1 ? 'no_stream' : revision });
  }
}

/** The replay as it was done before any cache: of the stream read whole, the events the cut lets through folded. */
function uncached(events: RecordedEvent[], cut: ReplayCut) {
  const included = events.filter(
    (e) =>
      (cut.revision === undefined || e.revision <= cut.revision) &&
      (cut.effectiveBy === undefined || Date.parse(e.metadata.effectiveAt) <= cut.effectiveBy) &&
      (cut.recordedBy === undefined || Date.parse(e.recordedAt) <= cut.recordedBy),
  );
  if (included.length === 0) return null;
  return {
    state: included.map((e) => dated<PermitEvent>(e)).reduce(evolvePermit, initialPermitState),
    revision: included.at(-1)!.revision,
  };
}

describe.each(STORE_KINDS)('PermitReplays on %s: folded streams kept between queries, checked against the store', (kind) => {
  let provided: ProvidedStore;
  let stores: Stores;
  /** The store as the replays see it, and the reads they asked of it. */
  let through: EventStore;
  let reads: Array<ReadStreamOptions | undefined>;
  let stream: string;

  beforeAll(async () => {
    provided = await provideStore(kind);
  });
  afterAll(async () => {
    await provided.close();
  });
  beforeEach(async () => {
    stores = await openStores(provided);
    reads = [];
    through = Object.create(stores.store) as EventStore;
    through.readStream = (name, options) => {
      reads.push(options);
      return stores.store.readStream(name, options);
    };
    stream = `permit-${randomUUID()}`;
  });
  afterEach(async () => {
    await stores.close();
  });

  it('answers every cut on revision, asOf and knownAt as the whole stream folded again would, from kept states', async () => {
    await appendEach(stores.store, stream, life());
    const events = await stores.store.readStream(stream);
    // A state kept every 2 events, at most 3 kept: the spacing doubles as the stream is read.
    const replays = new PermitReplays(through, { snapshotEvery: 2, maxSnapshots: 3 });
    const view = (await replays.load(stream))!;
    const times = (pick: (e: (typeof events)[number]) => string) =>
      [undefined, ...events.flatMap((e) => [Date.parse(pick(e)) - 1, Date.parse(pick(e))])] as Array<number | undefined>;
    const revisions = [undefined, -1, ...events.map((e) => e.revision)];
    let cuts = 0;
    for (const revision of revisions)
      for (const effectiveBy of times((e) => e.metadata.effectiveAt))
        for (const recordedBy of [undefined, Date.parse(events[3]!.recordedAt), Date.parse(events[8]!.recordedAt)]) {
          const cut = { revision, effectiveBy, recordedBy };
          const expected = uncached(events, cut);
          const got = view.stateAt(cut);
          expect(got && { state: got.state, revision: got.last.revision }).toEqual(expected);
          cuts++;
        }
    for (const recordedBy of times((e) => e.recordedAt)) {
      const got = view.stateAt({ recordedBy });
      const expected = uncached(events, { recordedBy });
      expect(got && { state: got.state, revision: got.last.revision }).toEqual(expected);
    }
    expect(cuts).toBeGreaterThan(500);
    // Some asOf takes events after one it leaves out: the late declarations.
    const feb20 = view.stateAt({ effectiveBy: Date.parse(day('2020-02-20')) })!;
    expect(feb20.state).toMatchObject({
      status: 'ISSUED',
      shipments: [{ declarationRef: 'D-1' }, { declarationRef: 'D-2' }, { declarationRef: 'D-3' }],
    });
    expect(feb20.last.revision).toBe(8);
  });

  it("reads only from the last cached revision on, and sees another writer's events", async () => {
    await appendEach(stores.store, stream, life().slice(0, 4));
    const replays = new PermitReplays(through);
    const before = (await replays.load(stream))!;
    expect(before.stateAt({})!.state.status).toBe('ISSUED');
    await appendEach(stores.other, stream, [suspended('2020-05-01')]);
    const after = (await replays.load(stream))!;
    expect(reads).toEqual([undefined, { fromRevision: 3 }]);
    expect(after.stateAt({})).toMatchObject({ state: { status: 'SUSPENDED', suspendedAt: day('2020-05-01') }, last: { revision: 4 } });
    // A load answers the revisions the store had when it was read, whatever was read since.
    expect(before.stateAt({})).toMatchObject({ state: { status: 'ISSUED' }, last: { revision: 3 } });
    expect(replays.size).toBe(5);
  });

  it('gives overlapping loads of one stream the same events, none held twice', async () => {
    await appendEach(stores.store, stream, life().slice(0, 2));
    const replays = new PermitReplays(through);
    await replays.load(stream);
    await appendEach(stores.other, stream, life().slice(2, 5));
    const views = await Promise.all([replays.load(stream), replays.load(stream), replays.load(stream)]);
    for (const view of views) expect(view!.stateAt({})!.last.revision).toBe(4);
    expect(replays.size).toBe(5);
    expect(views[0]!.stateAt({})!.state).toEqual(uncached(await stores.store.readStream(stream), {})!.state);
  });

  it('reads a stream whole again when the store no longer holds the cached last event (restored or replaced underneath)', async () => {
    const replaced = `permit-${randomUUID()}`;
    const shorter = `permit-${randomUUID()}`;
    await appendEach(stores.store, stream, life().slice(0, 4));
    await appendEach(stores.store, replaced, [
      issued(day('2020-01-11')),
      suspended('2020-02-01'),
      reinstated('2020-03-01'),
      suspended('2020-04-01'),
      reinstated('2020-05-01'),
    ]);
    await appendEach(stores.store, shorter, [issued(day('2020-01-12'))]);
    const replays = new PermitReplays(through);
    await replays.load(stream);
    // The store underneath now answers for `stream` what another stream holds: a longer one, then a shorter one.
    let now = stream;
    through.readStream = (_name, options) => {
      reads.push(options);
      return stores.store.readStream(now, options);
    };
    now = replaced;
    const longer = (await replays.load(stream))!;
    expect(reads).toEqual([undefined, { fromRevision: 3 }, undefined]);
    expect(longer.stateAt({})).toMatchObject({ state: { status: 'ISSUED', issuedAt: day('2020-01-11') }, last: { revision: 4 } });
    now = shorter;
    const short = (await replays.load(stream))!;
    expect(reads.slice(3)).toEqual([{ fromRevision: 4 }, undefined]);
    expect(short.stateAt({})).toMatchObject({ state: { issuedAt: day('2020-01-12') }, last: { revision: 0 } });
    expect(replays.size).toBe(1);
  });

  it('holds at most maxEvents, the least recently read streams going first; a stream longer than half of it is not kept', async () => {
    const [a, b, c, long] = ['a', 'b', 'c', 'long'].map((s) => `${stream}-${s}`);
    for (const s of [a, b, c]) await appendEach(stores.store, s, life().slice(0, 4));
    await appendEach(stores.store, long, life().slice(0, 6));
    const replays = new PermitReplays(through, { maxEvents: 10 });
    await replays.load(a);
    await replays.load(b);
    await replays.load(a);
    await replays.load(c); // 12 events: b, read least recently, goes
    expect(replays.size).toBe(8);
    reads.length = 0;
    await replays.load(a);
    await replays.load(b);
    expect(reads).toEqual([{ fromRevision: 3 }, undefined]);
    await replays.load(long);
    await replays.load(long);
    expect(reads.slice(2)).toEqual([undefined, undefined]);
    expect(replays.size).toBeLessThanOrEqual(10);
    // Grown past half of the bound, a kept stream is let go too.
    await appendEach(stores.other, a, life().slice(4, 6));
    expect((await replays.load(a))!.stateAt({})!.last.revision).toBe(5);
    reads.length = 0;
    await replays.load(a);
    expect(reads).toEqual([undefined]);
  });

  it('fails as the fold would on an event that does not fold, and answers the cuts before it', async () => {
    await appendEach(stores.store, stream, [issued(), reinstated('2020-02-01'), suspended('2020-03-01')]);
    const replays = new PermitReplays(through, { snapshotEvery: 1 });
    const view = (await replays.load(stream))!;
    expect(view.stateAt({ revision: 0 })).toMatchObject({ state: { status: 'ISSUED' }, last: { revision: 0 } });
    expect(() => view.stateAt({})).toThrow('cannot apply PermitReinstated at 2020-02-01T00:00:00.000Z to a permit in state ISSUED');
    expect(view.stateAt({ effectiveBy: Date.parse(day('2020-01-31')) })).toMatchObject({ last: { revision: 0 } });
  });
});
