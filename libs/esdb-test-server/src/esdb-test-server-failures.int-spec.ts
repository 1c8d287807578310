/**
 * EsdbTestServer: the BatchAppend wire protocol, ServerFeatures, and the real server's failure modes
 * (write timeouts that may have written, slow commits, dropped connections, lagging followers), injected
 * deterministically and seen through the real @eventstore/db-client 6.2.1 and raw gRPC.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  BACKWARDS,
  DeadlineExceededError,
  END,
  EventStoreDBClient,
  NO_STREAM,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
  type AppendResult,
} from '@eventstore/db-client';
import grpc from '@grpc/grpc-js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import type * as StreamsPb from '@eventstore/db-client/generated/streams_pb.js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import type * as SharedPb from '@eventstore/db-client/generated/shared_pb.js';
import serverFeaturesGrpc from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js';
import type * as SupportedMethodsPb from '@eventstore/db-client/generated/serverfeatures_pb.js';
import timestampPb from 'google-protobuf/google/protobuf/timestamp_pb.js';
import { EsdbTestServer, type EsdbTestServerOptions } from './esdb-test-server.js';
import { FaultInjector } from './faults.js';
import { event, readAllOf, rejectionOf, stream, until, watch } from './spec-helpers.js';

const encoder = new TextEncoder();

/** Servers and clients opened by a test, closed after it. */
const opened: Array<{ close(): Promise<void> }> = [];
async function open(options: EsdbTestServerOptions = {}) {
  const server = await EsdbTestServer.start(options);
  const client = EventStoreDBClient.connectionString(server.connectionString);
  opened.push({ close: () => client.dispose() }, server);
  return { server, client };
}
afterEach(async () => {
  for (const resource of opened.splice(0).reverse()) await resource.close();
});

const copiesOf = (server: EsdbTestServer, id: string) => server.records.filter((r) => r.id === id).length;

// --- raw gRPC ---

function getSupportedMethods(port: number): Promise<SupportedMethodsPb.SupportedMethods> {
  const raw = new serverFeaturesGrpc.ServerFeaturesClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise<SupportedMethodsPb.SupportedMethods>((resolve, reject) =>
    raw.getSupportedMethods(new sharedPb.Empty(), (error, response) => (error ? reject(error) : resolve(response))),
  ).finally(() => raw.close());
}

function correlation(id = randomUUID()): SharedPb.UUID {
  const uuid = new sharedPb.UUID();
  uuid.setString(id);
  return uuid;
}

function proposed(type: string, id = randomUUID()): StreamsPb.BatchAppendReq.ProposedMessage {
  const message = new streamsPb.BatchAppendReq.ProposedMessage();
  message.setId(correlation(id));
  message.getMetadataMap().set('type', type);
  message.getMetadataMap().set('content-type', 'application/json');
  message.setData(encoder.encode('{}'));
  return message;
}

function batchRequest(
  correlationId: SharedPb.UUID,
  messages: StreamsPb.BatchAppendReq.ProposedMessage[],
  isFinal: boolean,
  options?: { stream: string; deadline?: Date; noStream?: boolean },
): StreamsPb.BatchAppendReq {
  const request = new streamsPb.BatchAppendReq();
  request.setCorrelationId(correlationId);
  request.setProposedMessagesList(messages);
  request.setIsFinal(isFinal);
  if (options) {
    const batchOptions = new streamsPb.BatchAppendReq.Options();
    const identifier = new sharedPb.StreamIdentifier();
    identifier.setStreamName(encoder.encode(options.stream));
    batchOptions.setStreamIdentifier(identifier);
    if (options.noStream) batchOptions.setNoStream(new sharedPb.Empty());
    else batchOptions.setAny(new sharedPb.Empty());
    if (options.deadline) batchOptions.setDeadline(timestampPb.Timestamp.fromDate(options.deadline));
    request.setOptions(batchOptions);
  }
  return request;
}

