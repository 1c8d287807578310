import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { EVENT_STORE, type EventStore } from '@permit-ledger/event-store';
import { permitBody, suspendBody } from '../../testing/bodies.js';
import { startTestApp, type TestApp } from '../../testing/test-app.js';

describe('metrics, correlation ids and request logs', () => {
  let t: TestApp;
  const lines: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    t = await startTestApp({ requestLogger: pino({ level: 'info' }, sink) });
    const officer = await t.token('officer', 'officer-9');
    await t.http().post('/api/v1/permits').set('Authorization', `Bearer ${officer}`).send(permitBody('EXP-19-000001'));
    await t.http().post('/api/v1/permits').set('Authorization', `Bearer ${officer}`).send(permitBody('EXP-19-000001'));
    await t
      .http()
      .post('/api/v1/permits/EXP-19-000001/suspend')
      .set('Authorization', `Bearer ${await t.token('minister')}`)
      .send(suspendBody());
  });
  afterAll(() => t.close());

  it('serves Prometheus text: commands by type and outcome, append latency, batch sizes, projector position and lag, HTTP latency by route', async () => {
    const res = await t.http().get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toMatch(/permit_ledger_commands_total\{command="IssuePermit",outcome="ok"\} 1/);
    expect(res.text).toMatch(/permit_ledger_commands_total\{command="IssuePermit",outcome="refused"\} 1/);
    expect(res.text).toMatch(/permit_ledger_commands_total\{command="SuspendPermit",outcome="ok"\} 1/);
    expect(res.text).toMatch(/permit_ledger_append_seconds_count 2/);
    expect(res.text).toMatch(/permit_ledger_group_commit_batch_size_count [1-9]/);
    expect(res.text).toMatch(/permit_ledger_projector_position\{projector="permit-status"\} \d+/);
    expect(res.text).toMatch(/permit_ledger_projector_lag\{projector="permit-status"\} \d+/);
    expect(res.text).toMatch(/permit_ledger_http_request_seconds_count\{method="POST",route="\/api\/v1\/permits",status="201"\} 1/);
  });

  it('accepts X-Correlation-Id, returns it, and carries it into the events', async () => {
    const res = await t
      .http()
      .post('/api/v1/permits')
      .set('Authorization', `Bearer ${await t.token('officer')}`)
      .set('X-Correlation-Id', 'gac-case-2021-0412')
      .send(permitBody('EXP-19-000002'));
    expect(res.headers['x-correlation-id']).toBe('gac-case-2021-0412');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.events[0].correlationId).toBe('gac-case-2021-0412');
  });

  it('logs one JSON line per request with its id, and never the body or the token', async () => {
    const logged = lines.map(
      (l) => JSON.parse(l) as { req?: { id: string; method: string; path: string }; res?: { statusCode: number }; sub?: string },
    );
    const posts = logged.filter((l) => l.req?.method === 'POST');
    expect(posts.length).toBeGreaterThanOrEqual(4);
    expect(posts[0]).toMatchObject({ req: { path: '/api/v1/permits' }, res: { statusCode: 201 }, sub: 'officer-9' });
    const all = lines.join('');
    for (const secret of ['Northfield', 'Anadolu', 'Bearer', 'authorization']) expect(all).not.toContain(secret);
  });

  it('serves /metrics from what the consumers last knew while the store does not answer, and /health/ready reports the store down', async () => {
    expect((await t.http().get('/health/ready')).status).toBe(200);
    const projected = (text: string) => Number(/permit_ledger_projector_position\{projector="permit-status"\} (\d+)/.exec(text)?.[1]);
    const position = projected((await t.http().get('/metrics')).text);
    expect(position).toBeGreaterThan(0);

    // The store hangs: every read waits until released.
    const store = t.app.get<EventStore>(EVENT_STORE);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const hung = ['ping', 'headPosition', 'countAfter', 'readAll'] as const;
    for (const method of hung) {
      const original = store[method].bind(store) as (...args: unknown[]) => Promise<unknown>;
      Object.assign(store, { [method]: (...args: unknown[]) => released.then(() => original(...args)) });
    }
    try {
      const scrape = await t.http().get('/metrics');
      expect(scrape.status).toBe(200);
      // The service's own processes may append meanwhile (the SQLite subscriptions read on without these methods).
      expect(projected(scrape.text)).toBeGreaterThanOrEqual(position);
      expect(scrape.text).toMatch(/permit_ledger_subscription_lag\{subscription="decision-process-manager"\} \d+/);

      const ready = await t.http().get('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.details.store).toEqual({ status: 'down', error: expect.stringContaining('did not answer') });
      expect(ready.body.details['projector:permit-status']).toMatchObject({ state: 'live', position: expect.any(Number) });
      expect(ready.body.details['projector:permit-status'].position).toBeGreaterThanOrEqual(position);
    } finally {
      for (const method of hung) delete (store as unknown as Record<string, unknown>)[method];
      release();
    }
    expect((await t.http().get('/health/ready')).status).toBe(200);
  });
});
