import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { EVENT_STORE, type EventStore } from '@permit-ledger/event-store';
import type { Role } from '@permit-ledger/config';
import { permitBody } from '../../testing/bodies.js';
import { startTestApp, type TestApp } from '../../testing/test-app.js';

/**
 * Bad input never hurts: property-based requests (fast-check) against every command route,
 * with the route's own role, over HTTP. For every answer:
 *   - never a 5xx;
 *   - from 400 up: application/problem+json with type, title, status (= the HTTP status), detail, code;
 *   - a refused command wrote nothing: the store's head position is the one before the request.
 * The store is seeded first (two permits, an open review, a destination measure, a decision) so that
 * valid-but-mutated bodies reach the domain, and some of them are accepted: those move the head, which is fine.
 *
 * Reproducible: every property runs under a fixed seed (FUZZ_SEED overrides it); a failure reports the
 * seed, the path and the request recipe (recipes are small descriptions; bodies are built from them).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 6_2019_10);
const MB = 1024 * 1024; // bootstrap's BODY_LIMIT, '1mb' as body-parser reads it

// ---------------------------------------------------------------------------------------------------------
// JSON text with what JSON.stringify cannot write: raw number tokens (1e309, -0), own __proto__ keys.

class Raw {
  constructor(readonly text: string) {}
}
type Node = null | boolean | number | string | Raw | Node[] | { [key: string]: Node };

function toJson(value: Node): string {
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .map((k) => `${JSON.stringify(k)}:${toJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** An own property, even for "__proto__" (plain assignment would set the prototype instead). */
function define(target: Record<string, Node>, key: string, value: Node): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const clone = (value: Node): Node => JSON.parse(JSON.stringify(value)) as Node;

// ---------------------------------------------------------------------------------------------------------
// The command routes, their role, their parameters and a valid body against the seeded store.

const P1 = 'EXP-19-000001'; // TR, open review R-1
const P2 = 'EXP-19-000002'; // US
type Params = { n: string; r: string; c: string; m: string };
const PARAMS: Params = { n: P1, r: 'R-1', c: 'TR', m: 'TR-HALT' };

interface Route {
  name: string;
  role: Role;
  params: Array<keyof Params>;
  path: (p: Params) => string;
  body: Record<string, Node>;
}

const legal = { reason: 'Review ordered by the Minister', legalBasis: 'EIPA s.10(1)' };
const ROUTES: Route[] = [
  { name: 'issue', role: 'officer', params: [], path: () => '/permits', body: permitBody(P1) as Record<string, Node> },
  {
    name: 'amend',
    role: 'officer',
    params: ['n'],
    path: (p) => `/permits/${p.n}/amend`,
    body: {
      changes: { expiresOn: '2022-06-30', conditions: [{ code: 'NO-REEXPORT', text: 'none' }] },
      reason: 'extension',
      effectiveAt: '2019-07-01',
    },
  },
  {
    name: 'suspend',
    role: 'minister',
    params: ['n'],
    path: (p) => `/permits/${p.n}/suspend`,
    body: { ...legal, decisionRef: 'MIN-2020-10-05', effectiveAt: '2020-10-05' },
  },
  {
    name: 'reinstate',
    role: 'minister',
    params: ['n'],
    path: (p) => `/permits/${p.n}/reinstate`,
    body: { ...legal, effectiveAt: '2020-12-16' },
  },
  {
    name: 'open-review',
    role: 'officer',
    params: ['n'],
    path: (p) => `/permits/${p.n}/reviews`,
    body: { reviewId: 'R-2', reason: 'a review', effectiveAt: '2019-07-01' },
  },
  {
    name: 'finding',
    role: 'officer',
    params: ['n', 'r'],
    path: (p) => `/permits/${p.n}/reviews/${p.r}/findings`,
    body: {
      finding: 'sensor found on a drone',
      theatre: 'Nagorno-Karabakh',
      evidenceRef: 'EV-1',
      assuranceBreached: true,
      effectiveAt: '2019-07-02',
    },
  },
  {
    name: 'conclude',
    role: 'minister',
    params: ['n', 'r'],
    path: (p) => `/permits/${p.n}/reviews/${p.r}/conclude`,
    body: { outcome: 'cancellation_recommended', summary: 'assurances breached', effectiveAt: '2019-07-03' },
  },
  {
    name: 'cancel',
    role: 'minister',
    params: ['n'],
    path: (p) => `/permits/${p.n}/cancel`,
    body: { ...legal, reviewId: 'R-1', decisionRef: 'MIN-2021-04-12', effectiveAt: '2021-04-12' },
  },
  { name: 'expire', role: 'system', params: ['n'], path: (p) => `/permits/${p.n}/expire`, body: { effectiveAt: '2022-03-20' } },
  {
    name: 'impose',
    role: 'minister',
    params: ['c'],
    path: (p) => `/destinations/${p.c}/measures`,
    body: {
      measureId: 'TR-NTE-992',
      kind: 'presumptive_denial',
      eclGroups: [2],
      exceptionGrounds: ['nato_cooperation'],
      reference: 'NtE 992',
      reason: 'Group 2',
      effectiveAt: '2020-04-16',
    },
  },
  {
    name: 'lift',
    role: 'minister',
    params: ['c', 'm'],
    path: (p) => `/destinations/${p.c}/measures/${p.m}/lift`,
    body: { reference: 'NtE 1108', reason: 'lifted', effectiveAt: '2024-01-29' },
  },
  {
    name: 'decision',
    role: 'minister',
    params: [],
    path: () => '/decisions',
    body: { decisionRef: 'MIN-FUZZ-1', action: 'suspend', selector: { permitNumbers: [P2] }, ...legal, effectiveAt: '2020-10-05' },
  },
];
const ROUTE = new Map(ROUTES.map((r) => [r.name, r]));
/** Every field some DTO knows (from api.md's bodies): adding one of these is not necessarily a refusal. */
const KNOWN_FIELDS = new Set([
  ...ROUTES.flatMap((r) => pathsOf(r.body).fields.map((f) => f.at(-1)!)),
  'address',
  'country',
  'businessNumber',
  'exceptionGround',
  'supersedes',
  'decisionRef',
  'reviewId',
  'theatre',
  'evidenceRef',
  'eclGroups',
  'exceptionGrounds',
  'destination',
  'status',
  'eclItems',
  'permitNumbers',
  'expiresOn',
  'conditions',
  'items',
  'effectiveAt',
]);