/** A raw BatchAppend call: send requests, collect answers. */
function rawBatchAppend(port: number) {
  const raw = new streamsGrpc.StreamsClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = raw.batchAppend();
  const responses: StreamsPb.BatchAppendResp[] = [];
  call.on('data', (response: StreamsPb.BatchAppendResp) => responses.push(response));
  call.on('error', () => undefined);
  return {
    responses,
    send: (request: StreamsPb.BatchAppendReq) => call.write(request),
    close: () => {
      call.cancel();
      raw.close();
    },
  };
}

describe('ServerFeatures', () => {
  it('reports the version and lists BatchAppend (with the features a 25.0 server attaches)', async () => {
    const { server } = await open();
    const features = await getSupportedMethods(server.port);
    expect(features.getEventStoreServerVersion()).toBe('25.0.0');
    const methods = features.getMethodsList().map((m) => [m.getServiceName(), m.getMethodName(), m.getFeaturesList()]);
    expect(methods).toContainEqual(['event_store.client.streams.streams', 'batchappend', ['deadline_duration']]);
    expect(methods).toContainEqual(['event_store.client.streams.streams', 'read', ['position', 'events']]);
    expect(methods).toContainEqual(['event_store.client.streams.streams', 'append', []]);
    expect(server.callCounts()['ServerFeatures.GetSupportedMethods']).toBe(1);
  });

  it('batchAppend: false leaves BatchAppend out of the list, and the call answers UNIMPLEMENTED', async () => {
    const { server, client } = await open({ batchAppend: false, version: '24.10.3' });
    const features = await getSupportedMethods(server.port);
    expect(features.getEventStoreServerVersion()).toBe('24.10.3');
    expect(features.getMethodsList().map((m) => m.getMethodName())).not.toContain('batchappend');

    const raw = new streamsGrpc.StreamsClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    try {
      const status = await new Promise<grpc.ServiceError>((resolve) => {
        const call = raw.batchAppend();
        call.on('error', resolve);
        call.on('data', () => undefined);
        call.write(batchRequest(correlation(), [proposed('X')], true, { stream: stream() }));
      });
      expect(status.code).toBe(grpc.status.UNIMPLEMENTED);
    } finally {
      raw.close();
    }
    // And the client, told the truth, uses plain Append.
    await client.appendToStream(stream(), event());
    expect(server.callCounts()['Streams.Append']).toBe(1);
    expect(server.callCounts()['Streams.BatchAppend']).toBeUndefined();
  });
});

