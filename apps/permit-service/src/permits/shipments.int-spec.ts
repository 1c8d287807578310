import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EVENT_STORE, type EventStore } from '@permit-ledger/event-store';
import { permitBody, suspendBody } from '../testing/bodies.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';
import { provideStore, STORE_KINDS, type ProvidedStore } from '../testing/stores.js';

/**
 * Customs declarations against EXP-19-004120 (6 sensors, 4.2M, issued 2019-03-20, suspended 2020-10-05):
 * exports before the suspension are accepted, also when declared after it; one after it is refused with the
 * status it had; a line over what is left is refused; the same declaration again answers the first result.
 */
describe.each(STORE_KINDS)('shipments against a permit over HTTP on %s', (kind) => {
  let provided: ProvidedStore;
  let t: TestApp;
  let store: EventStore;
  let officer: string;
  let minister: string;
  let customs: string;
  let otherCustoms: string;
  let auditor: string;
  let lastPosition = 0;

  beforeAll(async () => {
    provided = await provideStore(kind);
    t = await startTestApp({ env: provided.env });
    store = t.app.get<EventStore>(EVENT_STORE);
    officer = await t.token('officer', 'officer-7');
    minister = await t.token('minister', 'minister-1');
    customs = await t.token('customs', 'cbsa-gateway');
    otherCustoms = await t.token('customs', 'cbsa-gateway-2');
    auditor = await t.token('auditor', 'auditor-1');
  });
  afterAll(async () => {
    await t.close();
    await provided.close();
  });

  const post = async (path: string, token: string, body: unknown) => {
    const res = await t
      .http()
      .post(`/api/v1${path}`)
      .set('Authorization', `Bearer ${token}`)
      .send(body as object);
    if (typeof res.body?.position === 'number') lastPosition = Math.max(lastPosition, res.body.position);
    return res;
  };
  const get = (path: string, token: string) =>
    t.http().get(`/api/v1${path}`).set('Authorization', `Bearer ${token}`).set('X-Min-Position', String(lastPosition));
  const ship = (n: string, declarationRef: string, exportedOn: string, lines: unknown[], token = customs) =>
    post(`/permits/${n}/shipments`, token, { declarationRef, exportedOn, lines });

  async function refused(status: number, run: () => PromiseLike<{ status: number; body: any; headers: any }>) {
    const before = await store.headPosition();
    const res = await run();
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await store.headPosition()).toBe(before);
    return res.body;
  }

  const N = 'EXP-19-004120';
  let first: any;

  it('sets up EXP-19-004120, issued 2019-03-20 and suspended 2020-10-05', async () => {
    expect((await post('/permits', officer, permitBody(N))).status).toBe(201);
    const suspended = await post(`/permits/${N}/suspend`, minister, suspendBody('2020-10-05', { criteria: ['PEACE_AND_SECURITY'] }));
    expect(suspended.status).toBe(200);
    expect(suspended.body.events[0].data).toMatchObject({ criteria: ['PEACE_AND_SECURITY'] });
  });

  it('accepts an export before the suspension, declared after it: 201, effective at 00:00Z of exportedOn', async () => {
    const res = await ship(N, 'CBSA-2020-0601-0001', '2020-06-01', [{ item: 0, quantity: 2, valueCad: 1_400_000 }]);
    expect(res.status).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    expect(res.body).toMatchObject({ permitNumber: N, revision: 2 });
    expect(res.body.events).toHaveLength(1);
    expect(res.body.events[0]).toMatchObject({
      type: 'ShipmentRecorded',
      schemaVersion: 1,
      effectiveAt: '2020-06-01T00:00:00.000Z',
      actor: { id: 'cbsa-gateway', role: 'customs' },
      data: {
        permitNumber: N,
        declarationRef: 'CBSA-2020-0601-0001',
        exportedOn: '2020-06-01',
        lines: [{ item: 0, quantity: 2, valueCad: 1_400_000 }],
      },
    });
    first = res.body;
    expect((await ship(N, 'CBSA-2020-1004-0002', '2020-10-04', [{ item: 0, quantity: 1, valueCad: 700_000 }])).status).toBe(201);
  });

  it('refuses an export after the suspension, naming the status then; nothing is written', async () => {
    const body = await refused(409, () => ship(N, 'CBSA-2020-1006-0003', '2020-10-06', [{ item: 0, quantity: 1, valueCad: 1 }]));
    expect(body).toMatchObject({ code: 'PERMIT_NOT_VALID_FOR_EXPORT', statusOnExportDate: 'SUSPENDED' });
    expect(body.detail).toContain('SUSPENDED');
    const before = await refused(409, () => ship(N, 'CBSA-2019-0101-0004', '2019-01-01', [{ item: 0, quantity: 1, valueCad: 1 }]));
    expect(before).toMatchObject({ code: 'PERMIT_NOT_VALID_FOR_EXPORT', statusOnExportDate: 'NOT_YET_VALID' });
  });

  it('refuses a line over what is left of its item, naming the field; nothing is written', async () => {
    const body = await refused(409, () => ship(N, 'CBSA-2020-0901-0005', '2020-09-01', [{ item: 0, quantity: 4, valueCad: 1 }]));
    expect(body).toMatchObject({ code: 'SHIPMENT_EXCEEDS_PERMIT', errors: [{ field: 'lines[0].quantity' }] });
    const value = await refused(409, () => ship(N, 'CBSA-2020-0901-0005', '2020-09-01', [{ item: 0, quantity: 1, valueCad: 2_100_001 }]));
    expect(value).toMatchObject({ code: 'SHIPMENT_EXCEEDS_PERMIT', errors: [{ field: 'lines[0].valueCad' }] });
  });

  it('the same declaration again answers the first result, whoever sends it; with another body 409', async () => {
    for (const token of [customs, otherCustoms]) {
      const before = await store.headPosition();
      const again = await ship(N, 'CBSA-2020-0601-0001', '2020-06-01', [{ item: 0, quantity: 2, valueCad: 1_400_000 }], token);
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first);
      expect(await store.headPosition()).toBe(before);
    }
    const other = await refused(409, () => ship(N, 'CBSA-2020-0601-0001', '2020-06-01', [{ item: 0, quantity: 1, valueCad: 1_400_000 }]));
    expect(other).toMatchObject({ code: 'DECLARATION_ALREADY_RECORDED', errors: [{ field: 'declarationRef' }] });
  });

  it('the status row holds the usage; history and state show the shipments', async () => {
    const row = await get(`/permits/${N}`, officer);
    expect(row.status).toBe(200);
    expect(row.body).toMatchObject({
      status: 'SUSPENDED',
      updatedAt: '2020-10-05T00:00:00.000Z',
      usage: [{ item: 0, quantityShipped: 3, valueShippedCad: 2_100_000, quantityRemaining: 3, valueRemainingCad: 2_100_000 }],
    });
    const history = await get(`/permits/${N}/history?asOf=2020-10-04`, auditor);
    expect(history.body.events.map((e: { type: string }) => e.type)).toEqual(['PermitIssued', 'ShipmentRecorded', 'ShipmentRecorded']);
    const state = await get(`/permits/${N}/state?asOf=2020-10-04`, auditor);
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({
      status: 'ISSUED',
      shipments: [{ declarationRef: 'CBSA-2020-0601-0001' }, { declarationRef: 'CBSA-2020-1004-0002' }],
      shipped: [{ item: 0, quantityShipped: 3, valueShippedCad: 2_100_000 }],
    });
  });

  it('refuses a malformed declaration (400 naming the fields), and unknown criteria on a suspension', async () => {
    const body = await refused(400, () =>
      post(`/permits/${N}/shipments`, customs, { declarationRef: 'D 1', exportedOn: '2020-13-01', lines: [{ item: -1, quantity: 0 }] }),
    );
    expect(body.errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining(['declarationRef', 'exportedOn', 'lines.0.item', 'lines.0.quantity', 'lines.0.valueCad']),
    );
    const outOfRange = await refused(400, () => ship(N, 'CBSA-X', '2020-06-01', [{ item: 3, quantity: 1, valueCad: 1 }]));
    expect(outOfRange).toMatchObject({ code: 'INVALID_SHIPMENT', errors: [{ field: 'lines[0].item' }] });
    const criteria = await refused(400, () =>
      post(`/permits/${N}/cancel`, minister, { ...suspendBody('2021-04-12'), criteria: ['BAD_VIBES'] }),
    );
    expect(criteria.errors.map((e: { field: string }) => e.field)).toEqual(['criteria']);
  });

  it('exhaustion: an amendment below what was shipped is refused; the last shipment exhausts the permit (terminal)', async () => {
    const M = 'EXP-19-004121';
    expect((await post('/permits', officer, permitBody(M))).status).toBe(201);
    expect((await ship(M, 'CBSA-M-1', '2019-05-01', [{ item: 0, quantity: 2, valueCad: 1_000_000 }])).status).toBe(201);
    const item = { eclItem: '2-15.a', description: 'EO/IR gimbal sensor', unit: 'unit' };
    const below = await refused(409, () =>
      post(`/permits/${M}/amend`, officer, {
        reason: 'Exporter request',
        effectiveAt: '2019-06-01',
        changes: { items: [{ ...item, quantity: 1, valueCad: 4_200_000 }] },
      }),
    );
    expect(below).toMatchObject({ code: 'AMENDMENT_BELOW_SHIPPED', errors: [{ field: 'changes.items[0].quantity' }] });

    const last = await ship(M, 'CBSA-M-2', '2019-07-01', [{ item: 0, quantity: 4, valueCad: 3_200_000 }]);
    expect(last.status).toBe(201);
    expect(last.body.events.map((e: { type: string; effectiveAt: string }) => [e.type, e.effectiveAt])).toEqual([
      ['ShipmentRecorded', '2019-07-01T00:00:00.000Z'],
      ['PermitExhausted', '2019-07-01T00:00:00.000Z'],
    ]);
    const row = await get(`/permits/${M}`, officer);
    expect(row.body).toMatchObject({ status: 'EXHAUSTED', usage: [{ quantityRemaining: 0, valueRemainingCad: 0 }] });
    const stats = await get('/stats', officer);
    expect(stats.body.byStatus).toEqual(expect.arrayContaining([expect.objectContaining({ status: 'EXHAUSTED', count: 1 })]));

    const terminal = await refused(409, () => post(`/permits/${M}/suspend`, minister, suspendBody('2019-08-01')));
    expect(terminal.code).toBe('PERMIT_TERMINAL');
    const after = await refused(409, () => ship(M, 'CBSA-M-3', '2019-08-01', [{ item: 0, quantity: 1, valueCad: 0 }]));
    expect(after).toMatchObject({ code: 'PERMIT_NOT_VALID_FOR_EXPORT', statusOnExportDate: 'EXHAUSTED' });
    // The repeat of the exhausting declaration answers both events it wrote.
    const again = await ship(M, 'CBSA-M-2', '2019-07-01', [{ item: 0, quantity: 4, valueCad: 3_200_000 }], otherCustoms);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(last.body);
  });
});