/** Every path into a body ("items.0.quantity"); objects also as places to add a key. */
function pathsOf(value: Node, prefix: string[] = []): { fields: string[][]; objects: string[][] } {
  const fields: string[][] = [];
  const objects: string[][] = [];
  if (Array.isArray(value)) {
    value.slice(0, 1).forEach((item, i) => {
      fields.push([...prefix, String(i)]);
      const inner = pathsOf(item, [...prefix, String(i)]);
      fields.push(...inner.fields);
      objects.push(...inner.objects);
    });
  } else if (value !== null && typeof value === 'object' && !(value instanceof Raw)) {
    objects.push(prefix);
    for (const key of Object.keys(value)) {
      fields.push([...prefix, key]);
      const inner = pathsOf(value[key], [...prefix, key]);
      fields.push(...inner.fields);
      objects.push(...inner.objects);
    }
  }
  return { fields, objects };
}

// ---------------------------------------------------------------------------------------------------------
// Adversarial values, as small recipes (so a counterexample prints short) built into JSON nodes.

type Recipe =
  | { k: 'json'; v: Node }
  | { k: 'raw'; text: string }
  | { k: 'tweak'; how: 'nul' | 'newline' | 'space' | 'lower' | 'wrap-array' | 'wrap-object' | 'stringify' | 'rtl' | 'zero-width' }
  | { k: 'huge-string'; n: number; ch: string }
  | { k: 'huge-array'; n: number; of: 'int' | 'string' | 'object' | 'null' }
  | { k: 'deep'; depth: number; shape: 'array' | 'object' }
  | { k: 'proto'; key: string; inner: Node };