describe('BatchAppend on the wire', () => {
  it('one call carries interleaved appends, events across several messages, each answered on its own', async () => {
    const { server } = await open();
    const raw = rawBatchAppend(server.port);
    try {
      const [first, second] = [stream(), stream()];
      const [one, two] = [correlation(), correlation()];
      const deadline = new Date(Date.now() + 10_000);
      raw.send(batchRequest(one, [proposed('A1')], false, { stream: first, deadline, noStream: true }));
      raw.send(batchRequest(two, [proposed('B1')], true, { stream: second, deadline }));
      raw.send(batchRequest(one, [proposed('A2'), proposed('A3')], true));
      await until(() => raw.responses.length === 2, 'two answers');

      const [answerTwo, answerOne] = raw.responses;
      expect(answerTwo.getCorrelationId()!.getString()).toBe(two.getString());
      expect(answerOne.getCorrelationId()!.getString()).toBe(one.getString());
      expect(new TextDecoder().decode(answerOne.getStreamIdentifier()!.getStreamName_asU8())).toBe(first);
      expect(answerOne.getSuccess()!.getCurrentRevision()).toBe('2');
      expect(answerOne.getSuccess()!.hasPosition()).toBe(true);
      // The real server never fills the response's expected_* fields.
      expect(answerOne.getExpectedStreamPositionCase()).toBe(0);
      expect(server.records.filter((r) => r.streamName === first).map((r) => r.type)).toEqual(['A1', 'A2', 'A3']);
      expect(server.callCounts()['Streams.BatchAppend']).toBe(2);
    } finally {
      raw.close();
    }
  });

  it('a wrong expected version is an ALREADY_EXISTS Status with a WrongExpectedVersion detail', async () => {
    const { server } = await open();
    const raw = rawBatchAppend(server.port);
    try {
      const name = stream();
      raw.send(batchRequest(correlation(), [proposed('A')], true, { stream: name }));
      raw.send(batchRequest(correlation(), [proposed('B')], true, { stream: name, noStream: true }));
      await until(() => raw.responses.length === 2, 'two answers');
      const error = raw.responses[1].getError()!;
      expect(error.getCode()).toBe(6);
      expect(error.getMessage()).toBe('WrongExpectedVersion');
      const detail = error
        .getDetails()!
        .unpack(sharedPb.WrongExpectedVersion.deserializeBinary, 'event_store.client.WrongExpectedVersion')!;
      expect(detail.getCurrentStreamRevision()).toBe('0');
      expect(detail.hasExpectedNoStream()).toBe(true);
    } finally {
      raw.close();
    }
  });

  it('a deadline already passed is answered Timeout at once, and nothing of that append is written', async () => {
    const { server } = await open();
    const raw = rawBatchAppend(server.port);
    try {
      const name = stream();
      const late = correlation();
      raw.send(batchRequest(late, [proposed('Late')], false, { stream: name, deadline: new Date(Date.now() - 1_000) }));
      raw.send(batchRequest(late, [proposed('Ignored')], true));
      await until(() => raw.responses.length === 1, 'the Timeout answer');
      const error = raw.responses[0].getError()!;
      expect(error.getCode()).toBe(4); // DEADLINE_EXCEEDED
      expect(error.getDetails()!.getTypeName()).toBe('event_store.client.Timeout');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(raw.responses).toHaveLength(1);
      expect(server.records.some((r) => r.streamName === name)).toBe(false);
    } finally {
      raw.close();
    }
  });

  it('an append whose final message does not come before its deadline is answered Timeout', async () => {
    const { server } = await open();
    const raw = rawBatchAppend(server.port);
    try {
      const name = stream();
      raw.send(batchRequest(correlation(), [proposed('Open')], false, { stream: name, deadline: new Date(Date.now() + 100) }));
      await until(() => raw.responses.length === 1, 'the Timeout answer');
      expect(raw.responses[0].getError()!.getCode()).toBe(4);
      expect(server.records.some((r) => r.streamName === name)).toBe(false);
    } finally {
      raw.close();
    }
  });
});

describe('subscriptions and the server version', () => {
  it.each([
    ['25.0.0', true],
    ['23.10.0', true],
    ['23.6.0', false],
  ])('version %s sends CaughtUp: %s', async (version, sendsCaughtUp) => {
    const { client } = await open({ version });
    const name = stream();
    await client.appendToStream(name, [event('A'), event('B')]);
    const sub = watch(client.subscribeToStream(name));
    const all = watch(client.subscribeToAll({ fromPosition: END }));
    await sub.untilEvents(2);
    await client.appendToStream(name, event('Live'));
    await sub.untilEvents(3);
    await all.untilEvents(1);
    expect(sub.order.includes('caughtUp')).toBe(sendsCaughtUp);
    expect(all.order.includes('caughtUp')).toBe(sendsCaughtUp);
    if (sendsCaughtUp) expect(sub.order).toEqual(['event:A', 'event:B', 'caughtUp', 'event:Live']);
  });
});

