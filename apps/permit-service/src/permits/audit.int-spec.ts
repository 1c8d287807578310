import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { EVENT_STORE, type EventStore } from '@permit-ledger/event-store';
import { permitBody, suspendBody } from '../testing/bodies.js';
import { provideStore, STORE_KINDS, type ProvidedStore } from '../testing/stores.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';

describe.each(STORE_KINDS)('auditors on %s: two clocks and old schema versions', (kind) => {
  let provided: ProvidedStore;
  let t: TestApp;
  let now = new Date('2020-10-01T09:00:00Z');
  let auditor: string;
  let lastPosition = 0;

  const send = async (path: string, role: 'officer' | 'minister', body: object) => {
    const res = await t
      .http()
      .post(`/api/v1${path}`)
      .set('Authorization', `Bearer ${await t.token(role)}`)
      .send(body);
    expect(res.status).toBeLessThan(300);
    lastPosition = res.body.position;
    return res;
  };
  const get = (path: string) =>
    t.http().get(`/api/v1${path}`).set('Authorization', `Bearer ${auditor}`).set('X-Min-Position', String(lastPosition));

  beforeAll(async () => {
    provided = await provideStore(kind);
    t = await startTestApp({ env: provided.env, clock: () => now });
    auditor = await t.token('auditor');
    // Entered late: issued in March 2019, recorded on 2020-10-01; suspended on 2020-10-05, recorded on 2020-10-20.
    await send('/permits', 'officer', permitBody('EXP-19-004120'));
    now = new Date('2020-10-20T09:00:00Z');
    await send('/permits/EXP-19-004120/suspend', 'minister', suspendBody('2020-10-05'));
    now = new Date('2021-04-12T15:00:00Z');
    await send('/permits/EXP-19-004120/cancel', 'minister', suspendBody('2021-04-12'));
  });
  afterAll(async () => {
    await t.close();
    await provided.close();
  });

  const status = async (query: string) => (await get(`/permits/EXP-19-004120/state?${query}`)).body.status;

  it('asOf answers what was true in the world; knownAt what the ledger had recorded; both together', async () => {
    expect(await status('asOf=2020-10-10')).toBe('SUSPENDED');
    expect(await status('knownAt=2020-10-10')).toBe('ISSUED');
    expect(await status('asOf=2020-10-10&knownAt=2020-10-10')).toBe('ISSUED');
    expect(await status('asOf=2020-10-10&knownAt=2020-10-20')).toBe('SUSPENDED');
    expect(await status('knownAt=2021-05-01')).toBe('CANCELLED');
    expect(await status('knownAt=2020-10-20T08:59:59Z')).toBe('ISSUED');
    const before = await get('/permits/EXP-19-004120/state?knownAt=2020-09-30');
    expect(before.status).toBe(404);
    expect((await get('/permits/EXP-19-004120/state?knownAt=2020-13-01')).status).toBe(400);
  });

  it('filters the history by either clock', async () => {
    const types = async (query: string) =>
      (await get(`/permits/EXP-19-004120/history?${query}`)).body.events.map((e: { type: string }) => e.type);
    expect(await types('asOf=2020-10-10')).toEqual(['PermitIssued', 'PermitSuspended']);
    expect(await types('knownAt=2020-10-10')).toEqual(['PermitIssued']);
    expect(await types('')).toEqual(['PermitIssued', 'PermitSuspended', 'PermitCancelled']);
  });

  it('reads a v1 PermitIssued (exporter as a bare name) as the current shape, while it stays as written and verifies', async () => {
    const store = t.app.get<EventStore>(EVENT_STORE);
    const { exporter: _, ...current } = permitBody('EXP-17-000001', { validFrom: '2017-01-01', expiresOn: '2027-01-01' });
    const { effectiveAt: __, ...fields } = current;
    const v1 = {
      ...fields,
      exporter: 'Legacy Exporter Ltd.',
      conditions: [],
      exceptionGround: null,
      supersedes: null,
      totalValueCad: 4200000,
    };
    const appended = await store.append(
      'permit-EXP-17-000001',
      [
        {
          eventId: randomUUID(),
          type: 'PermitIssued',
          schemaVersion: 1,
          data: v1,
          metadata: {
            effectiveAt: '2017-01-01T00:00:00.000Z',
            actor: { id: 'migration', role: 'system' },
            commandId: 'legacy-import-1',
            correlationId: 'legacy-import-1',
            causationId: null,
          },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    lastPosition = appended.position;

    const row = await get('/permits/EXP-17-000001');
    expect(row.body.exporter).toEqual({ name: 'Legacy Exporter Ltd.' });
    const state = await get('/permits/EXP-17-000001/state');
    expect(state.body).toMatchObject({ status: 'ISSUED', exporter: { name: 'Legacy Exporter Ltd.' } });
    // Not after the test clock (2021-04-12T15:00Z): a command may not take effect ahead of it.
    await send('/permits/EXP-17-000001/suspend', 'minister', suspendBody('2021-04-12'));

    const [stored] = await store.readStream('permit-EXP-17-000001', { maxCount: 1 });
    expect(stored).toMatchObject({ schemaVersion: 1, data: { exporter: 'Legacy Exporter Ltd.' }, hash: appended.events[0].hash });
    expect((await get('/permits/EXP-17-000001/verify')).body).toMatchObject({ valid: true, checked: 2 });
    const history = await get('/permits/EXP-17-000001/history');
    expect(history.body.events[0]).toMatchObject({ schemaVersion: 1, data: { exporter: 'Legacy Exporter Ltd.' } });
    expect(history.body.events[1]).toMatchObject({ type: 'PermitSuspended' });
  });
});