const ADVERSARIAL_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'then'];
const BAD_DATES = [
  '2019-02-30',
  '2019-02-29',
  '2019-13-01',
  '2019-00-10',
  '2019-04-31',
  '2019-1-1',
  '19-01-01',
  '0000-00-00',
  '0000-01-01',
  '9999-12-31',
  '2019-01-01T24:00:00Z',
  '2019-01-01T24:00Z',
  '2019-01-01T23:59:60Z',
  '2019-01-01T23:60:00Z',
  '2019-01-01T00:00:00',
  '2019-01-01T00:00:00+25:00',
  '2019-01-01T00:00:00+99:99',
  '2019-01-01T00:00:00-24:00',
  '2019-01-01T00:00:00+14:59',
  '2019-01-01T00:00:00.1234567890Z',
  '+002019-01-01',
  '-000001-01-01',
  '2019-01-01 00:00:00Z',
  ' 2019-01-01',
  '2019-01-01\n',
  '２０１９-０１-０１',
  '2019-W01-1',
  '2019-001',
  'Tue, 01 Jan 2019 00:00:00 GMT',
  '1546300800',
  'now',
  'Invalid Date',
  '',
];
const RAW_NUMBERS = [
  '1e309',
  '-1e309',
  '1E400',
  '-0',
  '-0.0',
  '1e-400',
  '5e-324',
  '123456789012345678901234567890',
  '9007199254740993',
  '-9007199254740993',
  '0.1',
  '1.005',
  '4.999',
  '2.5',
  '-1',
  '1e21',
  '1.7976931348623157e308',
  '0e0',
  '1000000000000000000000000000000000000000.5',
  // Finite, but past the bounds of an amount or a quantity, or written with an exponent.
  '1e308',
  '1e306',
  '1e-7',
  '0.0000001',
  '1.5e-7',
  '1e-320',
  '0.004',
  '9007199254740994',
  '1000000000000.01',
  '1000000001',
];
const SPECIAL_STRINGS = [
  '\u0000',
  'EXP-19-000001\u0000',
  '\ud800',
  '\udfff',
  'a\ud83d',
  '\ud83d\ude00',
  '👩‍👩‍👧‍👦',
  '\u202eTR',
  '\u200bTR',
  'ﾃｽﾄ',
  'TR\u0301',
  'مرحبا',
  'עברית',
  '\ufeff',
  '\uffff',
  '\r\n',
  '\t',
  '\\',
  '"',
  "'; DROP TABLE events; --",
  '${7*7}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '%00',
  'null',
  'undefined',
  'NaN',
  'true',
  '[]',
  '{}',
  'Ω'.repeat(301),
  'x'.repeat(2001),
];

const scalarWrongType = fc.constantFrom<Node>(null, true, false, 0, 1, -1, 42.5, '', 'x', [], {}, [null], [[]], [{}], { value: 1 });

const recipe: fc.Arbitrary<Recipe> = fc.oneof(
  { weight: 5, arbitrary: scalarWrongType.map((v) => ({ k: 'json' as const, v })) },
  { weight: 4, arbitrary: fc.constantFrom(...RAW_NUMBERS).map((text) => ({ k: 'raw' as const, text })) },
  { weight: 4, arbitrary: fc.constantFrom(...BAD_DATES).map((v) => ({ k: 'json' as const, v })) },
  {
    weight: 4,
    arbitrary: fc
      .oneof(
        fc.string({ unit: 'binary', maxLength: 30 }),
        fc.string({ unit: 'grapheme', maxLength: 30 }),
        fc.constantFrom(...SPECIAL_STRINGS),
      )
      .map((v) => ({ k: 'json' as const, v })),
  },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom('nul', 'newline', 'space', 'lower', 'wrap-array', 'wrap-object', 'stringify', 'rtl', 'zero-width')
      .map((how) => ({ k: 'tweak' as const, how })),
  },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => ({ k: 'json' as const, v: v as Node })) },
  {
    weight: 2,
    arbitrary: fc
      .record({
        key: fc.constantFrom(...ADVERSARIAL_KEYS),
        inner: fc.constantFrom<Node>({ polluted: true }, { prototype: { polluted: true } }, null, 1, [], 'x'),
      })
      .map(({ key, inner }) => ({ k: 'proto' as const, key, inner })),
  },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc
        .record({ n: fc.constantFrom(2001, 65_537, 900_000), ch: fc.constantFrom('x', 'é', '😀', '\u0000', '\ud800', '\u202e') })
        .map((r) => ({ k: 'huge-string' as const, ...r })),
      fc
        .record({
          n: fc.constantFrom(201, 10_001, 100_000),
          of: fc.constantFrom('int' as const, 'string' as const, 'object' as const, 'null' as const),
        })
        .map((r) => ({ k: 'huge-array' as const, ...r })),
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ depth: fc.constantFrom(64, 1000, 5000), shape: fc.constantFrom('array' as const, 'object' as const) })
      .map((r) => ({ k: 'deep' as const, ...r })),
  },
);

