import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EVENT_STORE, type EventStore } from '@permit-ledger/event-store';
import { germanPermit } from '@permit-ledger/story';
import { startTestApp, type TestApp } from '../testing/test-app.js';
import { provideStore, STORE_KINDS, type ProvidedStore } from '../testing/stores.js';

/**
 * Money and quantities over HTTP: values are bounded and exact in cents, quantities whole and bounded, on items
 * (issuance, applications, amendments) and shipment lines alike; a refusal writes nothing, and sums add up exactly.
 */
describe.each(STORE_KINDS)('amounts and quantities over HTTP on %s', (kind) => {
  let provided: ProvidedStore;
  let t: TestApp;
  let store: EventStore;
  let officer: string;
  let customs: string;
  let lastPosition = 0;

  beforeAll(async () => {
    provided = await provideStore(kind);
    t = await startTestApp({ env: provided.env });
    store = t.app.get<EventStore>(EVENT_STORE);
    officer = await t.token('officer', 'officer-7');
    customs = await t.token('customs', 'cbsa-gateway');
  });
  afterAll(async () => {
    await t.close();
    await provided.close();
  });

  /** The raw JSON text, so numbers such as 1e-320 reach the service as written. */
  const post = async (path: string, token: string, body: unknown, raw?: string) => {
    const res = await t
      .http()
      .post(`/api/v1${path}`)
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/json')
      .send(raw ?? JSON.stringify(body));
    if (typeof res.body?.position === 'number') lastPosition = Math.max(lastPosition, res.body.position);
    return res;
  };
  const get = (path: string, token: string) =>
    t.http().get(`/api/v1${path}`).set('Authorization', `Bearer ${token}`).set('X-Min-Position', String(lastPosition));

  async function refused(run: () => PromiseLike<{ status: number; body: any; headers: any }>, field: string) {
    const before = await store.headPosition();
    const res = await run();
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await store.headPosition()).toBe(before);
    return res.body;
  }
  const item = (overrides: Record<string, unknown> = {}) => ({
    eclItem: '2-10.a',
    description: 'parts',
    quantity: 1,
    unit: 'unit',
    valueCad: 1000,
    ...overrides,
  });
  const permit = (n: string, items: unknown[]) => ({ ...germanPermit(n), items });

  it.each([
    ['1e308', '1e308'],
    ['1e-7', '1e-7'],
    ['0.0000001', '0.0000001'],
    ['1e-320', '1e-320'],
    ['1.5e-7', '1.5e-7'],
    ['0.001', '0.001'],
    ['1000000000000.01', '1000000000000.01'],
  ])('refuses an item valueCad of %s with 400 naming the field, writing nothing', async (_, number) => {
    const raw = JSON.stringify(permit('EXP-21-900001', [item({ valueCad: 1 })])).replace('"valueCad":1', `"valueCad":${number}`);
    await refused(() => post('/permits', officer, undefined, raw), 'items.0.valueCad');
  });

  it.each([
    ['2^53 + 2', 2 ** 53 + 2],
    ['1e9 + 1', 1e9 + 1],
    ['1.5', 1.5],
  ])('refuses an item quantity of %s with 400 naming the field', async (_, quantity) => {
    await refused(() => post('/permits', officer, permit('EXP-21-900002', [item({ quantity })])), 'items.0.quantity');
  });

  it('refuses items whose total cannot be recorded exactly: 400 naming items, and the service stays ready', async () => {
    const items = Array.from({ length: 100 }, () => item({ valueCad: 1e12 }));
    const body = await refused(() => post('/permits', officer, permit('EXP-21-900003', items)), 'items');
    expect(body.code).toBe('INVALID_ITEMS');
    expect((await t.http().get('/health/ready')).status).toBe(200);
  });

  it('takes the bounds themselves: 1e12 CAD and 1e9 units', async () => {
    const res = await post(
      '/permits',
      officer,
      permit('EXP-21-900004', [item({ quantity: 1e9, valueCad: 1e12 }), item({ valueCad: 0.3 })]),
    );
    expect(res.status).toBe(201);
    expect(res.body.events[0].data.totalValueCad).toBe(1_000_000_000_000.3);
  });

  it('holds applications and amendments to the same rules', async () => {
    const application = {
      applicationRef: 'APP-21-9001',
      destination: 'DE',
      exporter: { name: 'Boreal Aero Parts Ltd.' },
      consignee: { name: 'Luftfahrt GmbH', country: 'DE' },
      endUser: { name: 'Luftfahrt GmbH', country: 'DE' },
      intendedEndUse: 'aircraft maintenance',
      items: [item({ valueCad: 1e308 })],
      effectiveAt: '2021-01-01',
    };
    await refused(() => post('/applications', officer, application), 'items.0.valueCad');
    await refused(() => post('/applications', officer, { ...application, items: [item({ quantity: 2 ** 53 + 2 })] }), 'items.0.quantity');

    expect((await post('/permits', officer, permit('EXP-21-900005', [item()]))).status).toBe(201);
    const amend = (valueCad: number) => ({ reason: 'correction', effectiveAt: '2021-01-02', changes: { items: [item({ valueCad })] } });
    await refused(() => post('/permits/EXP-21-900005/amend', officer, amend(1e308)), 'changes.items.0.valueCad');
    await refused(() => post('/permits/EXP-21-900005/amend', officer, amend(1e-7)), 'changes.items.0.valueCad');
  });

  describe('shipment lines', () => {
    const ship = (n: string, declarationRef: string, lines: unknown[]) =>
      post(`/permits/${n}/shipments`, customs, { declarationRef, exportedOn: '2021-02-01', lines });

    it('are held to the items rules: whole quantities, two decimals, bounded', async () => {
      expect((await post('/permits', officer, permit('EXP-21-900010', [item({ quantity: 1000, valueCad: 1 })]))).status).toBe(201);
      await refused(() => ship('EXP-21-900010', 'D-1', [{ item: 0, quantity: 0.1, valueCad: 0 }]), 'lines.0.quantity');
      await refused(() => ship('EXP-21-900010', 'D-1', [{ item: 0, quantity: 2 ** 53 + 2, valueCad: 0 }]), 'lines.0.quantity');
      await refused(() => ship('EXP-21-900010', 'D-1', [{ item: 0, quantity: 1, valueCad: 0.004 }]), 'lines.0.valueCad');
      await refused(() => ship('EXP-21-900010', 'D-1', [{ item: 0, quantity: 1, valueCad: 1e-7 }]), 'lines.0.valueCad');
      await refused(() => ship('EXP-21-900010', 'D-1', [{ item: 0, quantity: 1, valueCad: 1e308 }]), 'lines.0.valueCad');
    });

    it('add up exactly: 101 lines of 0.01 against 1.00 are refused, 100 use it up to 0', async () => {
      const cents = Array.from({ length: 100 }, () => ({ item: 0, quantity: 1, valueCad: 0.01 }));
      const over = await ship('EXP-21-900010', 'D-2', [...cents, { item: 0, quantity: 1, valueCad: 0.01 }]);
      expect([over.status, over.body.code, over.body.errors[0].field]).toEqual([409, 'SHIPMENT_EXCEEDS_PERMIT', 'lines[100].valueCad']);

      const res = await ship('EXP-21-900010', 'D-2', cents);
      expect(res.status).toBe(201);
      expect(res.body.events.map((e: { type: string }) => e.type)).toEqual(['ShipmentRecorded', 'PermitExhausted']);
      const row = await get('/permits/EXP-21-900010', officer);
      expect(row.body).toMatchObject({
        status: 'EXHAUSTED',
        usage: [{ quantityShipped: 100, valueShippedCad: 1, quantityRemaining: 900, valueRemainingCad: 0 }],
      });
    });
  });
});
