import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { EVENT_STORE, type EventStore } from '@permit-ledger/event-store';
import type { Role } from '@permit-ledger/config';
import { ExpiryScheduler } from '../../permits/expiry.scheduler.js';
import { permitBody } from '../../testing/bodies.js';
import { provideStore, STORE_KINDS, type ProvidedStore } from '../../testing/stores.js';
import { startTestApp, type TestApp } from '../../testing/test-app.js';

/**
 * What a command may claim about time, and what a decision may name: an effectiveAt ahead of the
 * service's clock is refused on every command route (the clock is fixed here), a decision's explicit
 * targets must exist; then the read side's date and position edges.
 */
const legal = { reason: 'Review ordered by the Minister', legalBasis: 'EIPA s.10(1)' };
const TWO_YEARS_AHEAD = '2023-04-12';

describe.each(STORE_KINDS)('time and targets on %s', (kind) => {
  let provided: ProvidedStore;
  let t: TestApp;
  let store: EventStore;
  let now = new Date('2021-04-12T15:00:00.000Z');
  const at = (offsetMs: number) => new Date(now.getTime() + offsetMs).toISOString();
  const tokens = {} as Record<Role, string>;

  const post = (path: string, role: Role, body: object) =>
    t.http().post(`/api/v1${path}`).set('Authorization', `Bearer ${tokens[role]}`).send(body);
  const get = (path: string, role: Role = 'auditor') => t.http().get(`/api/v1${path}`).set('Authorization', `Bearer ${tokens[role]}`);
  const ok = async (path: string, role: Role, body: object) => {
    const res = await post(path, role, body);
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  };
  async function completed(ref: string) {
    for (let i = 0; i < 300; i++) {
      const res = await get(`/decisions/${ref}`);
      if (res.body.status === 'COMPLETED') return res.body;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`decision ${ref} did not complete`);
  }

  beforeAll(async () => {
    provided = await provideStore(kind);
    t = await startTestApp({ env: provided.env, clock: () => now });
    store = t.app.get<EventStore>(EVENT_STORE);
    for (const role of ['officer', 'minister', 'system', 'auditor'] as const) tokens[role] = await t.token(role);
    // P1: an open review R-1; P2: suspended; P3: untouched; P4: past its expiry; FR: a measure in force.
    for (const n of ['EXP-19-000001', 'EXP-19-000002', 'EXP-19-000003']) await ok('/permits', 'officer', permitBody(n));
    await ok('/permits', 'officer', permitBody('EXP-19-000004', { expiresOn: '2021-03-01' }));
    await ok('/permits/EXP-19-000001/reviews', 'officer', { reviewId: 'R-1', reason: 'a review', effectiveAt: '2020-01-01' });
    await ok('/permits/EXP-19-000002/suspend', 'minister', { ...legal, effectiveAt: '2020-10-05' });
    await ok('/destinations/FR/measures', 'minister', {
      measureId: 'FR-1',
      kind: 'issuance_suspended',
      reference: 'NtE 1',
      reason: 'a measure',
      effectiveAt: '2020-04-16',
    });
  });
  afterAll(async () => {
    await t.close();
    await provided.close();
  });

  /** Every command route, with its role and a body the domain would accept but for the date. */
  const routes: Array<{ name: string; role: Role; path: string; body: Record<string, unknown> }> = [
    { name: 'issue', role: 'officer', path: '/permits', body: permitBody('EXP-19-000009') },
    {
      name: 'amend',
      role: 'officer',
      path: '/permits/EXP-19-000003/amend',
      body: { changes: { expiresOn: '2022-06-30' }, reason: 'extension' },
    },
    { name: 'suspend', role: 'minister', path: '/permits/EXP-19-000003/suspend', body: legal },
    { name: 'reinstate', role: 'minister', path: '/permits/EXP-19-000002/reinstate', body: legal },
    { name: 'open review', role: 'officer', path: '/permits/EXP-19-000003/reviews', body: { reviewId: 'R-9', reason: 'a review' } },
    {
      name: 'finding',
      role: 'officer',
      path: '/permits/EXP-19-000001/reviews/R-1/findings',
      body: { finding: 'seen on a drone', assuranceBreached: true },
    },
    {
      name: 'conclude',
      role: 'minister',
      path: '/permits/EXP-19-000001/reviews/R-1/conclude',
      body: { outcome: 'no_action', summary: 'nothing found' },
    },
    { name: 'cancel', role: 'minister', path: '/permits/EXP-19-000003/cancel', body: legal },
    { name: 'expire', role: 'system', path: '/permits/EXP-19-000004/expire', body: {} },
    {
      name: 'impose',
      role: 'minister',
      path: '/destinations/DE/measures',
      body: { measureId: 'DE-1', kind: 'presumptive_denial', reference: 'NtE 2', reason: 'r' },
    },
    { name: 'lift', role: 'minister', path: '/destinations/FR/measures/FR-1/lift', body: { reference: 'NtE 3', reason: 'lifted' } },
    {
      name: 'decision',
      role: 'minister',
      path: '/decisions',
      body: { decisionRef: 'MIN-AHEAD', action: 'suspend', selector: { permitNumbers: ['EXP-19-000003'] }, ...legal },
    },
  ];

  it.each(routes)(
    '$name: an effectiveAt later than now plus the skew is 400 naming effectiveAt, and writes nothing',
    async ({ role, path, body }) => {
      expect(t.config.commandClockSkewSeconds).toBe(60);
      for (const effectiveAt of [TWO_YEARS_AHEAD, at(61_000), '9999-12-31T23:59:59-01:00']) {
        const head = await store.headPosition();
        const res = await post(path, role, { ...body, effectiveAt });
        expect({ effectiveAt, status: res.status, code: res.body.code }).toEqual({ effectiveAt, status: 400, code: 'VALIDATION_FAILED' });
        expect(res.headers['content-type']).toMatch(/problem\+json/);
        expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['effectiveAt']);
        expect(await store.headPosition()).toBe(head);
      }
    },
  );

  it('records a client clock a little ahead (within the skew) as now, so the Minister can act at once after it', async () => {
    const refused = await post('/permits/EXP-19-000003/amend', 'officer', {
      changes: { expiresOn: '2022-06-30' },
      reason: 'x',
      effectiveAt: TWO_YEARS_AHEAD,
    });
    expect(refused.status).toBe(400);
    const amended = await ok('/permits/EXP-19-000003/amend', 'officer', {
      changes: { expiresOn: '2022-06-30' },
      reason: 'x',
      effectiveAt: at(59_500),
    });
    expect(amended.body.events[0].effectiveAt).toBe(now.toISOString());
    // Without a date of its own, in the same instant: not blocked by the officer's act.
    const suspended = await ok('/permits/EXP-19-000003/suspend', 'minister', legal);
    expect(suspended.body.events[0]).toMatchObject({ type: 'PermitSuspended', effectiveAt: now.toISOString() });
  });

  it('decision: explicit targets that do not exist are 400 naming selector.permitNumbers (a capped list), and nothing is written', async () => {
    const head = await store.headPosition();
    const some = await post('/decisions', 'minister', {
      decisionRef: 'MIN-TYPO',
      action: 'open_review',
      selector: { permitNumbers: ['EXP-19-000003', 'EXP-99-000001'] },
      ...legal,
    });
    expect(some.status).toBe(400);
    expect(some.body.code).toBe('VALIDATION_FAILED');
    expect(some.body.errors).toEqual([{ field: 'selector.permitNumbers', messages: ['permit EXP-99-000001 does not exist'] }]);

    const invented = Array.from({ length: 10_000 }, (_, i) => `EXP-99-${String(i).padStart(6, '0')}`);
    const started = Date.now();
    const many = await post('/decisions', 'minister', {
      decisionRef: 'MIN-INVENTED',
      action: 'suspend',
      selector: { permitNumbers: invented },
      ...legal,
    });
    const ms = Date.now() - started;
    expect(many.status).toBe(400);
    const [error] = many.body.errors as Array<{ field: string; messages: string[] }>;
    expect(error.field).toBe('selector.permitNumbers');
    expect(error.messages).toHaveLength(21);
    expect(error.messages.at(-1)).toBe('and 9980 more permit numbers that do not exist');
    expect(JSON.stringify(many.body).length).toBeLessThan(4_000);
    process.stdout.write(`[${kind}] 10,000 unknown decision targets refused in ${ms} ms\n`);

    const tooMany = await post('/decisions', 'minister', {
      decisionRef: 'MIN-TOO-MANY',
      action: 'suspend',
      selector: { permitNumbers: [...invented, 'EXP-98-000001'] },
      ...legal,
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors.map((e: { field: string }) => e.field)).toContain('selector.permitNumbers');

    expect(await store.headPosition()).toBe(head);
    for (const ref of ['MIN-TYPO', 'MIN-INVENTED', 'MIN-TOO-MANY']) expect((await get(`/decisions/${ref}`)).status).toBe(404);
  });

  it('decision: existing targets are recorded at the clock and carried out by the process manager', async () => {
    const res = await post('/decisions', 'minister', {
      decisionRef: 'MIN-NOW',
      action: 'cancel',
      selector: { permitNumbers: ['EXP-19-000002'] },
      ...legal,
    });
    expect(res.status).toBe(202);
    expect(res.body.targeted).toEqual(['EXP-19-000002']);
    const done = await completed('MIN-NOW');
    expect(done.applied.map((a: { permitNumber: string }) => a.permitNumber)).toEqual(['EXP-19-000002']);
    const history = await get('/permits/EXP-19-000002/history').set('X-Min-Position', String(await store.headPosition()));
    expect(history.body.events.at(-1)).toMatchObject({ type: 'PermitCancelled', effectiveAt: now.toISOString() });
  });

  it('expiry: the system caller cannot date it ahead; the route and the scheduler still expire what is due by the clock', async () => {
    expect((await post('/permits/EXP-19-000001/expire', 'system', { effectiveAt: '2030-01-01' })).status).toBe(400);
    const expired = await ok('/permits/EXP-19-000004/expire', 'system', {});
    expect(expired.body.events[0]).toMatchObject({ type: 'PermitExpired', effectiveAt: '2021-03-01T00:00:00.000Z' });
    now = new Date('2022-03-20T08:00:00.000Z');
    // Due by the clock: P1 only (P2 was cancelled by the decision, P3 was extended to 2022-06-30).
    expect(await t.app.get(ExpiryScheduler).runOnce()).toBe(1);
    const row = await get('/permits/EXP-19-000001').set('X-Min-Position', String(await store.headPosition()));
    expect(row.body.status).toBe('EXPIRED');
  });
});