describe('ambiguous writes (write timeout after the write)', () => {
  it('BatchAppend: DeadlineExceededError, yet the events are in the log; the retry at the same revision writes nothing more', async () => {
    const { server, client } = await open({ faults: { seed: 1, ambiguous: 1 } });
    const name = stream();
    const id = randomUUID();
    const error = await rejectionOf(client.appendToStream(name, event('A', {}, id), { expectedRevision: NO_STREAM }));
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(copiesOf(server, id)).toBe(1);
    expect(server.faultCounts).toEqual({ ambiguous: 1, late: 0, dropped: 0 });

    server.setFaults(undefined);
    const retry = await client.appendToStream(name, event('A', {}, id), { expectedRevision: NO_STREAM });
    expect(retry.nextExpectedRevision).toBe(0n);
    expect(copiesOf(server, id)).toBe(1);

    // A resend at the revision just read is no retry to the server: the same id is written again.
    const current = (await readAllOf(client.readStream(name, { direction: BACKWARDS, fromRevision: END, maxCount: 1 })))[0];
    await client.appendToStream(name, event('A', {}, id), { expectedRevision: current.event!.revision });
    expect(copiesOf(server, id)).toBe(2);
  });

  it('Append: TimeoutError (type timeout), yet the events are in the log', async () => {
    const { server, client } = await open({ batchAppend: false, faults: { seed: 1, ambiguous: 1 } });
    const id = randomUUID();
    const error = await rejectionOf(client.appendToStream(stream(), event('A', {}, id)));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ type: 'timeout' });
    expect(copiesOf(server, id)).toBe(1);
  });
});

describe('late writes (written at once, answered with the timeout, committed a little later)', () => {
  /** Every append late, committed 1 s after it was written: a window wide enough to look into. */
  const LATE = { seed: 7, late: 1, lateCommitMs: 1_000 };
  const typesOf = (events: Array<{ event?: { type: string } }>) => events.map((e) => e.event?.type);

  it.each([true, false])(
    'batchAppend %s: the timeout is seen; the events are in the log at once, readable once committed',
    async (batchAppend) => {
      const { server, client } = await open({ batchAppend, faults: { seed: 7, late: 1 } });
      const name = stream();
      const id = randomUUID();
      const error = await rejectionOf(client.appendToStream(name, event('A', {}, id)));
      expect(error).toBeInstanceOf(batchAppend ? DeadlineExceededError : TimeoutError);
      expect(copiesOf(server, id)).toBe(1);
      expect(server.faultCounts.late).toBe(1);
      await watch(client.subscribeToStream(name)).untilEvents(1);
    },
  );

  it.each([true, false])(
    'batchAppend %s: a competing write at the same revision gets WrongExpectedVersion naming the pending revision',
    async (batchAppend) => {
      const { server, client } = await open({ batchAppend });
      const name = stream();
      await client.appendToStream(name, event('A'));
      server.setFaults(LATE);
      await rejectionOf(client.appendToStream(name, event('B'), { expectedRevision: 0n }));
      server.setFaults(undefined);

      const error = await rejectionOf(client.appendToStream(name, event('C'), { expectedRevision: 0n }));
      expect(error).toBeInstanceOf(WrongExpectedVersionError);
      expect(error).toMatchObject({ expectedVersion: 0n, actualVersion: 1n });
      // Though a read does not show revision 1 yet. Not counted as a fault, and nothing written.
      expect(typesOf(await readAllOf(client.readStream(name)))).toEqual(['A']);
      expect(server.faultCounts.late).toBe(1);
      expect(server.records.filter((r) => r.streamName === name).map((r) => r.type)).toEqual(['A', 'B']);
    },
  );

  it.each([true, false])(
    'batchAppend %s: a resend of the same ids times out while pending, and is idempotent once committed',
    async (batchAppend) => {
      const { server, client } = await open({ batchAppend, faults: LATE });
      const name = stream();
      const id = randomUUID();
      await rejectionOf(client.appendToStream(name, event('A', {}, id), { expectedRevision: NO_STREAM }));
      server.setFaults(undefined);

      const resend = await rejectionOf(client.appendToStream(name, event('A', {}, id), { expectedRevision: NO_STREAM }));
      expect(resend).toBeInstanceOf(batchAppend ? DeadlineExceededError : TimeoutError);
      await watch(client.subscribeToStream(name)).untilEvents(1);
      const retry = await client.appendToStream(name, event('A', {}, id), { expectedRevision: NO_STREAM });
      expect(retry.nextExpectedRevision).toBe(0n);
      expect(copiesOf(server, id)).toBe(1);
    },
  );

  it('reads and subscriptions see nothing from the pending write on; appends after it are answered once it commits', async () => {
    const { server, client } = await open();
    const [name, other] = [stream(), stream()];
    await client.appendToStream(name, event('A'));
    const all = watch(client.subscribeToAll({ fromPosition: END }));
    await all.untilCaughtUp();
    server.setFaults(LATE);
    await rejectionOf(client.appendToStream(name, event('B'), { expectedRevision: 0n }));
    server.setFaults(undefined);

    let answered = false;
    const otherAppend = client.appendToStream(other, event('C')).finally(() => {
      answered = true;
    });
    await until(() => server.records.some((r) => r.streamName === other), 'the other append written');
    // The pending write and everything after it, in any stream, are invisible.
    expect(typesOf(await readAllOf(client.readStream(name)))).toEqual(['A']);
    await expect(readAllOf(client.readStream(other))).rejects.toBeInstanceOf(StreamNotFoundError);
    const [last] = await readAllOf(client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }));
    expect(last.event).toMatchObject({ streamId: name, type: 'A' });
    expect(all.events).toHaveLength(0);
    expect(answered).toBe(false);

    // Answered only after the commit: by then the pending write is readable, and in log order before it.
    const result = await otherAppend;
    expect(typesOf(await readAllOf(client.readStream(name)))).toEqual(['A', 'B']);
    await all.untilEvents(2);
    expect(typesOf(all.events)).toEqual(['B', 'C']);
    expect(result.position!.commit).toBe(all.events[1].event!.position.commit);
    expect(all.events[0].event!.position.commit).toBeLessThan(result.position!.commit);
  });
});

