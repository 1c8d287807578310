import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EVENT_STORE, type EventStore } from '@permit-ledger/event-store';
import { permitStream } from '@permit-ledger/permits';
import { permitBody, suspendBody } from './testing/bodies.js';
import { startTestApp, type TestApp } from './testing/test-app.js';

/**
 * Races through the real HTTP app in-process: parallel requests on distinct and on the same
 * permits; what is acknowledged is stored, what is refused wrote nothing, revisions stay contiguous.
 */
describe('reliability under concurrent requests (app in-process, SQLite)', () => {
  let t: TestApp;
  let store: EventStore;
  let officer: string;
  let minister: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '1000000' } });
    store = t.app.get<EventStore>(EVENT_STORE);
    officer = await t.token('officer', 'officer-race');
    minister = await t.token('minister', 'minister-race');
  });
  afterAll(async () => {
    await t.close();
  });

  const post = (path: string, token: string, body: unknown, headers: Record<string, string> = {}) =>
    t
      .http()
      .post(`/api/v1${path}`)
      .set('Authorization', `Bearer ${token}`)
      .set(headers)
      .send(body as object);

  async function expectContiguous(permitNumber: string, length: number) {
    const events = await store.readStream(permitStream(permitNumber));
    expect(events.map((e) => e.revision)).toEqual(Array.from({ length }, (_, i) => i));
    for (let i = 1; i < events.length; i++) expect(events[i].prevHash).toBe(events[i - 1].hash);
    return events;
  }

  it('issues 100 distinct permits in parallel: all 201, each stored once at revision 0', async () => {
    const before = await store.headPosition();
    const numbers = Array.from({ length: 100 }, (_, i) => `RACE-A-${String(i).padStart(4, '0')}`);
    const results = await Promise.all(numbers.map((n) => post('/permits', officer, permitBody(n))));
    expect(results.map((r) => r.status)).toEqual(Array(100).fill(201));
    for (const n of numbers) await expectContiguous(n, 1);
    expect(await store.headPosition()).toBe(before + 100);
    // Gap-free positions: the 100 acknowledged positions are exactly the next 100.
    const positions = results.map((r) => r.body.position as number).sort((a, b) => a - b);
    expect(positions).toEqual(Array.from({ length: 100 }, (_, i) => before + 1 + i));
  });

  it('issues one permit number 20 times in parallel: exactly one 201, the rest 409 PERMIT_ALREADY_EXISTS', async () => {
    const before = await store.headPosition();
    const results = await Promise.all(Array.from({ length: 20 }, () => post('/permits', officer, permitBody('RACE-B-0001'))));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, ...Array(19).fill(409)]);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.code).toBe('PERMIT_ALREADY_EXISTS');
    await expectContiguous('RACE-B-0001', 1);
    expect(await store.headPosition()).toBe(before + 1);
  });

  it('lands 50 concurrent amends of one permit: every acknowledged one is in the history, revisions contiguous', async () => {
    expect((await post('/permits', officer, permitBody('RACE-C-0001'))).status).toBe(201);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        post('/permits/RACE-C-0001/amend', officer, {
          changes: { conditions: [{ code: `COND-${i}`, text: `condition set by amendment ${i}` }] },
          reason: `amendment ${i}`,
          effectiveAt: '2019-06-01',
        }),
      ),
    );
    const acknowledged = results.filter((r) => r.status === 200);
    // Nothing else races this permit, so every amend is acknowledged (a refusal would need a reason).
    expect(results.filter((r) => r.status !== 200).map((r) => r.body)).toEqual([]);
    const events = await expectContiguous('RACE-C-0001', 1 + acknowledged.length);
    const byEventId = new Map(events.map((e) => [e.eventId, e]));
    for (const r of acknowledged) {
      const ack = r.body.events[0];
      const stored = byEventId.get(ack.eventId);
      expect(stored).toBeDefined();
      expect(stored!.revision).toBe(r.body.revision);
      expect(stored!.type).toBe('PermitAmended');
      expect(stored!.metadata.reason ?? stored!.data.reason).toBe(ack.reason ?? ack.data?.reason);
    }
    expect(new Set(acknowledged.map((r) => r.body.revision)).size).toBe(acknowledged.length);
  });

  it('50 suspends at the same If-Match: exactly one wins, the other 49 are 412 REVISION_MISMATCH and wrote nothing', async () => {
    expect((await post('/permits', officer, permitBody('RACE-D-0001'))).status).toBe(201);
    const before = await store.headPosition();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        post('/permits/RACE-D-0001/suspend', minister, suspendBody('2020-10-05', { reason: `suspension ${i}` }), { 'If-Match': '"0"' }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, ...Array(49).fill(412)]);
    for (const r of results.filter((x) => x.status === 412)) {
      expect(r.body.code).toBe('REVISION_MISMATCH');
      expect(r.headers.etag).toBe('"1"');
    }
    await expectContiguous('RACE-D-0001', 2);
    expect(await store.headPosition()).toBe(before + 1);
  });

  it('50 reinstates at the same If-Match: exactly one wins, the other 49 are 412', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        post('/permits/RACE-D-0001/reinstate', minister, suspendBody('2020-10-06', { reason: `reinstatement ${i}` }), {
          'If-Match': '"1"',
        }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, ...Array(49).fill(412)]);
    const events = await expectContiguous('RACE-D-0001', 3);
    expect(events.map((e) => e.type)).toEqual(['PermitIssued', 'PermitSuspended', 'PermitReinstated']);
  });
});
