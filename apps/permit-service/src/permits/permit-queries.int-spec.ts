import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { permitBody, suspendBody } from '../testing/bodies.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';
import { provideStore, STORE_KINDS, type ProvidedStore } from '../testing/stores.js';

describe.each(STORE_KINDS)('queries over HTTP on %s: projections, replay, verification, read-your-writes', (kind) => {
  let provided: ProvidedStore;
  let t: TestApp;
  let officer: string;
  let minister: string;
  let auditor: string;
  let viewer: string;
  let lastPosition = 0;

  beforeAll(async () => {
    provided = await provideStore(kind);
    t = await startTestApp({ env: provided.env });
    [officer, minister, auditor, viewer] = await Promise.all([
      t.token('officer'),
      t.token('minister'),
      t.token('auditor'),
      t.token('viewer'),
    ]);
    const send = async (path: string, token: string, body: object) => {
      const res = await t.http().post(`/api/v1${path}`).set('Authorization', `Bearer ${token}`).send(body);
      expect(res.status).toBeLessThan(300);
      lastPosition = res.body.position;
    };
    await send('/destinations/TR/measures', minister, {
      measureId: 'TR-2019-HALT',
      kind: 'issuance_suspended',
      reference: 'statement',
      reason: 'operation in Syria',
      effectiveAt: '2019-10-11',
    });
    for (let i = 1; i <= 7; i++) {
      const n = `EXP-18-00000${i}`;
      await send(
        '/permits',
        officer,
        permitBody(n, {
          destination: i <= 5 ? 'TR' : 'US',
          exporter: { name: i % 2 ? 'Northfield Optronics Inc.' : 'Kestrel Arms Components Ltd.' },
          items: [{ eclItem: i % 2 ? '2-15.a' : '2-1.a', description: 'goods', quantity: 1, unit: 'unit', valueCad: 1000 * i }],
          validFrom: '2018-06-01',
          expiresOn: '2022-03-19',
          effectiveAt: '2018-06-01',
        }),
      );
    }
    await send('/permits/EXP-18-000001/suspend', minister, suspendBody('2020-10-05', { decisionRef: 'MIN-2020-10-05' }));
    await send('/permits/EXP-18-000002/suspend', minister, suspendBody('2020-10-05', { decisionRef: 'MIN-2020-10-05' }));
    await send('/permits/EXP-18-000001/cancel', minister, suspendBody('2021-04-12', { decisionRef: 'MIN-2021-04-12' }));
  });
  afterAll(async () => {
    await t.close();
    await provided.close();
  });

  const get = (path: string, token: string) =>
    t.http().get(`/api/v1${path}`).set('Authorization', `Bearer ${token}`).set('X-Min-Position', String(lastPosition));

  it('lists status rows with filters and cursor paging', async () => {
    const tr = await get('/permits?destination=TR&limit=2', viewer);
    expect(tr.status).toBe(200);
    expect(tr.body.items.map((r: { permitNumber: string }) => r.permitNumber)).toEqual(['EXP-18-000001', 'EXP-18-000002']);
    const page2 = await get(`/permits?destination=TR&limit=2&cursor=${tr.body.nextCursor}`, viewer);
    const page3 = await get(`/permits?destination=TR&limit=2&cursor=${page2.body.nextCursor}`, viewer);
    expect(page2.body.items.map((r: { permitNumber: string }) => r.permitNumber)).toEqual(['EXP-18-000003', 'EXP-18-000004']);
    expect(page3.body).toEqual({ items: [expect.objectContaining({ permitNumber: 'EXP-18-000005' })], nextCursor: null });

    const suspended = await get('/permits?status=SUSPENDED', viewer);
    expect(suspended.body.items.map((r: { permitNumber: string }) => r.permitNumber)).toEqual(['EXP-18-000002']);
    const sensors = await get('/permits?eclItem=2-15&exporter=northfield', viewer);
    expect(sensors.body.items.map((r: { permitNumber: string }) => r.permitNumber)).toEqual([
      'EXP-18-000001',
      'EXP-18-000003',
      'EXP-18-000005',
      'EXP-18-000007',
    ]);
    const decided = await get('/permits?decisionRef=MIN-2020-10-05', viewer);
    expect(decided.body.items).toHaveLength(2);
  });

  it('answers 400 for a bad filter or cursor, naming it', async () => {
    const bad = await get('/permits?status=ALIVE&limit=0&color=red', viewer);
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['status', 'limit', 'color']));
    const cursor = await get('/permits?cursor=%%%', viewer);
    expect(cursor.status).toBe(400);
    expect(cursor.body.errors[0].field).toBe('cursor');
  });

  it('answers one permit with its ETag, and 404 for an unknown one', async () => {
    const res = await get('/permits/EXP-18-000001', viewer);
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('"2"');
    expect(res.body).toMatchObject({
      permitNumber: 'EXP-18-000001',
      status: 'CANCELLED',
      destination: 'TR',
      revision: 2,
      openReview: null,
      lastDecisionRef: 'MIN-2021-04-12',
      expiresOn: '2022-03-19',
      exporter: { name: 'Northfield Optronics Inc.' },
    });
    const unknown = await get('/permits/EXP-00-000000', viewer);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('PERMIT_NOT_FOUND');
  });

  it('answers a history with the whole envelope, oldest first, to auditors but not viewers', async () => {
    const res = await get('/permits/EXP-18-000001/history', auditor);
    expect(res.status).toBe(200);
    expect(res.body.permitNumber).toBe('EXP-18-000001');
    expect(res.body.events.map((e: { type: string }) => e.type)).toEqual(['PermitIssued', 'PermitSuspended', 'PermitCancelled']);
    expect(res.body.events[1]).toMatchObject({
      revision: 1,
      effectiveAt: '2020-10-05T00:00:00.000Z',
      actor: { role: 'minister' },
      legalBasis: 'EIPA s.10(1)',
      decisionRef: 'MIN-2020-10-05',
    });
    for (const field of ['recordedAt', 'position', 'correlationId', 'causationId', 'hash', 'data'])
      expect(res.body.events[0]).toHaveProperty(field);
    expect((await get('/permits/EXP-18-000001/history', viewer)).status).toBe(403);
  });

  it('rebuilds the state as of a date or a revision from the stream', async () => {
    const before = await get('/permits/EXP-18-000001/state?asOf=2020-10-04', auditor);
    expect(before.body).toMatchObject({ status: 'ISSUED', revision: 0 });
    const after = await get('/permits/EXP-18-000001/state?asOf=2020-10-06', auditor);
    expect(after.body).toMatchObject({ status: 'SUSPENDED', revision: 1 });
    const sameDay = await get('/permits/EXP-18-000001/state?asOf=2020-10-05', auditor);
    expect(sameDay.body.status).toBe('SUSPENDED');
    const exact = await get('/permits/EXP-18-000001/state?asOf=2020-10-04T23:59:59Z', auditor);
    expect(exact.body.status).toBe('ISSUED');
    expect((await get('/permits/EXP-18-000001/state?revision=2', auditor)).body.status).toBe('CANCELLED');
    expect((await get('/permits/EXP-18-000001/state?asOf=2017-01-01', auditor)).status).toBe(404);
    expect((await get('/permits/EXP-18-000001/state?asOf=2020-02-30', auditor)).status).toBe(400);
    expect((await get('/permits/EXP-18-000001/state', officer)).status).toBe(403);
  });

  it("verifies a permit's hash chain", async () => {
    const res = await get('/permits/EXP-18-000001/verify', auditor);
    expect(res.body).toEqual({ permitNumber: 'EXP-18-000001', valid: true, checked: 3 });
  });

  it("answers a destination's measures in force and their history", async () => {
    const res = await get('/destinations/TR', viewer);
    expect(res.status).toBe(200);
    expect(res.body.inForce).toEqual([expect.objectContaining({ measureId: 'TR-2019-HALT', kind: 'issuance_suspended' })]);
    expect((await get('/destinations/FR', viewer)).status).toBe(404);
    expect((await get('/destinations/turkey', viewer)).status).toBe(400);
  });

  it('answers dashboard figures', async () => {
    const res = await get('/stats', viewer);
    expect(res.status).toBe(200);
    const byStatus = Object.fromEntries(res.body.byStatus.map((r: { status: string; count: number }) => [r.status, r.count]));
    expect(byStatus).toEqual({ ISSUED: 5, SUSPENDED: 1, CANCELLED: 1 });
    expect(res.body.totals).toEqual({ permits: 7, valueCad: 28000 });
  });

  it('X-Min-Position: 400 when malformed, 503 with Retry-After when projections cannot reach it in time', async () => {
    const bad = await t.http().get('/api/v1/stats').set('Authorization', `Bearer ${viewer}`).set('X-Min-Position', 'soon');
    expect(bad.status).toBe(400);
    const ahead = await t
      .http()
      .get('/api/v1/stats')
      .set('Authorization', `Bearer ${viewer}`)
      // The largest position accepted: the ledger's own checkpoints move the head on, and on EventStoreDB a
      // position is a byte offset, so a small step past the last command may already be in the log.
      .set('X-Min-Position', '999999999999999');
    expect(ahead.status).toBe(503);
    expect(ahead.headers['retry-after']).toBe('1');
  });

  it('serves health without a token; unknown routes are problem documents', async () => {
    expect((await t.http().get('/health/live')).body).toMatchObject({ status: 'ok', info: { process: { status: 'up' } } });
    const ready = await t.http().get('/health/ready');
    expect(ready.status).toBe(200);
    expect(Object.keys(ready.body.details).filter((k) => k.startsWith('projector:')).length).toBeGreaterThan(0);
    const nowhere = await t.http().get('/api/v1/nowhere').set('Authorization', `Bearer ${viewer}`);
    expect(nowhere.status).toBe(404);
    expect(nowhere.headers['content-type']).toMatch(/problem\+json/);
  });
});
