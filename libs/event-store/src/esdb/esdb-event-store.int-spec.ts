import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { EsdbTestServer } from '@permit-ledger/esdb-test-server';
import { eventStoreContract, newEvent, uniqueStream } from '../contract/event-store.contract.js';
import { StoreUnavailableError, WrongExpectedRevisionError } from '../port/errors.js';
import type { AppendResult } from '../port/port.js';
import { EsdbEventStore, UnsupportedServerError } from './esdb-event-store.js';

/**
 * The store contract on EventStoreDB: against a real server when EVENTSTORE_CONNECTION_STRING is set
 * (the parity check), otherwise against the in-process wire-level test server, through the real client
 * — once as it is, once with faults on (appends written then timed out, timed out then committed
 * later, dropped calls), which the adapter must settle so that the contract still holds.
 */
const real = process.env.EVENTSTORE_CONNECTION_STRING;
const FAULTS = { seed: 7, ambiguous: 0.08, late: 0.08, drop: 0.05 };
let server: EsdbTestServer | undefined;
let faulty: EsdbTestServer | undefined;

beforeAll(async () => {
  if (real) return;
  server = await EsdbTestServer.start();
  faulty = await EsdbTestServer.start({ faults: FAULTS });
});
afterAll(async () => {
  await server?.close();
  await faulty?.close();
});

eventStoreContract(real ? 'esdb (real server)' : 'esdb (test server)', async () => {
  const store = EsdbEventStore.open({ connectionString: real ?? server!.connectionString });
  return { store, cleanup: () => store.close() };
});

