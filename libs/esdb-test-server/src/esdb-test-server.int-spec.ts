/**
 * EsdbTestServer driven by the real @eventstore/db-client (6.2.1): what the client sees must be what it
 * would see from EventStoreDB.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  MaxAppendSizeExceededError,
  NO_STREAM,
  STREAM_EXISTS,
  StreamDeletedError,
  StreamNotFoundError,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError,
  binaryEvent,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type Position,
} from '@eventstore/db-client';
import grpc from '@grpc/grpc-js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import type * as StreamsPb from '@eventstore/db-client/generated/streams_pb.js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import { EsdbTestServer } from './esdb-test-server.js';
import { event, readAllOf, rejectionOf, stream, watch, within } from './spec-helpers.js';

// Every append rule, over both wire paths: BatchAppend (what the client picks from a 25.0 server) and
// plain Append (a server that does not list BatchAppend).
describe.each([
  { path: 'Streams.BatchAppend', batchAppend: true },
  { path: 'Streams.Append', batchAppend: false },
])('appendToStream over $path', ({ path, batchAppend }) => {
  let server: EsdbTestServer;
  let client: EventStoreDBClient;

  beforeAll(async () => {
    server = await EsdbTestServer.start({ batchAppend });
    client = EventStoreDBClient.connectionString(server.connectionString);
  });

  afterAll(async () => {
    await client.dispose();
    await server.close();
  });

  it('is the path the client takes', async () => {
    await client.appendToStream(stream(), [event(), event()]);
    expect(server.callCounts()).toMatchObject({ [path]: 1 });
    expect(Object.keys(server.callCounts()).filter((m) => m.includes('Append'))).toEqual([path]);
  });

  it('honours every expected revision kind, with the error fields the client reports', async () => {
    const name = stream();

    const created = await client.appendToStream(name, [event(), event()], { expectedRevision: NO_STREAM });
    expect(created).toMatchObject({ success: true, nextExpectedRevision: 1n });
    expect(created.position!.commit).toBe(created.position!.prepare);

    const again = await rejectionOf(client.appendToStream(name, event(), { expectedRevision: NO_STREAM }));
    expect(again).toBeInstanceOf(WrongExpectedVersionError);
    expect(again).toMatchObject({ streamName: name, expectedVersion: NO_STREAM, actualVersion: 1n });

    const next = await client.appendToStream(name, event(), { expectedRevision: 1n });
    expect(next.nextExpectedRevision).toBe(2n);
    expect(next.position!.commit).toBeGreaterThan(created.position!.commit);

    const stale = await rejectionOf(client.appendToStream(name, event(), { expectedRevision: 5n }));
    expect(stale).toMatchObject({ streamName: name, expectedVersion: 5n, actualVersion: 2n });

    expect((await client.appendToStream(name, event(), { expectedRevision: STREAM_EXISTS })).nextExpectedRevision).toBe(3n);
    expect((await client.appendToStream(name, event(), { expectedRevision: ANY })).nextExpectedRevision).toBe(4n);

    const missing = stream();
    const notThere = await rejectionOf(client.appendToStream(missing, event(), { expectedRevision: STREAM_EXISTS }));
    expect(notThere).toMatchObject({ streamName: missing, expectedVersion: STREAM_EXISTS, actualVersion: NO_STREAM });
    const atRevision = await rejectionOf(client.appendToStream(missing, event(), { expectedRevision: 0n }));
    expect(atRevision).toMatchObject({ expectedVersion: 0n, actualVersion: NO_STREAM });
  });

  it('answers a retried append (same ids, same expected revision) with the original result, writing nothing', async () => {
    const name = stream();
    const batch = [event('A', {}, randomUUID()), event('B', {}, randomUUID())];
    const first = await client.appendToStream(name, batch, { expectedRevision: NO_STREAM });
    const retry = await client.appendToStream(name, batch, { expectedRevision: NO_STREAM });
    expect(retry).toEqual(first);
    const retryAny = await client.appendToStream(name, batch, { expectedRevision: ANY });
    expect(retryAny).toEqual(first);
    expect(await readAllOf(client.readStream(name))).toHaveLength(2);

    // Half of a batch already written is not a retry: the server reports a version mismatch.
    const partial = await rejectionOf(client.appendToStream(name, [batch[1], event()], { expectedRevision: ANY }));
    expect(partial).toBeInstanceOf(WrongExpectedVersionError);
    const other = await rejectionOf(client.appendToStream(name, [event()], { expectedRevision: NO_STREAM }));
    expect(other).toBeInstanceOf(WrongExpectedVersionError);
  });

  it('answers a request it cannot process with an error status, never a hang', async () => {
    const bad = jsonEvent({ id: 'not-a-uuid', type: 'Bad', data: {} });
    await expect(client.appendToStream(stream(), bad)).rejects.toBeInstanceOf(UnknownError);
  });

  it('refuses appends to a tombstoned stream with StreamDeletedError', async () => {
    const name = stream();
    await client.appendToStream(name, event());
    await client.tombstoneStream(name);
    const error = await rejectionOf(client.appendToStream(name, event(), { expectedRevision: ANY }));
    expect(error).toBeInstanceOf(StreamDeletedError);
    expect(error).toMatchObject({ streamName: name });
  });

  it('NO_STREAM recreates a soft-deleted stream, revisions continuing', async () => {
    const name = stream();
    await client.appendToStream(name, [event('A'), event('B')]);
    await client.deleteStream(name);
    const recreated = await client.appendToStream(name, event('C'), { expectedRevision: NO_STREAM });
    expect(recreated.nextExpectedRevision).toBe(2n);
    expect((await readAllOf(client.readStream(name))).map((e) => e.event?.type)).toEqual(['C']);
  });

  it('rejects an append over the maximum append size', async () => {
    const big = binaryEvent({ type: 'Big', data: new Uint8Array(1_100_000) });
    const error = await rejectionOf(client.appendToStream(stream(), big));
    expect(error).toBeInstanceOf(MaxAppendSizeExceededError);
    expect(error).toMatchObject({ maxAppendSize: 1_048_576 });
  });
});

describe('EsdbTestServer with @eventstore/db-client', () => {
  let server: EsdbTestServer;
  let client: EventStoreDBClient;

  beforeAll(async () => {
    server = await EsdbTestServer.start();
    client = EventStoreDBClient.connectionString(server.connectionString);
  });

  afterAll(async () => {
    await client.dispose();
    await server.close();
  });

  describe('readStream', () => {
    it('reads forwards and backwards, from a revision (inclusive), with maxCount, with every event field', async () => {
      const name = stream();
      const id = randomUUID();
      const before = Date.now();
      await client.appendToStream(name, [
        jsonEvent({ id, type: 'PermitRequested', data: { permit: 'P-1' }, metadata: { by: 'alice' } }),
        binaryEvent({ type: 'Blob', data: new Uint8Array([1, 2, 3]) }),
        event('PermitGranted', { n: 2 }),
        event('PermitRevoked', { n: 3 }),
      ]);

      const forwards = await readAllOf(client.readStream(name));
      expect(forwards.map((e) => e.event?.revision)).toEqual([0n, 1n, 2n, 3n]);
      const first = forwards[0].event!;
      expect(first).toMatchObject({
        streamId: name,
        id,
        type: 'PermitRequested',
        data: { permit: 'P-1' },
        metadata: { by: 'alice' },
        isJson: true,
      });
      expect(first.created.getTime()).toBeGreaterThanOrEqual(before - 1);
      expect(first.position!.commit).toBe(first.position!.prepare);
      expect(forwards[1].event).toMatchObject({ type: 'Blob', isJson: false, data: new Uint8Array([1, 2, 3]) });
      const commits = forwards.map((e) => e.event!.position!.commit);
      expect([...commits].sort((a, b) => (a < b ? -1 : 1))).toEqual(commits);

      const fromTwo = await readAllOf(client.readStream(name, { fromRevision: 2n }));
      expect(fromTwo.map((e) => e.event?.revision)).toEqual([2n, 3n]);
      const limited = await readAllOf(client.readStream(name, { fromRevision: 1n, maxCount: 2 }));
      expect(limited.map((e) => e.event?.revision)).toEqual([1n, 2n]);
      const backwards = await readAllOf(client.readStream(name, { direction: BACKWARDS, fromRevision: END, maxCount: 3 }));
      expect(backwards.map((e) => e.event?.revision)).toEqual([3n, 2n, 1n]);
      const backFromOne = await readAllOf(client.readStream(name, { direction: BACKWARDS, fromRevision: 1n }));
      expect(backFromOne.map((e) => e.event?.revision)).toEqual([1n, 0n]);
      expect(await readAllOf(client.readStream(name, { fromRevision: 10n }))).toEqual([]);
    });

    it('turns a missing stream into StreamNotFoundError', async () => {
      const name = stream();
      const error = await rejectionOf(readAllOf(client.readStream(name)));
      expect(error).toBeInstanceOf(StreamNotFoundError);
      expect(error).toMatchObject({ streamName: name });
      await expect(readAllOf(client.readStream(name, { direction: BACKWARDS, fromRevision: END }))).rejects.toBeInstanceOf(
        StreamNotFoundError,
      );
    });
  });

  describe('readAll', () => {
    it('holds system events and strictly increasing, non-contiguous positions', async () => {
      await client.appendToStream(stream(), [event(), event(), event()]);
      const all = await readAllOf(client.readAll());
      expect(all.some((e) => e.event?.type.startsWith('$'))).toBe(true);
      const commits = all.map((e) => e.event!.position!.commit);
      const gaps = new Set(commits.slice(1).map((c, i) => c - commits[i]));
      expect(commits.slice(1).every((c, i) => c > commits[i])).toBe(true);
      expect(gaps.size).toBeGreaterThan(1);
      expect(all.every((e) => e.commitPosition === e.event!.position!.commit)).toBe(true);
    });

    it('reads >= the position forwards and < the position backwards', async () => {
      const name = stream();
      await client.appendToStream(name, [event('A'), event('B'), event('C')]);
      const own = (await readAllOf(client.readStream(name))).map((e) => e.event!);
      const middle = own[1].position!;

      const forwards = await readAllOf(client.readAll({ fromPosition: middle, maxCount: 2 }));
      expect(forwards.map((e) => e.event!.id)).toEqual([own[1].id, own[2].id]);
      const backwards = await readAllOf(client.readAll({ fromPosition: middle, direction: BACKWARDS, maxCount: 1 }));
      expect(backwards.map((e) => e.event!.id)).toEqual([own[0].id]);
      const last = await readAllOf(client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 }));
      expect(last[0].event!.position!.commit).toBeGreaterThanOrEqual(own[2].position!.commit);
      expect(await readAllOf(client.readAll({ fromPosition: END, direction: FORWARDS }))).toEqual([]);
    });

    it('refuses a position where no record starts, as the real server cannot read from mid-record', async () => {
      const result = await client.appendToStream(stream(), event());
      const bogus: Position = { commit: result.position!.commit + 1n, prepare: result.position!.prepare + 1n };
      await expect(readAllOf(client.readAll({ fromPosition: bogus }))).rejects.toBeInstanceOf(UnknownError);
    });
  });

  describe('subscriptions', () => {
    it('subscribeToStream: catch-up, caughtUp, then live events; from a revision starts after it', async () => {
      const name = stream();
      await client.appendToStream(name, [event('A'), event('B')]);
      const fromStart = watch(client.subscribeToStream(name));
      const afterZero = watch(client.subscribeToStream(name, { fromRevision: 0n }));
      await fromStart.untilCaughtUp();
      await afterZero.untilCaughtUp();
      expect(fromStart.order).toEqual(['event:A', 'event:B', 'caughtUp']);
      expect(afterZero.order).toEqual(['event:B', 'caughtUp']);

      await client.appendToStream(name, event('C'));
      await fromStart.untilEvents(3);
      await afterZero.untilEvents(2);
      expect(fromStart.events.map((e) => e.event?.revision)).toEqual([0n, 1n, 2n]);
    });

    it('delivers a long catch-up in order, minding flow control', async () => {
      const name = stream();
      const total = 600;
      for (let i = 0; i < total; i += 100) {
        await client.appendToStream(
          name,
          Array.from({ length: 100 }, (_, j) => event('Bulk', { i: i + j })),
        );
      }
      const sub = watch(client.subscribeToStream(name));
      await sub.untilCaughtUp();
      expect(sub.events.map((e) => (e.event?.data as { i: number }).i)).toEqual(Array.from({ length: total }, (_, i) => i));
      expect(sub.order.at(-1)).toBe('caughtUp');
    });

    it('subscribeToStream on a stream that does not exist yet waits for it', async () => {
      const name = stream();
      const sub = watch(client.subscribeToStream(name));
      await sub.untilCaughtUp();
      await client.appendToStream(name, event('First'));
      await sub.untilEvents(1);
      expect(sub.events[0].event).toMatchObject({ type: 'First', revision: 0n });
    });

    it('subscribeToAll from START sees everything, system events included; excludeSystemEvents() drops them', async () => {
      const all = watch(client.subscribeToAll());
      const user = watch(client.subscribeToAll({ filter: excludeSystemEvents() }));
      await all.untilCaughtUp();
      await user.untilCaughtUp();
      expect(all.events.some((e) => e.event?.type.startsWith('$'))).toBe(true);
      expect(user.events.length).toBeGreaterThan(0);
      expect(user.events.some((e) => e.event?.type.startsWith('$'))).toBe(false);

      const name = stream();
      const [allBefore, userBefore] = [all.events.length, user.events.length];
      await client.appendToStream(name, [event('$SystemLike'), event('Live')]);
      await user.untilEvents(userBefore + 1);
      expect(user.events.at(-1)!.event).toMatchObject({ streamId: name, type: 'Live' });
      await all.untilEvents(allBefore + 2);
      expect(all.events.slice(-2).map((e) => e.event?.type)).toEqual(['$SystemLike', 'Live']);
    });

    it('subscribeToAll from a position starts strictly after it', async () => {
      const name = stream();
      await client.appendToStream(name, [event('A'), event('B'), event('C')]);
      const own = (await readAllOf(client.readStream(name))).map((e) => e.event!);
      const sub = watch<AllStreamResolvedEvent>(client.subscribeToAll({ fromPosition: own[0].position! }));
      await sub.untilCaughtUp();
      expect(sub.events.filter((e) => e.event?.streamId === name).map((e) => e.event?.type)).toEqual(['B', 'C']);
    });

    it('filtered subscriptions send checkpoints: when the window is exhausted and on catching up', async () => {
      const name = stream('audit');
      await client.appendToStream(name, [event('X'), event('Y'), event('Z')]);
      const checkpoints: Position[] = [];
      const sub = watch(
        client.subscribeToAll({
          filter: streamNameFilter({
            prefixes: ['no-such-prefix-'],
            maxSearchWindow: 2,
            checkpointInterval: 1,
            checkpointReached: (_s, position) => {
              checkpoints.push(position);
            },
          }),
        }),
      );
      await sub.untilCaughtUp();
      expect(sub.events).toEqual([]);
      const head = (await readAllOf(client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 })))[0].event!.position!;
      // Every second considered record, then the head of the log when caught up.
      expect(checkpoints.length).toBeGreaterThanOrEqual(2);
      expect(checkpoints.at(-1)).toEqual(head);
      const commits = checkpoints.map((p) => p.commit);
      expect(commits.slice(1).every((c, i) => c > commits[i])).toBe(true);

      // Live: two more considered records make another checkpoint.
      const count = checkpoints.length;
      await client.appendToStream(name, [event(), event()]);
      await within(
        (async () => {
          while (checkpoints.length === count) await new Promise((r) => setTimeout(r, 10));
        })(),
        'a live checkpoint',
      );
    });

    it('an event type filter with a regex', async () => {
      const name = stream();
      const sub = watch(client.subscribeToAll({ fromPosition: END, filter: eventTypeFilter({ regex: '^Permit(Granted|Revoked)$' }) }));
      await sub.untilCaughtUp();
      await client.appendToStream(name, [event('PermitRequested'), event('PermitGranted'), event('PermitRevoked')]);
      await sub.untilEvents(2);
      expect(sub.events.map((e) => e.event?.type)).toEqual(['PermitGranted', 'PermitRevoked']);
    });
  });

  describe('deleteStream and tombstoneStream', () => {
    it('a deleted stream reads as not found; appending recreates it with revisions continuing', async () => {
      const name = stream();
      await client.appendToStream(name, [event('A'), event('B')]);
      const wrong = await rejectionOf(client.deleteStream(name, { expectedRevision: 0n }));
      expect(wrong).toBeInstanceOf(WrongExpectedVersionError);
      expect(wrong).toMatchObject({ streamName: name, expectedVersion: 0n, actualVersion: 1n });

      const deleted = await client.deleteStream(name, { expectedRevision: 1n });
      expect(deleted.position).toBeDefined();
      await expect(readAllOf(client.readStream(name))).rejects.toBeInstanceOf(StreamNotFoundError);
      const metadataEvent = await readAllOf(client.readStream(`$$${name}`, { direction: BACKWARDS, fromRevision: END, maxCount: 1 }));
      // Int64.MaxValue as JSON: parsed, it is the double 2^63.
      expect(metadataEvent[0].event).toMatchObject({ type: '$metadata', data: { $tb: 2 ** 63 } });

      const recreated = await client.appendToStream(name, event('C'), { expectedRevision: 1n });
      expect(recreated.nextExpectedRevision).toBe(2n);
      const events = await readAllOf(client.readStream(name));
      expect(events.map((e) => [e.event?.type, e.event?.revision])).toEqual([['C', 2n]]);
    });

    it('a tombstoned stream refuses appends and reads with StreamDeletedError', async () => {
      const name = stream();
      await client.appendToStream(name, event());
      const sub = watch(client.subscribeToStream(name));
      await sub.untilCaughtUp();

      await client.tombstoneStream(name, { expectedRevision: 0n });
      await sub.untilError();
      expect(sub.error).toBeInstanceOf(StreamDeletedError);

      const append = await rejectionOf(client.appendToStream(name, event()));
      expect(append).toBeInstanceOf(StreamDeletedError);
      expect(append).toMatchObject({ streamName: name });
      await expect(readAllOf(client.readStream(name))).rejects.toBeInstanceOf(StreamDeletedError);
      await expect(client.deleteStream(name)).rejects.toBeInstanceOf(StreamDeletedError);
      const tombstone = (await readAllOf(client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 5 }))).find(
        (e) => e.event?.streamId === name && e.event.type === '$streamDeleted',
      );
      expect(tombstone?.event?.revision).toBe(9223372036854775807n);
    });

    it('a live stream subscription carries on past a soft delete and the recreation', async () => {
      const name = stream();
      await client.appendToStream(name, event('A'));
      const sub = watch(client.subscribeToStream(name));
      await sub.untilEvents(1);
      await client.deleteStream(name);
      await client.appendToStream(name, event('B'));
      await sub.untilEvents(2);
      expect(sub.events.map((e) => [e.event?.type, e.event?.revision])).toEqual([
        ['A', 0n],
        ['B', 1n],
      ]);
      expect(sub.error).toBeUndefined();
    });

    it('deleting a missing stream with expected no_stream works, with a revision fails in trailers', async () => {
      const name = stream();
      const error = await rejectionOf(client.tombstoneStream(name, { expectedRevision: 3n }));
      expect(error).toBeInstanceOf(WrongExpectedVersionError);
      // From trailers the client reads "-1" as a revision, not "no_stream": what the real server sends.
      expect(error).toMatchObject({ streamName: name, expectedVersion: 3n, actualVersion: -1n });
      await client.deleteStream(name, { expectedRevision: NO_STREAM });
    });
  });

  describe('raw protocol (what 6.2.1 never asks for)', () => {
    it('answers structured UUIDs when asked, and accepts structured ids on append', async () => {
      const raw = new streamsGrpc.StreamsClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
      try {
        const name = stream();
        const id = randomUUID();
        const hex = id.replace(/-/g, '');
        const structured = new sharedPb.UUID.Structured();
        structured.setMostSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`)).toString());
        structured.setLeastSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`)).toString());
        const uuid = new sharedPb.UUID();
        uuid.setStructured(structured);

        await new Promise<void>((resolve, reject) => {
          const sink = raw.append((error, response) => {
            if (error) return reject(error);
            expect(response.getSuccess()?.getCurrentRevision()).toBe('0');
            resolve();
          });
          const header = new streamsPb.AppendReq();
          const options = new streamsPb.AppendReq.Options();
          const identifier = new sharedPb.StreamIdentifier();
          identifier.setStreamName(new TextEncoder().encode(name));
          options.setStreamIdentifier(identifier);
          options.setNoStream(new sharedPb.Empty());
          header.setOptions(options);
          sink.write(header);
          const message = new streamsPb.AppendReq.ProposedMessage();
          message.setId(uuid);
          message.getMetadataMap().set('type', 'Structured');
          message.getMetadataMap().set('content-type', 'application/json');
          message.setData(new TextEncoder().encode('{}'));
          const entry = new streamsPb.AppendReq();
          entry.setProposedMessage(message);
          sink.write(entry);
          sink.end();
        });

        const request = new streamsPb.ReadReq();
        const options = new streamsPb.ReadReq.Options();
        const streamOptions = new streamsPb.ReadReq.Options.StreamOptions();
        const identifier = new sharedPb.StreamIdentifier();
        identifier.setStreamName(new TextEncoder().encode(name));
        streamOptions.setStreamIdentifier(identifier);
        streamOptions.setStart(new sharedPb.Empty());
        options.setStream(streamOptions);
        options.setCount('10');
        options.setNoFilter(new sharedPb.Empty());
        const uuidOption = new streamsPb.ReadReq.Options.UUIDOption();
        uuidOption.setStructured(new sharedPb.Empty());
        options.setUuidOption(uuidOption);
        request.setOptions(options);
        const responses = await readAllOf<StreamsPb.ReadResp>(raw.read(request));
        const recorded = responses[0].getEvent()!.getEvent()!;
        expect(recorded.getId()!.hasStructured()).toBe(true);
        expect(recorded.getId()!.getStructured()!.toObject()).toEqual(structured.toObject());
        // And the client, asking for strings, gets the canonical form back.
        expect((await readAllOf(client.readStream(name)))[0].event?.id).toBe(id);
      } finally {
        raw.close();
      }
    });
  });
});

describe('EsdbTestServer outages', () => {
  it('logs every request through the log option', async () => {
    const lines: string[] = [];
    const server = await EsdbTestServer.start({ log: (line) => lines.push(line) });
    const client = EventStoreDBClient.connectionString(server.connectionString);
    try {
      await client.appendToStream('logged', event());
      await readAllOf(client.readStream('logged'));
      expect(lines.some((l) => l.includes('Streams.BatchAppend logged'))).toBe(true);
      expect(lines.some((l) => l.includes('Streams.Read logged'))).toBe(true);
      expect(lines.some((l) => l.includes('GetSupportedMethods'))).toBe(true);
    } finally {
      await client.dispose();
      await server.close();
    }
  });

  it('stop() makes calls fail; restart() serves the same data on the same port', async () => {
    const server = await EsdbTestServer.start();
    const client = EventStoreDBClient.connectionString(server.connectionString);
    try {
      const name = stream();
      await client.appendToStream(name, [event('A'), event('B')]);
      const sub = watch(client.subscribeToStream(name));
      await sub.untilCaughtUp();
      const port = server.port;

      await server.stop();
      await sub.untilError();
      expect(sub.error).toBeInstanceOf(UnavailableError);
      await expect(readAllOf(client.readStream(name))).rejects.toBeInstanceOf(UnavailableError);
      await expect(client.deleteStream(name)).rejects.toBeInstanceOf(UnavailableError);
      // Client 6.2.1 quirk: appendToStream first re-fetches the server features (the failures above reset
      // them) and rejects with that call's raw grpc error, not an UnavailableError.
      const append = await rejectionOf(client.appendToStream(name, event('C')));
      expect(append).not.toBeInstanceOf(UnavailableError);
      expect(append).toMatchObject({ code: grpc.status.UNAVAILABLE });

      await server.restart();
      expect(server.port).toBe(port);
      const events = await readAllOf(client.readStream(name));
      expect(events.map((e) => e.event?.type)).toEqual(['A', 'B']);
      const result = await client.appendToStream(name, event('C'), { expectedRevision: 1n });
      expect(result.nextExpectedRevision).toBe(2n);
    } finally {
      await client.dispose();
      await server.close();
    }
  });

  it('dropSubscriptions() ends open subscriptions with UnavailableError; new ones work', async () => {
    const server = await EsdbTestServer.start();
    const client = EventStoreDBClient.connectionString(server.connectionString);
    try {
      const name = stream();
      const onStream = watch(client.subscribeToStream(name));
      const onAll = watch(client.subscribeToAll({ filter: excludeSystemEvents() }));
      await onStream.untilCaughtUp();
      await onAll.untilCaughtUp();

      server.dropSubscriptions();
      await onStream.untilError();
      await onAll.untilError();
      expect(onStream.error).toBeInstanceOf(UnavailableError);
      expect(onAll.error).toBeInstanceOf(UnavailableError);

      const again = watch(client.subscribeToStream(name));
      await client.appendToStream(name, event('AfterElection'));
      await again.untilEvents(1);
      expect(again.events[0].event?.type).toBe('AfterElection');
    } finally {
      await client.dispose();
      await server.close();
    }
  });
});