function deep(depth: number, shape: 'array' | 'object'): Raw {
  return shape === 'array' ? new Raw('['.repeat(depth) + ']'.repeat(depth)) : new Raw('{"a":'.repeat(depth) + 'null' + '}'.repeat(depth));
}

function build(r: Recipe, original: Node | undefined): Node {
  switch (r.k) {
    case 'json':
      return clone(r.v);
    case 'raw':
      return new Raw(r.text);
    case 'huge-string':
      return r.ch.repeat(r.n);
    case 'huge-array': {
      const item: Node = r.of === 'int' ? 7 : r.of === 'string' ? 'x' : r.of === 'null' ? null : {};
      return new Raw(`[${Array(r.n).fill(toJson(item)).join(',')}]`);
    }
    case 'deep':
      return deep(r.depth, r.shape);
    case 'proto': {
      const o: Record<string, Node> = {};
      define(o, r.key, clone(r.inner));
      return o;
    }
    case 'tweak': {
      const v = original === undefined ? 'x' : original;
      const s = typeof v === 'string' ? v : toJson(v);
      switch (r.how) {
        case 'nul':
          return `${s}\u0000`;
        case 'newline':
          return `${s}\n`;
        case 'space':
          return ` ${s}`;
        case 'lower':
          return s.toLowerCase();
        case 'rtl':
          return `\u202e${s}`;
        case 'zero-width':
          return `${s}\u200b`;
        case 'wrap-array':
          return [clone(v)];
        case 'wrap-object':
          return { value: clone(v) };
        case 'stringify':
          return typeof v === 'string' ? v : s;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Requests as recipes.

interface Wire {
  route: string;
  path: string;
  role: Role;
  body?: string | Buffer;
  /** null: no Content-Type header at all. */
  contentType: string | null;
  headers: Record<string, string>;
  /** Must the answer be a refusal (4xx)? */
  mustRefuse?: boolean;
  label: string;
}

type Mutation =
  { op: 'set'; path: string[]; value: Recipe } | { op: 'delete'; path: string[] } | { op: 'add'; at: string[]; key: string; value: Recipe };

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 260 });
const headersArb: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    'If-Match': fc.oneof(
      fc.constantFrom('"0"', '"-1"', '"1"', '"999999999999999"', '"9999999999999999999"', 'W/"0"', '*', '"1e3"', '""', 'abc'),
      printable,
    ),
    'Idempotency-Key': fc.oneof(fc.constantFrom('k', 'fuzz-key-1', 'fuzz-key-2', ' ', 'x'.repeat(201)), printable),
    'X-Correlation-Id': printable,
  },
  { requiredKeys: [] },
);

const mutationArb = (route: Route): fc.Arbitrary<Mutation> => {
  const { fields, objects } = pathsOf(route.body);
  return fc.oneof(
    { weight: 8, arbitrary: fc.record({ op: fc.constant('set' as const), path: fc.constantFrom(...fields), value: recipe }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), path: fc.constantFrom(...fields) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('add' as const),
        at: fc.constantFrom(...objects),
        key: fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(...ADVERSARIAL_KEYS, 'actor', 'id', 'position', 'revision') },
          fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
        ),
        value: recipe,
      }),
    },
  );
};

function mutate(body: Record<string, Node>, m: Mutation): Node {
  const copy = clone(body) as Record<string, Node>;
  const target = m.op === 'add' ? m.at : m.path.slice(0, -1);
  let parent: any = copy;
  for (const key of target) parent = parent[key];
  if (m.op === 'add') define(parent, m.key, build(m.value, undefined));
  else if (m.op === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(m.path.at(-1)), 1);
    else delete parent[m.path.at(-1)!];
  } else {
    const key = m.path.at(-1)!;
    parent[key] = build(m.value, parent[key]);
  }
  return copy;
}

const short = (value: unknown) => {
  const s = JSON.stringify(value, (_k, v) => (typeof v === 'string' && v.length > 80 ? `${v.slice(0, 80)}…(${v.length})` : v));
  return s.length > 600 ? `${s.slice(0, 600)}…` : s;
};

// ---------------------------------------------------------------------------------------------------------