if (!real) {
  eventStoreContract('esdb (test server, faults on)', async () => {
    const store = EsdbEventStore.open({ connectionString: faulty!.connectionString, retryDelayMs: 5 });
    return { store, cleanup: () => store.close() };
  });

  describe('EventStoreDB adapter through lost answers', () => {
    it('stores every acknowledged append once, and answers with the events as stored', async () => {
      const faults = await EsdbTestServer.start({ faults: { seed: 99, ambiguous: 0.2, late: 0.2, drop: 0.1 } });
      const store = EsdbEventStore.open({ connectionString: faults.connectionString, retryDelayMs: 5 });
      try {
        const streams = Array.from({ length: 8 }, () => uniqueStream());
        const answers: AppendResult[] = [];
        let unavailable = 0;
        // Eight writers, each appending to its own stream at the revision it last saw.
        await Promise.all(
          streams.map(async (stream) => {
            let revision = -1;
            let headHash: string | null = null;
            for (let i = 0; i < 10; i++) {
              try {
                const result = await store.append(
                  stream,
                  [newEvent('PermitAmended', { i }), newEvent('PermitAmended', { i, second: true })],
                  {
                    expectedRevision: revision === -1 ? 'no_stream' : revision,
                    headHash,
                  },
                );
                answers.push(result);
                revision = result.revision;
                headHash = result.events[1].hash;
              } catch (error) {
                // Could not tell (or a late commit of an earlier attempt got in first): the stream says what happened.
                expect(error instanceof StoreUnavailableError || error instanceof WrongExpectedRevisionError).toBe(true);
                unavailable++;
                const events = await store.readStream(stream);
                revision = events.at(-1)?.revision ?? -1;
                headHash = events.at(-1)?.hash ?? null;
              }
            }
          }),
        );
        faults.setFaults(undefined);
        await new Promise((resolve) => setTimeout(resolve, 60)); // let late commits land (or fail)
        const counts = faults.faultCounts;
        expect(counts.ambiguous + counts.late + counts.dropped).toBeGreaterThan(10);
        for (const answer of answers) {
          expect(await store.readStream(answer.stream, { fromRevision: answer.events[0].revision, maxCount: 2 })).toEqual(answer.events);
        }
        const all = await store.readAll();
        expect(new Set(all.map((e) => e.eventId)).size).toBe(all.length);
        for (const stream of streams) {
          const events = await store.readStream(stream);
          // Pairs, never a half or a second copy of one append.
          expect(events.length % 2).toBe(0);
          expect(events.length).toBeGreaterThanOrEqual(2 * answers.filter((a) => a.stream === stream).length);
        }
        expect(answers.length + unavailable).toBe(80);
      } finally {
        await store.close();
        await faults.close();
      }
    });

    it('refuses a server older than 22.10 by name, and accepts 22.10 to 25.0', async () => {
      for (const [version, supported] of [
        ['21.10.9', false],
        ['22.10.0', true],
        ['24.2.0', true],
        ['25.0.0', true],
      ] as const) {
        const server = await EsdbTestServer.start({ version });
        const store = EsdbEventStore.open({ connectionString: server.connectionString });
        try {
          if (supported) expect(await store.checkServer()).toBe(version);
          else {
            const error = await store.checkServer().catch((e: unknown) => e);
            expect(error).toBeInstanceOf(UnsupportedServerError);
            expect((error as Error).message).toContain(version);
            // Writes are refused too, not only the start: the store cannot be used (a 503, never a 500).
            const refused = await store.append(uniqueStream(), [newEvent()], { expectedRevision: 'no_stream' }).catch((e: unknown) => e);
            expect(refused).toBeInstanceOf(StoreUnavailableError);
            expect((refused as Error).message).toContain(version);
          }
        } finally {
          await store.close();
          await server.close();
        }
      }
    });

    it('tells a subscription caught up on a server that never sends CaughtUp (22.10), from the head it read', async () => {
      const server = await EsdbTestServer.start({ version: '22.10.0' });
      const store = EsdbEventStore.open({ connectionString: server.connectionString });
      try {
        const stream = uniqueStream();
        await store.append(stream, [newEvent(), newEvent(), newEvent()], { expectedRevision: 'no_stream' });
        const seen: number[] = [];
        let seenAtCaughtUp = -1;
        const caughtUp = new Promise<void>((resolve) => {
          const subscription = store.subscribeToAll((batch) => void seen.push(...batch.map((e) => e.revision)), {
            onCaughtUp: () => {
              seenAtCaughtUp = seen.length;
              resolve();
              void subscription.close();
            },
          });
        });
        await caughtUp;
        expect(seenAtCaughtUp).toBe(3);
      } finally {
        await store.close();
        await server.close();
      }
    });

    it("reports caught up only after the events before the server's CaughtUp were handled, under back-pressure", async () => {
      const busy = await EsdbTestServer.start();
      const store = EsdbEventStore.open({ connectionString: busy.connectionString });
      try {
        const stream = uniqueStream();
        for (let i = 0; i < 10; i++) {
          await store.append(
            stream,
            Array.from({ length: 20 }, (_, n) => newEvent('PermitAmended', { n })),
            {
              expectedRevision: i === 0 ? 'no_stream' : i * 20 - 1,
            },
          );
        }
        let handled = 0;
        const handledAtCaughtUp = await new Promise<number>((resolve) => {
          const subscription = store.subscribeToAll(
            async (batch) => {
              // A slow handler: the adapter pauses the client's stream, whose buffer then holds events.
              await new Promise((r) => setTimeout(r, 2));
              handled += batch.length;
            },
            {
              batchSize: 4,
              onCaughtUp: () => {
                resolve(handled);
                void subscription.close();
              },
            },
          );
        });
        expect(handledAtCaughtUp).toBe(200);
      } finally {
        await store.close();
        await busy.close();
      }
    });

    it('reads from the leader: a lagging follower never hides the head from a command', async () => {
      const lagging = await EsdbTestServer.start();
      const store = EsdbEventStore.open({ connectionString: lagging.connectionString });
      try {
        const stream = uniqueStream();
        await store.append(stream, [newEvent(), newEvent()], { expectedRevision: 'no_stream' });
        lagging.setFollowerLag(1);
        expect((await store.readStream(stream)).map((e) => e.revision)).toEqual([0, 1]);
        expect(await store.streamRevision(stream)).toBe(1);
      } finally {
        await store.close();
        await lagging.close();
      }
    });

    it('answers the head position with one short read per probe once it has seen the log', async () => {
      const quiet = await EsdbTestServer.start();
      const store = EsdbEventStore.open({ connectionString: quiet.connectionString });
      try {
        const written = await store.append(uniqueStream(), [newEvent()], { expectedRevision: 'no_stream' });
        expect(await store.headPosition()).toBe(written.position);
        quiet.resetCallCounts();
        expect(await store.headPosition()).toBe(written.position);
        expect(quiet.callCounts()['Streams.Read']).toBe(1);
        const later = await store.append(`other-${randomUUID()}`, [newEvent()], { expectedRevision: 'no_stream' });
        expect(await store.headPosition()).toBe(later.position);
      } finally {
        await store.close();
        await quiet.close();
      }
    });
  });
}
