import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { get as httpGet, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { EVENT_STORE, type EventStore } from '@permit-ledger/event-store';
import type { Role } from '@permit-ledger/config';
import { permitBody, suspendBody } from '../../testing/bodies.js';
import { startTestApp, type TestApp } from '../../testing/test-app.js';

/*
 * What a request may cost. A cheap request must not buy seconds of the event loop or megabytes of answer:
 * validation stops at the first structural excess (array lengths, unknown fields, sizes) before validating
 * what is inside, and lists at most 20 errors; a body is read only for a routed, admitted request;
 * requests without a verified token are counted and refused per client address on arrival; live feeds,
 * whole-ledger verifications and exports are bounded per subject and in all, a verification lets other
 * requests through while it runs, and an export whose reader stops is cut;
 * a request that trickles in is cut when its documented time is up.
 */

const P = 'EXP-19-000001';
const MB = 1024 * 1024;

/** ~100,000 unknown fields in just under 1 MB: `{"0000":0,"0001":0,…}`. */
function unknownFields(count = 100_000): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(`"${i.toString(36).padStart(4, '0')}":0`);
  return `{${parts.join(',')}}`;
}

/** `[0,0,…]`: `count` elements, none of them valid for any field. */
const zeros = (count: number) => `[${Array(count).fill('0').join(',')}]`;

/** Fixed one-minute windows: a test that counts up to a limit starts well inside one. */
async function awayFromWindowEdge() {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 3000) await new Promise((r) => setTimeout(r, left + 50));
}

interface Command {
  name: string;
  role: Role;
  path: string;
  /** Array fields (dotted, as in a body) and their documented maxItems, with the body around them. */
  arrays?: Array<[field: string, max: number, wrap: (array: string) => string]>;
}

const COMMANDS: Command[] = [
  {
    name: 'issue',
    role: 'officer',
    path: '/api/v1/permits',
    arrays: [
      ['items', 200, (a) => `{"permitNumber":"EXP-19-000009","items":${a}}`],
      ['conditions', 100, (a) => `{"permitNumber":"EXP-19-000009","conditions":${a}}`],
    ],
  },
  {
    name: 'amend',
    role: 'officer',
    path: `/api/v1/permits/${P}/amend`,
    arrays: [
      ['changes.conditions', 100, (a) => `{"changes":{"conditions":${a}},"reason":"x"}`],
      ['changes.items', 200, (a) => `{"changes":{"items":${a}},"reason":"x"}`],
    ],
  },
  { name: 'suspend', role: 'minister', path: `/api/v1/permits/${P}/suspend` },
  { name: 'reinstate', role: 'minister', path: `/api/v1/permits/${P}/reinstate` },
  { name: 'open review', role: 'officer', path: `/api/v1/permits/${P}/reviews` },
  { name: 'finding', role: 'officer', path: `/api/v1/permits/${P}/reviews/R-1/findings` },
  { name: 'conclude', role: 'minister', path: `/api/v1/permits/${P}/reviews/R-1/conclude` },
  { name: 'cancel', role: 'minister', path: `/api/v1/permits/${P}/cancel` },
  { name: 'expire', role: 'system', path: `/api/v1/permits/${P}/expire` },
  {
    name: 'impose measure',
    role: 'minister',
    path: '/api/v1/destinations/TR/measures',
    arrays: [
      ['eclGroups', 10, (a) => `{"measureId":"TR-X","eclGroups":${a}}`],
      ['exceptionGrounds', 20, (a) => `{"measureId":"TR-X","exceptionGrounds":${a}}`],
    ],
  },
  { name: 'lift measure', role: 'minister', path: '/api/v1/destinations/TR/measures/TR-HALT/lift' },
  {
    name: 'decision',
    role: 'minister',
    path: '/api/v1/decisions',
    arrays: [
      ['selector.permitNumbers', 10_000, (a) => `{"decisionRef":"MIN-X","selector":{"permitNumbers":${a}}}`],
      ['selector.eclItems', 100, (a) => `{"decisionRef":"MIN-X","selector":{"eclItems":${a}}}`],
    ],
  },
];

