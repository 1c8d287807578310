import { allProjections } from '@permit-ledger/projections';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { permitBody, suspendBody } from '../../testing/bodies.js';
import { provideStore, type ProvidedStore } from '../../testing/stores.js';
import { startTestApp, type TestApp } from '../../testing/test-app.js';

/** EventStoreDB unreachable or dropping subscriptions: 503 and red readiness, then recovery by itself. */
const run = !process.env.EVENTSTORE_CONNECTION_STRING && (process.env.TEST_STORES ?? 'esdb').includes('esdb');

(run ? describe : describe.skip)('the service when EventStoreDB goes away (test server)', () => {
  let provided: ProvidedStore;
  let t: TestApp;
  let officer: string;
  let minister: string;
  let viewer: string;

  beforeAll(async () => {
    provided = await provideStore('esdb');
    t = await startTestApp({ env: provided.env });
    [officer, minister, viewer] = await Promise.all([t.token('officer'), t.token('minister'), t.token('viewer')]);
    expect(
      (await t.http().post('/api/v1/permits').set('Authorization', `Bearer ${officer}`).send(permitBody('EXP-19-000001'))).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await t.close();
    await provided.close();
  });

  async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline)
        throw new Error(`condition not met in time; readiness: ${JSON.stringify((await t.http().get('/health/ready')).body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('answers commands 503 with Retry-After and goes not-ready while the store is down, then recovers', async () => {
    await provided.server!.stop();
    const res = await t.http().post('/api/v1/permits/EXP-19-000001/suspend').set('Authorization', `Bearer ${minister}`).send(suspendBody());
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('STORE_UNAVAILABLE');
    expect(res.headers['retry-after']).toBeDefined();
    const ready = await t.http().get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.details.store.status).toBe('down');

    await provided.server!.restart();
    await eventually(async () => (await t.http().get('/health/ready')).status === 200);
    const again = await t
      .http()
      .post('/api/v1/permits/EXP-19-000001/suspend')
      .set('Authorization', `Bearer ${minister}`)
      .send(suspendBody());
    expect(again.status).toBe(200);
    await eventually(async () => {
      const row = await t.http().get('/api/v1/permits/EXP-19-000001').set('Authorization', `Bearer ${viewer}`);
      return row.body.status === 'SUSPENDED';
    });
  });

  it('resubscribes from its checkpoint when the server drops the subscription (as on a leader change)', async () => {
    provided.server!.dropSubscriptions();
    const res = await t.http().post('/api/v1/permits').set('Authorization', `Bearer ${officer}`).send(permitBody('EXP-19-000002'));
    expect(res.status).toBe(201);
    await eventually(async () => {
      const row = await t.http().get('/api/v1/permits/EXP-19-000002').set('Authorization', `Bearer ${viewer}`);
      return row.status === 200;
    });
    await eventually(async () => (await t.http().get('/health/ready')).status === 200);
    const details = (await t.http().get('/health/ready')).body.details as Record<string, { state?: string }>;
    const statuses = Object.entries(details)
      .filter(([k]) => k.startsWith('projector:'))
      .map(([, v]) => v);
    expect(statuses.length).toBe(allProjections().length);
    expect(statuses.every((p) => p.state === 'live')).toBe(true);
  });
});