describe('bad input never hurts: fuzzing every command route (fast-check)', () => {
  let t: TestApp;
  let store: EventStore;
  const tokens = {} as Record<Role, string>;
  let requests = 0;
  const statuses = new Map<number, number>();

  beforeAll(async () => {
    t = await startTestApp({
      // No checkpoints in the middle of the run: nothing but the request itself may move the head.
      env: { RATE_LIMIT_PER_MINUTE: '1000000', EXPIRY_SCHEDULER: 'off', LEDGER_CHECKPOINT_SECONDS: '86400' },
    });
    store = t.app.get<EventStore>(EVENT_STORE);
    for (const role of ['officer', 'minister', 'auditor', 'system'] as Role[]) tokens[role] = await t.token(role, `fuzz-${role}`);
    const seed: Array<[Role, string, object]> = [
      ['officer', '/permits', permitBody(P1)],
      [
        'officer',
        '/permits',
        permitBody(P2, { destination: 'US', consignee: { name: 'Acme', country: 'US' }, endUser: { name: 'Acme', country: 'US' } }),
      ],
      ['officer', `/permits/${P1}/reviews`, { reviewId: 'R-1', reason: 'routine review', effectiveAt: '2019-06-01' }],
      [
        'minister',
        '/destinations/TR/measures',
        { measureId: 'TR-HALT', kind: 'issuance_suspended', reference: 'GAC 2019-10', reason: 'halt', effectiveAt: '2019-10-11' },
      ],
    ];
    for (const [role, path, body] of seed) {
      const res = await t.http().post(`/api/v1${path}`).set('Authorization', `Bearer ${tokens[role]}`).send(body);
      if (res.status >= 300) throw new Error(`seeding ${path} failed: ${res.status} ${JSON.stringify(res.body)}`);
    }
    await send({
      route: 'decision',
      path: '/decisions',
      role: 'minister',
      contentType: 'application/json',
      headers: {},
      label: 'seed decision',
      body: toJson({
        decisionRef: 'MIN-SEED',
        action: 'open_review',
        selector: { permitNumbers: [P2] },
        ...legal,
        effectiveAt: '2020-01-01',
      }),
    });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  /** Waits until the process manager has carried a decision out: until then it appends in the background. */
  async function settleDecision(ref: string) {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const res = await t
        .http()
        .get(`/api/v1/decisions/${encodeURIComponent(ref)}`)
        .set('Authorization', `Bearer ${tokens.auditor}`);
      if (res.status === 200 && res.body.status === 'COMPLETED') return;
      if (Date.now() > deadline) throw new Error(`decision ${ref} not completed in time: ${res.status} ${short(res.body)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** One request and the checks every answer must pass; throws (for fast-check) with the request named. */
  async function send(w: Wire) {
    const before = await store.headPosition();
    let req = t.http().post(`/api/v1${w.path}`).set('Authorization', `Bearer ${tokens[w.role]}`);
    if (w.contentType !== null) req = req.set('Content-Type', w.contentType);
    for (const [name, value] of Object.entries(w.headers)) req = req.set(name, value);
    // superagent JSON-serialises a Buffer sent as JSON ({"type":"Buffer",...}): send its bytes as they are.
    if (Buffer.isBuffer(w.body)) req = req.serialize((bytes: unknown) => bytes as string);
    if (w.body !== undefined) req = req.send(w.body);
    const res = await req;
    requests++;
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    const after = await store.headPosition();
    const type = res.headers['content-type'] ?? '(none)';
    const fail = (why: string) => {
      const size = w.body === undefined ? 0 : Buffer.byteLength(w.body);
      throw new Error(
        `${why}\n  POST /api/v1${w.path} as ${w.role} [${w.label}], ${size} bytes as ${w.contentType ?? '(no content type)'}, headers ${short(w.headers)}` +
          `\n  answered ${res.status} ${type}: ${(res.text ?? '').slice(0, 500)}`,
      );
    };
    if (res.status >= 500) fail(`a 5xx answer`);
    if (res.status >= 400) {
      if (!/^application\/problem\+json(;|$)/.test(type)) fail('a refusal that is not application/problem+json');
      const b = res.body as Record<string, unknown>;
      for (const field of ['type', 'title', 'detail', 'code'])
        if (typeof b?.[field] !== 'string' || b[field] === '') fail(`a problem without "${field}"`);
      if (b.status !== res.status) fail(`a problem whose status (${String(b.status)}) is not the answer's`);
      if (after !== before) fail(`a refused request moved the store's head from ${before} to ${after}`);
    } else {
      if (w.mustRefuse) fail('a body that must be refused was accepted');
      if (w.route === 'decision' && res.status === 202) await settleDecision(res.body.decisionRef);
    }
    return res;
  }

  const json = (route: Route, body: Node, extra: Partial<Wire> & { label: string }): Wire => ({
    route: route.name,
    path: route.path(PARAMS),
    role: route.role,
    contentType: 'application/json',
    headers: {},
    body: toJson(body),
    ...extra,
  });

  it('one field of a valid body mutated: wrong types, odd numbers and dates, unicode, huge, deep, __proto__', async () => {
    const arb = fc.constantFrom(...ROUTES).chain((route) =>
      fc.record({
        route: fc.constant(route.name),
        mutation: mutationArb(route),
        headers: fc.option(headersArb, { freq: 4, nil: undefined }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(arb, async ({ route: name, mutation, headers }) => {
        const route = ROUTE.get(name)!;
        // An unknown key is refused wherever it is added (every object of a body is a whitelisted DTO).
        const mustRefuse = mutation.op === 'add' && !KNOWN_FIELDS.has(mutation.key);
        await send(json(route, mutate(route.body, mutation), { headers: headers ?? {}, mustRefuse, label: `${name} ${short(mutation)}` }));
      }),
      { seed: SEED, numRuns: 1400 },
    );
  }, 120_000);

  it('whole bodies of random and adversarial JSON', async () => {
    const fieldNames = [...new Set(ROUTES.flatMap((r) => Object.keys(r.body)))];
    const keyArb = fc.oneof(
      fc.constantFrom(...fieldNames),
      fc.constantFrom(...ADVERSARIAL_KEYS),
      fc.string({ unit: 'binary', maxLength: 10 }),
    );
    type Whole =
      | { k: 'json'; v: Node }
      | { k: 'dict'; entries: Array<[string, Recipe]> }
      | { k: 'array-of-valid'; n: number }
      | { k: 'proto-wrapped'; key: string; alsoValid: boolean }
      | { k: 'deep'; depth: number; shape: 'array' | 'object' }
      | { k: 'raw'; text: string };
    const wholeArb: fc.Arbitrary<Whole> = fc.oneof(
      { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => ({ k: 'json' as const, v: v as Node })) },
      { weight: 4, arbitrary: fc.array(fc.tuple(keyArb, recipe), { maxLength: 8 }).map((entries) => ({ k: 'dict' as const, entries })) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }).map((n) => ({ k: 'array-of-valid' as const, n })) },
      {
        weight: 2,
        arbitrary: fc
          .record({ key: fc.constantFrom('__proto__', 'constructor', 'prototype'), alsoValid: fc.boolean() })
          .map((r) => ({ k: 'proto-wrapped' as const, ...r })),
      },
      {
        weight: 1,
        arbitrary: fc
          .record({ depth: fc.constantFrom(1000, 5000, 50_000), shape: fc.constantFrom('array' as const, 'object' as const) })
          .map((r) => ({ k: 'deep' as const, ...r })),
      },
      {
        weight: 2,
        arbitrary: fc
          .constantFrom(
            '{"reason":"a","reason":1}',
            '{"__proto__":{"__proto__":{}}}',
            '{"constructor":{"prototype":{"polluted":true}}}',
            '{"a":1e309}',
            '[]',
            '{}',
            '{"":""}',
          )
          .map((text) => ({ k: 'raw' as const, text })),
      },
    );
    const arb = fc.record({ route: fc.constantFrom(...ROUTES.map((r) => r.name)), whole: wholeArb });
    await fc.assert(
      fc.asyncProperty(arb, async ({ route: name, whole }) => {
        const route = ROUTE.get(name)!;
        let body: Node;
        let mustRefuse = false;
        switch (whole.k) {
          case 'json':
            body = whole.v;
            break;
          case 'raw':
            body = new Raw(whole.text);
            break;
          case 'deep':
            body = deep(whole.depth, whole.shape);
            mustRefuse = true;
            break;
          case 'array-of-valid':
            body = Array(whole.n).fill(route.body);
            mustRefuse = true;
            break;
          case 'dict': {
            const o: Record<string, Node> = {};
            for (const [key, value] of whole.entries)
              define(o, key, build(value, Object.hasOwn(route.body, key) ? route.body[key] : undefined));
            body = o;
            break;
          }
          case 'proto-wrapped': {
            // The valid fields hidden behind __proto__ (or constructor / prototype): never a valid body.
            const o: Record<string, Node> = whole.alsoValid ? (clone(route.body) as Record<string, Node>) : {};
            define(o, whole.key, clone(route.body));
            body = o;
            mustRefuse = true;
            break;
          }
        }
        await send(json(route, body, { mustRefuse, label: `${name} ${short(whole)}` }));
      }),
      { seed: SEED + 1, numRuns: 350 },
    );
    // Nothing leaked into the prototypes of this process (the app runs in it).
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 120_000);

  it('bodies that are not JSON, wrong content types and encodings, no body at all', async () => {
    const PAYLOADS = [
      'valid',
      'none',
      'empty',
      'text',
      'truncated',
      'form',
      'xml',
      'invalid-utf8',
      'utf16le',
      'bom',
      'nul-bytes',
      'primitive',
      'single-quotes',
      'unquoted-keys',
      'nan',
      'trailing-comma',
      'comment',
      'gzip-valid',
      'gzip-garbage',
    ] as const;
    type Payload = (typeof PAYLOADS)[number];
    const CONTENT_TYPES = [
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      'application/json; charset=klingon',
      'APPLICATION/JSON',
      'application/json;;;',
      'application/vnd.api+json',
      'application/problem+json',
      'text/plain',
      'text/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=xyz',
      'application/xml',
      'application/octet-stream',
      'image/png',
      '*/*',
      'json',
      null,
    ];
    const payload = (p: Payload, route: Route): string | Buffer | undefined => {
      const valid = toJson(route.body);
      switch (p) {
        case 'valid':
          return valid;
        case 'none':
          return undefined;
        case 'empty':
          return Buffer.alloc(0);
        case 'text':
          return 'suspend it, please';
        case 'truncated':
          return valid.slice(0, Math.floor(valid.length / 2));
        case 'form':
          return 'reason=a&legalBasis=b&effectiveAt=2020-10-05';
        case 'xml':
          return '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>';
        case 'invalid-utf8':
          return Buffer.concat([Buffer.from('{"reason":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from('"}')]);
        case 'utf16le':
          return Buffer.from(valid, 'utf16le');
        case 'bom':
          return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(valid)]);
        case 'nul-bytes':
          return Buffer.from([0, 0, 0, 0x7b, 0, 0x7d]);
        case 'primitive':
          return '"just a string"';
        case 'single-quotes':
          return valid.replace(/"/g, "'");
        case 'unquoted-keys':
          return valid.replace(/"([a-zA-Z]+)":/g, '$1:');
        case 'nan':
          return '{"quantity":NaN,"valueCad":Infinity}';
        case 'trailing-comma':
          return `${valid.slice(0, -1)},}`;
        case 'comment':
          return `/* hi */${valid}`;
        case 'gzip-valid':
          return gzipSync(Buffer.from(valid));
        case 'gzip-garbage':
          return Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef]);
      }
    };
    const arb = fc.record({
      route: fc.constantFrom(...ROUTES.map((r) => r.name)),
      payload: fc.constantFrom(...PAYLOADS),
      contentType: fc.constantFrom(...CONTENT_TYPES),
      encoding: fc.option(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-klingon', 'gzip, gzip'), { freq: 3, nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ route: name, payload: p, contentType, encoding }) => {
        const route = ROUTE.get(name)!;
        let body = payload(p, route);
        // Without a Content-Type, superagent would label a string as a form: send bytes instead.
        if (contentType === null && typeof body === 'string') body = Buffer.from(body);
        await send({
          route: name,
          path: route.path(PARAMS),
          role: route.role,
          contentType,
          body,
          headers: encoding ? { 'Content-Encoding': encoding } : {},
          label: `${name} payload=${p} encoding=${encoding ?? '-'}`,
        });
      }),
      { seed: SEED + 2, numRuns: 250 },
    );
  }, 60_000);

  it('random path parameters, URL-encoded (and badly encoded)', async () => {
    const withParams = ROUTES.filter((r) => r.params.length > 0);
    // A lone surrogate cannot be URL-encoded; write it as the bytes of its CESU-8 form (invalid UTF-8).
    const encode = (s: string) =>
      Array.from(s)
        .map((ch) =>
          /[\ud800-\udfff]/.test(ch) && ch.length === 1
            ? `%ED%${(0xa0 + ((ch.charCodeAt(0) >> 6) & 0x1f)).toString(16)}%80`
            : encodeURIComponent(ch),
        )
        .join('');
    const segment = fc.oneof(
      { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).map(encode) },
      { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).map(encode) },
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          '%',
          '%zz',
          '%ff',
          '%FF%FE',
          '%C0%AF',
          '%00',
          '%2F',
          'a%2Fb',
          '%2e%2e',
          '..',
          '.',
          '%20',
          '+',
          'EXP-19-000001%00',
          'EXP-19-000001%0A',
          'exp-19-000001',
          'EXP-19-000001 ',
          '__proto__',
          'constructor',
          'prototype',
          'toString',
          'hasOwnProperty',
          '%5B%5D',
          '%7B%7D',
          'A'.repeat(41),
          'A'.repeat(3000),
          'TR%00',
          'tr',
          'TUR',
          'R-1%3Bx',
          'R-1;x',
          '%E2%80%AE',
          'R' + '-'.repeat(79),
          'R' + '-'.repeat(80),
        ),
      },
      { weight: 2, arbitrary: fc.constantFrom(P1, P2, 'EXP-00-999999', 'R-1', 'R-404', 'TR', 'US', 'ZZ', 'TR-HALT', 'NOPE') },
    );
    const arb = fc.record({
      route: fc.constantFrom(...withParams.map((r) => r.name)),
      n: segment,
      r: segment,
      c: segment,
      m: segment,
      keep: fc.constantFrom<Array<keyof Params>>([], ['n'], ['r'], ['c'], ['m'], ['n', 'c']),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ route: name, keep, ...random }) => {
        const route = ROUTE.get(name)!;
        const params = { ...random };
        for (const k of keep) params[k] = PARAMS[k];
        await send({
          route: name,
          path: route.path(params),
          role: route.role,
          contentType: 'application/json',
          headers: {},
          body: toJson(route.body),
          label: `${name} params=${short(params)}`,
        });
      }),
      { seed: SEED + 3, numRuns: 250 },
    );
  }, 60_000);

  it('the 1 MB limit on every route: at the limit read and refused as a field, one byte over it 413 BODY_TOO_LARGE', async () => {
    for (const route of ROUTES) {
      const head = toJson(route.body).slice(0, -1);
      const padded = (size: number) => {
        const base = `${head},"padding":"`;
        return `${base}${'x'.repeat(size - Buffer.byteLength(base) - 2)}"}`;
      };
      const atLimit = await send(json(route, null, { label: `${route.name} at 1 MB`, body: padded(MB) }));
      expect([route.name, atLimit.status, atLimit.body.code]).toEqual([route.name, 400, 'VALIDATION_FAILED']);
      const over = await send(json(route, null, { label: `${route.name} 1 MB + 1`, body: padded(MB + 1) }));
      expect([route.name, over.status, over.body.code]).toEqual([route.name, 413, 'BODY_TOO_LARGE']);
      // Multi-byte characters: the limit is in bytes, not characters.
      const wide = await send(json(route, { ...route.body, reason: '😀'.repeat(MB / 4) }, { label: `${route.name} 1 MB of emoji` }));
      expect([route.name, wide.status]).toEqual([route.name, 413]);
    }
  }, 60_000);

  it('nesting 5,000 and 50,000 levels deep, as the body and inside a field', async () => {
    for (const route of ROUTES) {
      const field = Object.keys(route.body)[0];
      for (const depth of [5000, 50_000]) {
        for (const shape of ['array', 'object'] as const) {
          const whole = await send(json(route, deep(depth, shape), { label: `${route.name} body ${depth} deep (${shape})` }));
          expect([route.name, depth, shape, whole.status]).toEqual([route.name, depth, shape, 400]);
          const inside = await send(
            json(route, { ...route.body, [field]: deep(depth, shape) }, { label: `${route.name} ${field} ${depth} deep (${shape})` }),
          );
          expect([route.name, depth, shape, inside.status]).toEqual([route.name, depth, shape, 400]);
        }
      }
    }
  }, 60_000);

  it('sent at least 2,000 generated requests, and the ledger still verifies', async () => {
    expect(requests).toBeGreaterThanOrEqual(2000);
    // Some of the mutated bodies were accepted (valid strings with NULs, lone surrogates, RTL marks...):
    // what the store holds must still hash and chain.
    const verify = await t.http().get('/api/v1/ledger/verify').set('Authorization', `Bearer ${tokens.auditor}`);
    expect(verify.status).toBe(200);
    expect(verify.body.valid).toBe(true);
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
  });
});