describe('dropped connections', () => {
  /** A seed whose first append decision is a drop and the next `rest` are not. */
  function seedDroppingFirstOnly(drop: number, rest: number): number {
    for (let seed = 1; ; seed++) {
      const injector = new FaultInjector({ seed, drop });
      const decisions = Array.from({ length: rest + 1 }, () => injector.nextAppend().kind);
      if (decisions[0] === 'drop' && decisions.slice(1).every((kind) => kind === 'none')) return seed;
    }
  }

  it('BatchAppend: one drop fails the whole call, so every append in flight on it fails', async () => {
    const seed = seedDroppingFirstOnly(0.3, 3);
    const { server, client } = await open();
    await client.appendToStream(stream(), event()); // Opens the shared BatchAppend call.
    server.setFaults({ seed, drop: 0.3 }); // The PRNG starts from the seed here.

    const ids = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const results = await Promise.allSettled(ids.map((id) => client.appendToStream(stream(), event('X', {}, id))));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    for (const result of results) expect((result as PromiseRejectedResult).reason).toBeInstanceOf(UnavailableError);
    // Only the first was decided a drop; the others were lost with the call, never written.
    expect(server.faultCounts.dropped).toBe(1);
    for (const id of ids.slice(1)) expect(copiesOf(server, id)).toBe(0);

    // The client reconnects on its next call.
    server.setFaults(undefined);
    const after: AppendResult = await client.appendToStream(stream(), event());
    expect(after.success).toBe(true);
  });

  it('Append: the client sees UnavailableError; the write may or may not have happened', async () => {
    const { server, client } = await open({ batchAppend: false, faults: { seed: 5, drop: 1 } });
    const ids = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    for (const id of ids) {
      expect(await rejectionOf(client.appendToStream(stream(), event('X', {}, id)))).toBeInstanceOf(UnavailableError);
    }
    const written = ids.filter((id) => copiesOf(server, id) === 1).length;
    // 50/50 before or after the write: with this seed, some of each.
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(ids.length);
    expect(server.faultCounts.dropped).toBe(ids.length);
  });

  it('Read: UnavailableError; subscriptions are never dropped by faults', async () => {
    const { server, client } = await open();
    const name = stream();
    await client.appendToStream(name, event('A'));
    const sub = watch(client.subscribeToStream(name));
    await sub.untilCaughtUp();

    server.setFaults({ seed: 1, drop: 1 });
    await expect(readAllOf(client.readStream(name))).rejects.toBeInstanceOf(UnavailableError);
    const again = watch(client.subscribeToStream(name));
    await again.untilCaughtUp();
    server.setFaults(undefined);
    expect((await readAllOf(client.readStream(name))).map((e) => e.event?.type)).toEqual(['A']);
    expect(sub.error).toBeUndefined();
    expect(again.error).toBeUndefined();
  });
});

