import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { EVENT_STORE, type EventStore } from '@permit-ledger/event-store';
import type { ApplicationEvent, PermitEvent } from '@permit-ledger/permits';
import { permitBody, suspendBody } from '../testing/bodies.js';
import { provideStore, STORE_KINDS, type ProvidedStore } from '../testing/stores.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';

/**
 * The annual report over HTTP: permits issued and suspended through the API, applications and shipments
 * appended to the store in the envelope the runner writes (their commands belong to other slices), some
 * of them recorded long after they took effect.
 */
describe.each(STORE_KINDS)('GET /reports/exports on %s', (kind) => {
  let provided: ProvidedStore;
  let t: TestApp;
  let store: EventStore;
  let now = new Date('2019-03-21T09:00:00Z');
  let position = 0;
  let viewer: string;
  let permitValue = 0;

  const send = async (path: string, role: 'officer' | 'minister', body: object) => {
    const res = await t
      .http()
      .post(`/api/v1${path}`)
      .set('Authorization', `Bearer ${await t.token(role)}`)
      .send(body);
    expect(res.status).toBeLessThan(300);
    position = Math.max(position, res.body.position);
  };
  /** Appends as the runner would: the envelope with both times, the actor, the command's ids. */
  const append = async (stream: string, type: string, data: Record<string, unknown>, effectiveAt: string, role = 'officer') => {
    const commandId = randomUUID();
    const result = await store.append(
      stream,
      [
        {
          eventId: randomUUID(),
          type,
          schemaVersion: 1,
          data,
          metadata: { effectiveAt, actor: { id: `test-${role}`, role }, commandId, correlationId: commandId, causationId: null },
        },
      ],
      { expectedRevision: 'any' },
    );
    position = Math.max(position, result.position);
  };
  /** The shapes the deciders write, checked by the compiler. */
  const application = <T extends ApplicationEvent['type']>(
    type: T,
    data: Extract<ApplicationEvent, { type: T }>['data'],
    effectiveAt: string,
  ) => append(`application-${data.applicationRef}`, type, data, effectiveAt);
  const submitted = (applicationRef: string) => {
    const { exporter, consignee, endUser, intendedEndUse, items } = permitBody(applicationRef) as Record<string, never>;
    return application(
      'ApplicationSubmitted',
      { applicationRef, destination: 'TR', exporter, consignee, endUser, intendedEndUse, items, exceptionGround: null },
      '2019-10-20T10:00:00.000Z',
    );
  };
  const shipment = (declarationRef: string, exportedOn: string, valueCad: number) => {
    const data: Extract<PermitEvent, { type: 'ShipmentRecorded' }>['data'] = {
      permitNumber: 'EXP-19-004120',
      declarationRef,
      lines: [{ item: 0, quantity: 1, valueCad }],
      exportedOn,
    };
    return append('permit-EXP-19-004120', 'ShipmentRecorded', data, `${exportedOn}T00:00:00.000Z`, 'customs');
  };
  const get = (query: string, accept = 'application/json') =>
    t
      .http()
      .get(`/api/v1/reports/exports?${query}`)
      .set('Authorization', `Bearer ${viewer}`)
      .set('Accept', accept)
      .set('X-Min-Position', String(position));
  const tr = async (query: string) => {
    const res = await get(`destination=TR&${query}`);
    expect(res.status).toBe(200);
    expect(res.body.entries).toHaveLength(1);
    return res.body.entries[0];
  };

  beforeAll(async () => {
    provided = await provideStore(kind);
    t = await startTestApp({ env: provided.env, clock: () => now });
    store = t.app.get<EventStore>(EVENT_STORE);
    viewer = await t.token('viewer');
    await send('/permits', 'officer', permitBody('EXP-19-004120'));
    now = new Date('2019-10-21T09:00:00Z');
    for (const ref of ['APP-19-1', 'APP-19-2']) {
      await submitted(ref);
      await application('ApplicationPlacedOnHold', { applicationRef: ref, measureId: 'TR-2019-10' }, '2019-10-20T10:00:00.000Z');
    }
    now = new Date('2020-05-15T09:00:00Z');
    await shipment('CBSA-1', '2020-05-01', 100_000);
    now = new Date('2020-10-06T09:00:00Z');
    await send('/permits/EXP-19-004120/suspend', 'minister', suspendBody('2020-10-05'));
    // Entered in February 2021: a declaration of September 2020 and a refusal of December 2020.
    now = new Date('2021-02-01T09:00:00Z');
    await shipment('CBSA-2', '2020-09-30', 50_000);
    await application(
      'ApplicationRefused',
      { applicationRef: 'APP-19-2', criteria: ['IHRL_VIOLATION'], reason: 'risk of use against civilians', legalBasis: 'EIPA s.7.3' },
      '2020-12-15T12:00:00.000Z',
    );
    const row = await t.http().get('/api/v1/permits/EXP-19-004120').set('Authorization', `Bearer ${viewer}`).set('X-Min-Position', String(position));
    permitValue = row.body.totalValueCad;
    expect(permitValue).toBeGreaterThan(0);
  });
  afterAll(async () => {
    await t?.close();
    await provided?.close();
  });

  it('2019, every destination: the permit issued and its value, the applications received and on hold at the year end', async () => {
    const res = await get('year=2019');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ year: 2019, destination: null, asOf: null, knownAt: null });
    expect(res.body.entries).toEqual([
      expect.objectContaining({
        year: 2019,
        destination: 'TR',
        applications: { received: 2, approved: 0, refused: 0, withdrawn: 0, onHold: 2 },
        permits: { issued: 1, suspended: 0, cancelled: 0, expired: 0, exhausted: 0 },
        valueAuthorizedCad: permitValue,
        permitsUtilized: 0,
        valueExportedCad: 0,
      }),
    ]);
  });

  it('2020 for TR: the shipments, the suspension, the refusal by criterion', async () => {
    const entry = await tr('year=2020');
    expect(entry).toMatchObject({
      applications: { received: 0, refused: 1, onHold: 1 },
      permits: { issued: 0, suspended: 1 },
      valueAuthorizedCad: 0,
      permitsUtilized: 1,
      valueExportedCad: 150_000,
    });
    expect(entry.refusalsByCriterion).toMatchObject({ IHRL_VIOLATION: 1, PEACE_AND_SECURITY: 0 });
  });

  it('knownAt reproduces the figures as tabled before the late records; asOf leaves out what took effect later', async () => {
    expect(await tr('year=2020&knownAt=2021-01-31')).toMatchObject({
      applications: { refused: 0, onHold: 2 },
      valueExportedCad: 100_000,
      refusalsByCriterion: { IHRL_VIOLATION: 0 },
    });
    expect(await tr('year=2020&knownAt=2021-02-01T09:00:00Z')).toMatchObject({ applications: { refused: 1 }, valueExportedCad: 150_000 });
    expect(await tr('year=2020&asOf=2020-09-29')).toMatchObject({ permits: { suspended: 0 }, valueExportedCad: 100_000 });
    const both = await get('year=2020&destination=TR&asOf=2020-12-31&knownAt=2021-01-31');
    expect(both.body).toMatchObject({ asOf: '2020-12-31', knownAt: '2021-01-31' });
  });

  it('reads a knownAt later than now as now, and names the timestamp it used', async () => {
    const latest = await tr('year=2020');
    for (const knownAt of ['9999-12-31', '2021-02-01', '2100-01-01T00:00:00Z']) {
      const res = await get(`year=2020&destination=TR&knownAt=${knownAt}`);
      expect(res.status).toBe(200);
      expect(res.body.knownAt).toBe(now.toISOString());
      expect(res.body.entries).toEqual([latest]);
    }
    const csv = await get('year=2020&destination=TR&knownAt=9999-12-31', 'text/csv');
    const [header, row] = csv.text.split('\r\n').map((line) => line.split(','));
    expect(row[header.indexOf('known_at')]).toBe(now.toISOString());
  });

  it('a destination with nothing in the year is one entry of zeros; every destination with nothing is no entry', async () => {
    expect(await (async () => (await get('year=2020&destination=DE')).body.entries)()).toEqual([
      expect.objectContaining({ destination: 'DE', permitsUtilized: 0, valueExportedCad: 0, valueAuthorizedCad: 0 }),
    ]);
    expect((await get('year=2018')).body.entries).toEqual([]);
  });

  it('Accept: text/csv answers the same figures as RFC 4180 CSV', async () => {
    const res = await get('year=2020&destination=TR&knownAt=2021-01-31', 'text/csv');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const lines = res.text.split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    const header = lines[0].split(',');
    const row = lines[1].split(',');
    const cell = (name: string) => row[header.indexOf(name)];
    expect(header.slice(0, 3)).toEqual(['year', 'destination', 'applications_received']);
    expect(cell('destination')).toBe('TR');
    expect(cell('applications_on_hold')).toBe('2');
    expect(cell('refusals_IHRL_VIOLATION')).toBe('0');
    expect(cell('value_exported_cad')).toBe('100000');
    expect(cell('known_at')).toBe('2021-01-31');
    expect(cell('as_of')).toBe('');
  });

  it('refuses a year not of four digits, a destination not ISO alpha-2 and a bad cut-off, naming each', async () => {
    const res = await get('year=20&destination=tr&asOf=2020-13-01');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['asOf', 'destination', 'year']);
    expect((await get('')).body.errors.map((e: { field: string }) => e.field)).toEqual(['year']);
    for (const query of ['year=0000', 'year=0999', 'year=2020&asOf=0000-01-01']) {
      const zero = await get(query);
      expect({ query, status: zero.status }).toEqual({ query, status: 400 });
    }
  });
});