class CapturingLogger implements LoggerService {
  lines: Array<{ level: string; text: string }> = [];
  private at =
    (level: string) =>
    (message: unknown, ...rest: unknown[]) => {
      this.lines.push({ level, text: [message, ...rest].map(String).join(' ') });
    };
  log = this.at('log');
  error = this.at('error');
  warn = this.at('warn');
  debug = this.at('debug');
  verbose = this.at('verbose');
}

describe('read-side edges: the last day, implausible positions, unknown routes', () => {
  const logger = new CapturingLogger();
  const requestLines: string[] = [];
  const requestLogger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => (requestLines.push(String(chunk)), done()) }));
  let t: TestApp;
  let auditor: string;
  let position = 0;
  const get = (path: string) => t.http().get(`/api/v1${path}`).set('Authorization', `Bearer ${auditor}`);

  beforeAll(async () => {
    t = await startTestApp({ logger, requestLogger, env: { MIN_POSITION_WAIT_MS: '200' } });
    auditor = await t.token('auditor');
    const officer = await t.token('officer');
    const minister = await t.token('minister');
    await t.http().post('/api/v1/permits').set('Authorization', `Bearer ${officer}`).send(permitBody('EXP-19-000001')).expect(201);
    const res = await t
      .http()
      .post('/api/v1/permits/EXP-19-000001/suspend')
      .set('Authorization', `Bearer ${minister}`)
      .send({ ...legal, effectiveAt: '2020-10-05' })
      .expect(200);
    position = res.body.position;
  });
  afterAll(() => t.close());

  it('asOf / knownAt = 9999-12-31 (a bare date: that whole day) and past-9999 timestamps see every event', async () => {
    for (const query of [
      'asOf=9999-12-31',
      'knownAt=9999-12-31',
      'asOf=9999-12-31T23:59:59Z',
      'asOf=9999-12-31T23:59:59-01:00',
      'knownAt=9999-12-31T23:30:00-12:00',
    ]) {
      const state = await get(`/permits/EXP-19-000001/state?${query}`).set('X-Min-Position', String(position));
      expect({ query, status: state.status, permit: state.body.status }).toEqual({ query, status: 200, permit: 'SUSPENDED' });
      const history = await get(`/permits/EXP-19-000001/history?${query}`).set('X-Min-Position', String(position));
      expect({ query, events: history.body.events?.length }).toEqual({ query, events: 2 });
    }
    // The end of a day is inclusive, and the next instant is not in it.
    expect((await get('/permits/EXP-19-000001/state?asOf=2020-10-04')).body.status).toBe('ISSUED');
    expect((await get('/permits/EXP-19-000001/state?asOf=2020-10-05')).body.status).toBe('SUSPENDED');
  });

  it('X-Min-Position: 400 naming it when no log could hold it; a plausible one past the head is 503, logged without a stack', async () => {
    for (const value of ['9007199254740993', '1000000000000000', '1.5', '-1', '1e3', '0x10']) {
      const res = await get('/stats').set('X-Min-Position', value);
      expect({ value, status: res.status }).toEqual({ value, status: 400 });
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['X-Min-Position']);
    }
    logger.lines = [];
    requestLines.length = 0;
    const ahead = await get('/stats').set('X-Min-Position', '999999999999999');
    expect(ahead.status).toBe(503);
    expect(ahead.body.code).toBe('PROJECTIONS_BEHIND');
    expect(ahead.headers['retry-after']).toBe('1');
    const logged = [...logger.lines.map((l) => l.text), ...requestLines].join('\n');
    expect(logged).not.toMatch(/\n\s+at |\.[jt]s:\d+|stack/);
    expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(logger.lines.map((l) => l.text).join('\n')).toContain('PROJECTIONS_BEHIND');
  });

  it('an unknown route is a 404 whose detail does not echo the path or the query', async () => {
    for (const request of [
      t.http().get('/api/v1/no-such-thing-<b>x</b>?token=abc123'),
      t.http().post('/api/v1/permits/EXP-19-000001/explode?q=%3Cscript%3E').send({}),
      t.http().get('/elsewhere-entirely/zz'),
    ]) {
      const res = await request.set('Authorization', `Bearer ${auditor}`);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('ROUTE_NOT_FOUND');
      expect(res.body.detail).toBe('no such route');
      expect(JSON.stringify(res.body)).not.toMatch(/no-such-thing|explode|elsewhere|abc123|script|token/);
    }
  });
});