describe('what a request may cost', () => {
  let t: TestApp;
  let store: EventStore;
  let base: string;
  const tokens = {} as Record<Role, string>;

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        RATE_LIMIT_PER_MINUTE: '1000000',
        // Each address test names its own client through X-Forwarded-For, as a proxy in front would.
        TRUST_PROXY: '1',
        ANONYMOUS_RATE_LIMIT_PER_MINUTE: '5',
        PUBLIC_RATE_LIMIT_PER_MINUTE: '8',
        FEED_MAX_PER_SUBJECT: '2',
        FEED_MAX_TOTAL: '3',
        LEDGER_VERIFY_MAX_CONCURRENT: '2',
        LEDGER_EXPORT_MAX_CONCURRENT: '2',
        EXPORT_IDLE_TIMEOUT_MS: '1000',
        LEDGER_CHECKPOINT_SECONDS: '86400',
        DEV_LOGIN: 'on',
      },
    });
    store = t.app.get<EventStore>(EVENT_STORE);
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${((t.app.getHttpServer() as Server).address() as { port: number }).port}`;
    for (const role of ['officer', 'minister', 'auditor', 'viewer', 'system'] as Role[])
      tokens[role] = await t.token(role, `costs-${role}`);
    const issued = await t.http().post('/api/v1/permits').set('Authorization', `Bearer ${tokens.officer}`).send(permitBody(P));
    expect(issued.status).toBe(201);
  });
  afterAll(() => t?.close());

  const post = (path: string, body: string, role?: Role, client = '198.51.100.1') => {
    const req = t.http().post(path).set('Content-Type', 'application/json').set('X-Forwarded-For', client);
    return (role ? req.set('Authorization', `Bearer ${tokens[role]}`) : req).send(body);
  };

  describe('validation stops early and answers briefly', () => {
    it('refuses 100,000 unknown fields on every command route with 20 listed errors and a count of the rest, in well under a second', async () => {
      const body = unknownFields();
      expect(body.length).toBeLessThan(MB);
      const before = await store.headPosition();
      for (const command of COMMANDS) {
        const started = performance.now();
        const res = await post(command.path, body, command.role);
        const ms = performance.now() - started;
        expect([command.name, res.status, res.body.code]).toEqual([command.name, 400, 'VALIDATION_FAILED']);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect([command.name, res.body.errors.length, res.body.errorsOmitted]).toEqual([command.name, 20, 100_000 - 20]);
        for (const { field, messages } of res.body.errors) expect(messages).toEqual([`property ${field} should not exist`]);
        expect(res.text.length).toBeLessThan(8 * 1024);
        // Before: 7 MB answered in 4-8 s, the event loop blocked all along.
        expect({ [command.name]: ms < 2000 }).toEqual({ [command.name]: true });
      }
      expect(await store.headPosition()).toBe(before);
    });

    it('refuses an array over its limit by its length alone, naming the field, on every array of every command', async () => {
      const huge = zeros(300_000);
      for (const command of COMMANDS) {
        for (const [field, max, wrap] of command.arrays ?? []) {
          const res = await post(command.path, wrap(huge), command.role);
          expect([field, res.status, res.body.code]).toEqual([field, 400, 'VALIDATION_FAILED']);
          // Before: one error per element (76 MB for 500,000 of them) and a validation of each.
          expect([field, res.body.errors]).toEqual([field, [{ field, messages: [`${field} must contain no more than ${max} elements`] }]]);
          expect(res.text.length).toBeLessThan(2048);
        }
      }
    });

    it('holds the answer of a nested or free-form excess to 20 errors too', async () => {
      const fields = unknownFields(50_000);
      const nested = await post(
        '/api/v1/permits',
        JSON.stringify(permitBody('EXP-19-000008')).replace('"exporter":{', `"exporter":${fields.slice(0, -1)},`),
        'officer',
      );
      expect([nested.status, nested.body.errors.length, nested.body.errorsOmitted]).toEqual([400, 20, 50_000 - 20]);
      expect(nested.body.errors.every((e: { field: string }) => e.field.startsWith('exporter.'))).toBe(true);
      // A text field sent as a huge object or array: refused whole, without looking inside.
      const object = await post(
        `/api/v1/permits/${P}/suspend`,
        JSON.stringify({ ...suspendBody(), reason: '' }).replace('"reason":""', `"reason":${fields}`),
        'minister',
      );
      expect([object.status, object.body.errors]).toEqual([
        400,
        [{ field: 'reason', messages: ['reason must not have more than 100 properties'] }],
      ]);
      const array = await post(
        `/api/v1/permits/${P}/suspend`,
        JSON.stringify({ ...suspendBody(), reason: '' }).replace('"reason":""', `"reason":${zeros(200_000)}`),
        'minister',
      );
      expect([array.status, array.body.errors]).toEqual([
        400,
        [{ field: 'reason', messages: ['reason must contain no more than 10000 elements'] }],
      ]);
    });

    it('lists 20 of the field errors of a body within its limits, and counts the rest', async () => {
      const items = Array.from({ length: 200 }, () => ({ eclItem: 'x', description: '', quantity: -1, unit: '', valueCad: -1 }));
      const res = await post('/api/v1/permits', JSON.stringify(permitBody('EXP-19-000007', { items })), 'officer');
      expect(res.status).toBe(400);
      expect(res.body.errors).toHaveLength(20);
      expect(res.body.errorsOmitted).toBe(200 * 5 - 20);
      expect(res.body.errors.every((e: { field: string }) => /^items\.\d+\.\w+$/.test(e.field))).toBe(true);
      expect(res.body.detail).toMatch(/\(and 980 more errors\)$/);
      // A short list is whole, with no count.
      const one = await post('/api/v1/permits', JSON.stringify(permitBody('EXP-19-000007', { destination: 'Turkey' })), 'officer');
      expect([one.status, one.body.errors.map((e: { field: string }) => e.field), one.body.errorsOmitted]).toEqual([
        400,
        ['destination'],
        undefined,
      ]);
    });
  });

  describe('a body is read only for a routed, admitted request', () => {
    const malformed = '{"permitNumber":';
    const oversized = `{"padding":"${'x'.repeat(MB)}"}`;

    it('answers an unknown route 404 without reading its body', async () => {
      for (const body of [malformed, oversized, unknownFields()]) {
        const res = await post('/api/v1/no-such-route', body, 'officer');
        // Before: 400 MALFORMED_JSON and 413 BODY_TOO_LARGE, the body parsed first.
        expect([res.status, res.body.code]).toEqual([404, 'ROUTE_NOT_FOUND']);
      }
    });

    it('answers 401 and 403 before reading the body, and parses it for an admitted caller', async () => {
      expect((await post('/api/v1/permits', malformed, undefined, '198.51.100.2')).status).toBe(401);
      expect((await post('/api/v1/permits', oversized, 'viewer')).status).toBe(403);
      const parsed = await post('/api/v1/permits', malformed, 'officer');
      expect([parsed.status, parsed.body.code]).toEqual([400, 'MALFORMED_JSON']);
      const tooLarge = await post('/api/v1/permits', oversized, 'officer');
      expect([tooLarge.status, tooLarge.body.code]).toEqual([413, 'BODY_TOO_LARGE']);
    });
  });

  describe('requests without a valid token are limited per client address', () => {
    it('refuses tokenless writes over the anonymous budget with 429 and Retry-After; tokens, probes and other addresses still pass', async () => {
      await awayFromWindowEdge();
      const client = '203.0.113.10';
      for (let i = 0; i < 5; i++) expect((await post('/api/v1/no-such-route', '{}', undefined, client)).status).toBe(404);
      const refused = await post('/api/v1/permits', unknownFields(), undefined, client);
      expect([refused.status, refused.body.code]).toEqual([429, 'RATE_LIMITED']);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
      // A caller with a token from the same address is its subject's business, not the address's.
      const withToken = await post('/api/v1/permits', JSON.stringify(permitBody('EXP-19-000011')), 'officer', client);
      expect(withToken.status).toBe(201);
      for (let i = 0; i < 20; i++) expect((await t.http().get('/health/live').set('X-Forwarded-For', client)).status).toBe(200);
      expect((await t.http().get('/health/ready').set('X-Forwarded-For', client)).status).not.toBe(429);
      // Public reads have their own budget.
      expect((await t.http().get('/api/v1/ledger/public-key').set('X-Forwarded-For', client)).status).toBe(200); // not 429
      expect((await post('/api/v1/no-such-route', '{}', undefined, '203.0.113.11')).status).toBe(404);
    });

    it('gives tokenless reads (documents, public key) a larger budget of their own', async () => {
      await awayFromWindowEdge();
      const client = '203.0.113.20';
      const read = (path: string) => t.http().get(path).set('X-Forwarded-For', client);
      for (let i = 0; i < 4; i++) expect((await read('/docs-json')).status).toBe(200);
      for (let i = 0; i < 4; i++) expect((await read('/api/v1/ledger/public-key')).status).toBe(200);
      const refused = await read('/docs-json');
      expect([refused.status, refused.body.code]).toEqual([429, 'RATE_LIMITED']);
      expect(refused.headers['retry-after']).toMatch(/^\d+$/);
      expect((await read('/health/live')).status).toBe(200);
      // Writes without a token are counted apart: this address has spent none of that budget.
      expect((await post('/api/v1/no-such-route', '{}', undefined, client)).status).toBe(404);
    });

    it('counts refused tokens against the address', async () => {
      await awayFromWindowEdge();
      const client = '203.0.113.30';
      for (let i = 0; i < 5; i++) {
        const res = await t
          .http()
          .post('/api/v1/permits')
          .set('X-Forwarded-For', client)
          .set('Authorization', 'Bearer not.a.token')
          .send({});
        expect(res.status).toBe(401);
      }
      expect((await post('/api/v1/permits', '{}', undefined, client)).status).toBe(429);
    });

    it('counts every request whose token is not verified on arrival, and refuses it on arrival once the address is over budget', async () => {
      await awayFromWindowEdge();
      const cases: Array<
        [name: string, client: string, send: (i: number) => ReturnType<ReturnType<TestApp['http']>['get']>, first: number]
      > = [
        [
          'bogus bearer, command',
          '203.0.113.50',
          () => t.http().post('/api/v1/permits').set('Authorization', 'Bearer x.y.z').send({}),
          401,
        ],
        ['empty header, command', '203.0.113.51', () => t.http().post('/api/v1/permits').set('Authorization', '').send({}), 401],
        ['other scheme, unknown routes', '203.0.113.52', (i) => t.http().post(`/nope${i}`).set('Authorization', 'Basic abc').send({}), 404],
        ['bogus bearer, read', '203.0.113.53', () => t.http().get('/api/v1/permits').set('Authorization', 'Bearer a'), 401],
        ['bogus bearer, HEAD', '203.0.113.54', () => t.http().head('/api/v1/ledger/verify').set('Authorization', 'Bearer a.b.c'), 401],
      ];
      for (const [name, client, send, first] of cases) {
        const statuses: number[] = [];
        for (let i = 0; i < 7; i++) statuses.push((await send(i).set('X-Forwarded-For', client)).status);
        expect([name, statuses]).toEqual([name, [first, first, first, first, first, 429, 429]]);
      }
      // The address's budget is spent for tokenless writes too.
      expect((await post('/api/v1/permits', '{}', undefined, '203.0.113.50')).status).toBe(429);
    });

    it('takes the count of a verified token back, and serves a recently verified token even from an address over budget', async () => {
      await awayFromWindowEdge();
      const client = '203.0.113.60';
      const read = (token: string) =>
        t.http().get('/api/v1/permits?limit=1').set('X-Forwarded-For', client).set('Authorization', `Bearer ${token}`);
      // Behind one address (NAT): twice the budget of fresh, valid tokens, none refused.
      const fresh = await Promise.all(Array.from({ length: 10 }, (_, i) => t.token('viewer', `nat-${i}`)));
      for (const token of fresh) expect((await read(token)).status).toBe(200);
      // A verified token with the wrong role is verified too: 403 each time, never 429.
      const viewer = await t.token('viewer', 'nat-viewer');
      for (let i = 0; i < 8; i++)
        expect((await post('/api/v1/permits', '{}', undefined, client).set('Authorization', `Bearer ${viewer}`)).status).toBe(403);
      for (let i = 0; i < 5; i++) expect((await read('not.a.token')).status).toBe(401);
      expect((await read('not.a.token')).status).toBe(429);
      // Over budget: tokens verified within the minute are still served; a token not seen yet waits for the next window.
      expect((await read(fresh[0])).status).toBe(200);
      expect((await read(viewer)).status).toBe(200);
      const unseen = await read(await t.token('viewer', 'nat-late'));
      expect([unseen.status, unseen.body.code]).toEqual([429, 'RATE_LIMITED']);
    });

    it('counts a public route reached with a made-up token as the tokenless request it is', async () => {
      await awayFromWindowEdge();
      const client = '203.0.113.40';
      const login = () =>
        t.http().post('/api/v1/dev/token').set('X-Forwarded-For', client).set('Authorization', 'Bearer made-up').send({ role: 'viewer' });
      for (let i = 0; i < 5; i++) expect((await login()).status).toBe(200);
      const refused = await login();
      expect([refused.status, refused.body.code]).toEqual([429, 'RATE_LIMITED']);
      expect((await post('/api/v1/dev/token', '{"role":"viewer"}', undefined, client)).status).toBe(429);
    });

    it('does not take a client address from X-Forwarded-For unless TRUST_PROXY says a proxy sets it', async () => {
      await awayFromWindowEdge();
      const direct = await startTestApp({ env: { ANONYMOUS_RATE_LIMIT_PER_MINUTE: '3' } });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++)
          statuses.push((await direct.http().post('/api/v1/nope').set('X-Forwarded-For', `192.0.2.${i}`).send({})).status);
        expect(statuses).toEqual([404, 404, 404, 429, 429]);
      } finally {
        await direct.close();
      }
    });
  });

  describe('live feeds are bounded per subject and in all', () => {
    /** Opens a feed and resolves once its headers arrived; `close` ends it. */
    async function openFeed(sub: string) {
      const abort = new AbortController();
      const token = await t.token('auditor', sub);
      const res = await fetch(`${base}/api/v1/feed`, { headers: { Authorization: `Bearer ${token}` }, signal: abort.signal });
      if (res.status !== 200) await res.text();
      return { status: res.status, res, close: () => abort.abort() };
    }

    it('answers 429 past FEED_MAX_PER_SUBJECT, 503 past FEED_MAX_TOTAL, both with Retry-After, and frees a slot when a feed closes', async () => {
      const a1 = await openFeed('feed-a');
      const a2 = await openFeed('feed-a');
      expect([a1.status, a2.status]).toEqual([200, 200]);
      const a3 = await openFeed('feed-a');
      expect(a3.status).toBe(429);
      expect(a3.res.headers.get('content-type') ?? '').toMatch(/^application\/problem\+json/);
      expect(a3.res.headers.get('retry-after')).toMatch(/^\d+$/);
      const b1 = await openFeed('feed-b');
      expect(b1.status).toBe(200);
      const c1 = await openFeed('feed-c');
      expect(c1.status).toBe(503);
      expect(c1.res.headers.get('retry-after')).toMatch(/^\d+$/);
      a1.close();
      // The server sees the connection go on its next turn.
      const deadline = Date.now() + 3000;
      let c2 = await openFeed('feed-c');
      while (c2.status !== 200 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        c2 = await openFeed('feed-c');
      }
      expect(c2.status).toBe(200);
      for (const feed of [a2, b1, c2]) feed.close();
    });
  });

  describe('whole-ledger verification', () => {
    const verify = (sub: string) =>
      t.token('auditor', sub).then((token) => fetch(`${base}/api/v1/ledger/verify`, { headers: { Authorization: `Bearer ${token}` } }));

    it('runs one at a time per subject (429) and LEDGER_VERIFY_MAX_CONCURRENT in all (503), with Retry-After', async () => {
      // Holds every verification at its first read until released, so that they overlap for sure.
      const gate = gateReads(store);
      try {
        const first = verify('verifier-a');
        const other = verify('verifier-b');
        while (gate.held() < 2) await new Promise((r) => setTimeout(r, 10));
        const timeout = new Promise<'hung'>((r) => setTimeout(() => r('hung'), 3000));
        const again = await Promise.race([verify('verifier-a'), timeout]);
        expect(again).not.toBe('hung');
        const second = again as Response;
        expect(second.status).toBe(429);
        expect(((await second.json()) as { code: string }).code).toBe('CONCURRENCY_LIMIT');
        expect(second.headers.get('retry-after')).toMatch(/^\d+$/);
        const third = await verify('verifier-c');
        expect(third.status).toBe(503);
        expect(((await third.json()) as { code: string }).code).toBe('BUSY');
        expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
        gate.release();
        expect([(await first).status, (await other).status]).toEqual([200, 200]);
      } finally {
        gate.restore();
      }
      // The slots are free again.
      const after = await verify('verifier-a');
      expect([after.status, ((await after.json()) as { valid: boolean }).valid]).toEqual([200, true]);
    });

    it('lets other requests through while it runs', async () => {
      // A ledger large enough for a verification to take a while (~12 µs an event).
      const actor = { id: 'seed', role: 'system' };
      for (let batch = 0; batch < 30; batch++) {
        const events = Array.from({ length: 1000 }, (_, i) => ({
          eventId: randomUUID(),
          type: 'NoiseRecorded',
          schemaVersion: 1,
          data: { i },
          metadata: { effectiveAt: '2020-01-01T00:00:00.000Z', actor, commandId: randomUUID(), correlationId: 'seed', causationId: null },
        }));
        await store.append(`noise-${batch}`, events, { expectedRevision: 'no_stream' });
      }
      const readAll = store.readAll.bind(store);
      let started!: () => void;
      const running = new Promise<void>((r) => (started = r));
      store.readAll = (options) => {
        started();
        return readAll(options);
      };
      try {
        let verified = false;
        const verification = verify('verifier-live').then(async (res) => {
          verified = true;
          return res;
        });
        await running;
        // Sent once the verification is under way: answered before it ends, not after.
        const live = await fetch(`${base}/health/live`);
        expect(live.status).toBe(200);
        expect(verified).toBe(false);
        const res = await verification;
        expect(res.status).toBe(200);
        expect(((await res.json()) as { checked: number }).checked).toBeGreaterThan(30_000);
      } finally {
        store.readAll = readAll;
      }
    });
  });

  describe('query integers are decimal digits, at most 15 of them', () => {
    const refused = ['99999999999999999', '1000000000000000', '1e3', '0x10', '-1', ' 5', '5.0', '1,2', 'NaN', ''];

    it('refuses exponents, signs, hex, fractions and over-long values on every integer query parameter, naming it', async () => {
      const auditor = `Bearer ${tokens.auditor}`;
      const routes: Array<[field: string, url: (v: string) => string]> = [
        ['revision', (v) => `/api/v1/permits/${P}/state?revision=${encodeURIComponent(v)}`],
        ['limit', (v) => `/api/v1/permits?limit=${encodeURIComponent(v)}`],
        ['from', (v) => `/api/v1/ledger/verify?from=${encodeURIComponent(v)}`],
        ['to', (v) => `/api/v1/ledger/verify?to=${encodeURIComponent(v)}`],
        ['from', (v) => `/api/v1/feed?from=${encodeURIComponent(v)}`],
      ];
      for (const [field, url] of routes) {
        for (const value of [...refused, ...(field === 'limit' ? ['1e2', '0100'] : [])]) {
          const res = await t.http().get(url(value)).set('Authorization', auditor);
          expect([url(value), res.status, res.body.code]).toEqual([url(value), 400, 'VALIDATION_FAILED']);
          expect([url(value), res.body.errors.map((e: { field: string }) => e.field)]).toEqual([url(value), [field]]);
        }
      }
      const twice = await t.http().get(`/api/v1/permits/${P}/state?revision=1&revision=2`).set('Authorization', auditor);
      expect([twice.status, twice.body.errors?.[0]?.field]).toEqual([400, 'revision']);
    });

    it('takes plain digits, leading zeros included, up to 15 of them', async () => {
      const auditor = `Bearer ${tokens.auditor}`;
      for (const value of ['0', '000000000000001', '999999999999999']) {
        const res = await t.http().get(`/api/v1/permits/${P}/state?revision=${value}`).set('Authorization', auditor);
        expect([value, res.status]).toEqual([value, 200]);
      }
      expect((await t.http().get('/api/v1/permits?limit=500').set('Authorization', auditor)).status).toBe(200);
      expect((await t.http().get('/api/v1/ledger/verify?from=0&to=000000000000005').set('Authorization', auditor)).status).toBe(200);
    });
  });

  describe('ledger exports', () => {
    const exportAs = (sub: string, query = '') =>
      t
        .token('auditor', sub)
        .then((token) => fetch(`${base}/api/v1/ledger/export${query}`, { headers: { Authorization: `Bearer ${token}` } }));

    it('run one at a time per subject (429) and LEDGER_EXPORT_MAX_CONCURRENT in all (503), with Retry-After, whatever the scope', async () => {
      // Holds every export at its first read until released, so that they overlap for sure.
      const gate = gateReads(store);
      try {
        const first = exportAs('exporter-a');
        const other = exportAs('exporter-b', '?format=csv');
        while (gate.held() < 2) await new Promise((r) => setTimeout(r, 10));
        const again = await exportAs('exporter-a', `?permitNumber=${P}`);
        expect([again.status, ((await again.json()) as { code: string }).code]).toEqual([429, 'CONCURRENCY_LIMIT']);
        expect(again.headers.get('retry-after')).toMatch(/^\d+$/);
        const third = await exportAs('exporter-c', `?permitNumber=${P}`);
        expect([third.status, ((await third.json()) as { code: string }).code]).toEqual([503, 'BUSY']);
        expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
        gate.release();
        const done = await Promise.all([first, other]);
        expect(done.map((r) => r.status)).toEqual([200, 200]);
        await Promise.all(done.map((r) => r.text()));
      } finally {
        gate.restore();
      }
      // The slots are free again.
      const after = await exportAs('exporter-a', `?permitNumber=${P}`);
      expect(after.status).toBe(200);
      expect((await after.text()).trim().split('\n').pop()).toMatch(/^\{"end":true,"count":\d+\}$/);
    });

    it('cuts a reader that stops taking the export (EXPORT_IDLE_TIMEOUT_MS) and frees its slot', async () => {
      // ~20 MB of events: more than the sockets buffer, so a reader that stops reading holds the stream.
      const actor = { id: 'seed', role: 'system' };
      for (let batch = 0; batch < 4; batch++) {
        const events = Array.from({ length: 50 }, () => ({
          eventId: randomUUID(),
          type: 'BulkRecorded',
          schemaVersion: 1,
          data: { padding: 'x'.repeat(100_000) },
          metadata: { effectiveAt: '2020-01-01T00:00:00.000Z', actor, commandId: randomUUID(), correlationId: 'seed', causationId: null },
        }));
        await store.append(`bulk-${batch}`, events, { expectedRevision: 'no_stream' });
      }
      const token = await t.token('auditor', 'exporter-idle');
      // The client cannot see the server close while it does not read (the close waits behind the data): watch the server's side.
      const server = t.app.getHttpServer() as Server;
      const accepted: Socket[] = [];
      const onConnection = (socket: Socket) => accepted.push(socket);
      server.on('connection', onConnection);
      const started = Date.now();
      let response!: IncomingMessage;
      const client = await new Promise<Socket>((resolve) => {
        const request = httpGet(
          `${base}/api/v1/ledger/export`,
          { headers: { Authorization: `Bearer ${token}` } },
          (res: IncomingMessage) => {
            res.pause();
            response = res;
            resolve(res.socket as Socket);
          },
        );
        request.on('error', () => undefined);
      });
      server.off('connection', onConnection);
      expect(response.statusCode).toBe(200);
      const serverSide = accepted.find((socket) => socket.remotePort === client.localPort)!;
      while (!serverSide.destroyed && Date.now() - started < 8000) await new Promise((r) => setTimeout(r, 50));
      expect(serverSide.destroyed).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      // What the client got is cut short: no trailer, so it fails verification rather than looks complete.
      const tail = await new Promise<string>((resolve) => {
        let last = '';
        response.on('data', (chunk: Buffer) => (last = (last + chunk.toString()).slice(-200)));
        client.on('close', () => resolve(last));
        response.resume();
      });
      expect(response.complete).toBe(false);
      expect(tail).not.toMatch(/"end":true/);
      // Its slot is free: the same subject may export again.
      const again = await fetch(`${base}/api/v1/ledger/export?permitNumber=${P}`, { headers: { Authorization: `Bearer ${token}` } });
      expect(again.status).toBe(200);
      await again.text();
    });

    it('frees the slot of a reader that goes away', async () => {
      const token = await t.token('auditor', 'exporter-gone');
      await new Promise<void>((resolve) => {
        const request = httpGet(`${base}/api/v1/ledger/export`, { headers: { Authorization: `Bearer ${token}` } }, (res) => {
          res.pause();
          request.destroy();
          resolve();
        });
        request.on('error', () => undefined);
      });
      const deadline = Date.now() + 3000;
      let status = 0;
      while (Date.now() < deadline) {
        const res = await fetch(`${base}/api/v1/ledger/export?permitNumber=${P}`, { headers: { Authorization: `Bearer ${token}` } });
        status = res.status;
        await res.text();
        if (status === 200) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      // Well before EXPORT_IDLE_TIMEOUT_MS would have cut it.
      expect(status).toBe(200);
    });
  });
});

describe('a request that trickles in is cut when its time is up', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    // Headers within min(20 s, REQUEST_TIMEOUT_MS), the whole request within REQUEST_TIMEOUT_MS: shortened here.
    t = await startTestApp({ env: { REQUEST_TIMEOUT_MS: '1500' } });
    await t.app.listen(0, '127.0.0.1');
    port = ((t.app.getHttpServer() as Server).address() as { port: number }).port;
  });
  afterAll(() => t?.close());

  /** Writes `head`, then `drip` every 100 ms until the server answers or closes; resolves with what it said and when. */
  function trickle(head: string, drip: string): Promise<{ answer: string; ms: number }> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      let answer = '';
      const socket = connect(port, '127.0.0.1', () => socket.write(head));
      const timer = setInterval(() => socket.writable && socket.write(drip), 100);
      const giveUp = setTimeout(() => socket.destroy(new Error('still open after 8 s')), 8000);
      socket.on('data', (chunk) => (answer += chunk.toString()));
      socket.on('error', (error) => {
        clearInterval(timer);
        clearTimeout(giveUp);
        if (answer) resolve({ answer, ms: Date.now() - started });
        else reject(error);
      });
      socket.on('close', () => {
        clearInterval(timer);
        clearTimeout(giveUp);
        resolve({ answer, ms: Date.now() - started });
      });
    });
  }

  it('cuts headers that never end at the headers timeout (408), not half a minute later', async () => {
    const { answer, ms } = await trickle('GET /health/live HTTP/1.1\r\nHost: x\r\n', 'X-Slow: 1\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('"code":"REQUEST_TIMEOUT"');
    expect(ms).toBeGreaterThanOrEqual(1400);
    expect(ms).toBeLessThan(3500);
  });

  it('cuts a body that never ends at the request timeout', async () => {
    const token = await t.token('officer');
    const head = `POST /api/v1/permits HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"a":"`;
    const { answer, ms } = await trickle(head, 'x');
    // A request still arriving is the client's delay, whichever timer cuts it: 408, never the handler's 503.
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('"code":"REQUEST_TIMEOUT"');
    expect(ms).toBeGreaterThanOrEqual(1400);
    expect(ms).toBeLessThan(3500);
  });

  it('cuts a body that stops arriving with 408 on every body-taking route, also when its headers came at once', async () => {
    const token = await t.token('minister');
    for (const path of ['/api/v1/permits/EXP-19-000001/suspend', '/api/v1/decisions', '/api/v1/destinations/TR/measures']) {
      const head = `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`;
      const { answer } = await trickle(head, ' ');
      expect([path, answer.split('\r\n')[0]]).toEqual([path, 'HTTP/1.1 408 Request Timeout']);
    }
  });
});

/** Makes every `readAll` of the store wait until `release()`, counting the reads held. */
function gateReads(store: EventStore) {
  const readAll = store.readAll.bind(store);
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let held = 0;
  store.readAll = async (options) => {
    held++;
    await gate;
    return readAll(options);
  };
  return {
    held: () => held,
    release: () => open(),
    restore() {
      open();
      store.readAll = readAll;
    },
  };
}