describe('determinism', () => {
  async function outcomes(seed: number): Promise<string[]> {
    const { server, client } = await open({ batchAppend: false, faults: { seed, ambiguous: 0.25, late: 0.25, drop: 0.2 } });
    const seen: string[] = [];
    for (let i = 0; i < 20; i++) {
      try {
        await client.appendToStream(stream(), event());
        seen.push('ok');
      } catch (error) {
        seen.push((error as { type?: string }).type ?? 'other');
      }
    }
    expect(server.faultCounts.ambiguous + server.faultCounts.late + server.faultCounts.dropped).toBe(seen.filter((s) => s !== 'ok').length);
    return seen;
  }

  it('the same seed and the same calls give the same faults; another seed, others', async () => {
    const first = await outcomes(42);
    expect(new Set(first)).toEqual(new Set(['ok', 'timeout', 'unavailable']));
    expect(await outcomes(42)).toEqual(first);
    expect(await outcomes(43)).not.toEqual(first);
  });
});

describe('follower lag', () => {
  it('a read without requiresLeader misses the newest records; with it, sees them all', async () => {
    const { server, client } = await open();
    const name = stream();
    await client.appendToStream(name, [event('A'), event('B'), event('C')]);
    server.setFollowerLag(2);

    const stale = await readAllOf(client.readStream(name));
    expect(stale.map((e) => e.event?.type)).toEqual(['A']);
    const fresh = await readAllOf(client.readStream(name, { requiresLeader: true }));
    expect(fresh.map((e) => e.event?.type)).toEqual(['A', 'B', 'C']);

    const lastOnFollower = await readAllOf(client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }));
    expect(lastOnFollower[0].event).toMatchObject({ streamId: name, type: 'A' });
    const lastOnLeader = await readAllOf(client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1, requiresLeader: true }));
    expect(lastOnLeader[0].event).toMatchObject({ streamId: name, type: 'C' });

    // A stream the follower has not seen yet does not exist there.
    const newer = stream();
    await client.appendToStream(newer, event('New'));
    await expect(readAllOf(client.readStream(newer))).rejects.toBeInstanceOf(StreamNotFoundError);

    server.setFollowerLag(undefined);
    expect(await readAllOf(client.readStream(newer))).toHaveLength(1);
  });
});

describe('callCounts', () => {
  it('counts calls by method (BatchAppend once per append carried); resetCallCounts() clears them', async () => {
    const { server, client } = await open();
    const name = stream();
    await Promise.all([
      client.appendToStream(name, event()),
      client.appendToStream(stream(), event()),
      client.appendToStream(stream(), event()),
    ]);
    await readAllOf(client.readStream(name));
    const sub = watch(client.subscribeToStream(name));
    await sub.untilCaughtUp();
    await client.deleteStream(name);
    await client.tombstoneStream(stream());
    expect(server.callCounts()).toEqual({
      'ServerFeatures.GetSupportedMethods': 1,
      'Streams.BatchAppend': 3,
      'Streams.Read': 1,
      'Streams.Subscribe': 1,
      'Streams.Delete': 1,
      'Streams.Tombstone': 1,
    });
    server.resetCallCounts();
    expect(server.callCounts()).toEqual({});
  });
});
