import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import type { Role } from '@permit-ledger/config';
import { TR_PERMIT } from '@permit-ledger/story';
import { permitBody } from '../../testing/bodies.js';
import { startTestApp, type TestApp } from '../../testing/test-app.js';

/**
 * The role matrix: every route of ../shared/api.md (and the README's ledger and health
 * routes) against every caller, over HTTP, in one app.
 *
 * The table below is written by hand from api.md and the README — it is the contract, NOT a copy of the
 * guards' @Roles metadata (nothing here reads or reflects on them). A change on either side must be a
 * deliberate change of the other.
 *
 *   401 = no (valid) token on a protected route      (UNAUTHENTICATED)
 *   403 = a token whose role may not use the route   (FORBIDDEN)
 *   ok  = the guard let it through: any status but 401/403, never 5xx, never ROUTE_NOT_FOUND
 *         (bodies are minimal, so "ok" is often a 400 or 404 from validation or the domain)
 */
const ok = 'ok' as const;
type Expected = 401 | 403 | typeof ok;

const CALLERS = ['none', 'viewer', 'auditor', 'officer', 'minister', 'system', 'customs'] as const;

const P = 'EXP-19-000001'; // seeded below
const EXPORTER = { name: 'Northfield Optronics Inc.', businessNumber: '861234567', address: '1200 Bank St, Ottawa ON', country: 'CA' };
const MATRIX: Array<[method: 'GET' | 'POST', path: string, ...expected: Expected[]]> = [
  //                                                               none  viewer auditor officer minister system customs
  // Commands (api.md "Commands")
  ['POST', `/api/v1/permits`, 401, 403, 403, ok, 403, 403, 403],
  ['POST', `/api/v1/permits/${P}/amend`, 401, 403, 403, ok, 403, 403, 403],
  ['POST', `/api/v1/permits/${P}/suspend`, 401, 403, 403, 403, ok, 403, 403],
  ['POST', `/api/v1/permits/${P}/reinstate`, 401, 403, 403, 403, ok, 403, 403],
  ['POST', `/api/v1/permits/${P}/reviews`, 401, 403, 403, ok, ok, 403, 403],
  ['POST', `/api/v1/permits/${P}/reviews/R-1/findings`, 401, 403, 403, ok, 403, 403, 403],
  ['POST', `/api/v1/permits/${P}/reviews/R-1/conclude`, 401, 403, 403, 403, ok, 403, 403],
  ['POST', `/api/v1/permits/${P}/cancel`, 401, 403, 403, 403, ok, 403, 403],
  ['POST', `/api/v1/permits/${P}/expire`, 401, 403, 403, 403, 403, ok, 403],
  ['POST', `/api/v1/destinations/TR/measures`, 401, 403, 403, 403, ok, 403, 403],
  ['POST', `/api/v1/destinations/TR/measures/TR-HALT/lift`, 401, 403, 403, 403, ok, 403, 403],
  ['POST', `/api/v1/decisions`, 401, 403, 403, 403, ok, 403, 403],
  ['POST', `/api/v1/permits/${P}/shipments`, 401, 403, 403, 403, 403, 403, ok],
  ['POST', `/api/v1/applications`, 401, 403, 403, ok, 403, 403, 403],
  ['POST', `/api/v1/applications/APP-1/approve`, 401, 403, 403, ok, 403, 403, 403],
  ['POST', `/api/v1/applications/APP-1/refuse`, 401, 403, 403, 403, ok, 403, 403],
  ['POST', `/api/v1/applications/APP-1/withdraw`, 401, 403, 403, ok, 403, 403, 403],
  // Queries (api.md "Queries"; readers = viewer, auditor, officer, minister)
  ['GET', `/api/v1/permits`, 401, ok, ok, ok, ok, 403, 403],
  ['GET', `/api/v1/permits/${P}`, 401, ok, ok, ok, ok, 403, 403],
  ['GET', `/api/v1/permits/${P}/history`, 401, 403, ok, ok, ok, 403, 403],
  ['GET', `/api/v1/permits/${P}/state?asOf=2020-01-01`, 401, 403, ok, 403, 403, 403, 403],
  ['GET', `/api/v1/permits/${P}/verify`, 401, 403, ok, 403, 403, 403, 403],
  ['GET', `/api/v1/permits/${P}/evidence`, 401, 403, ok, ok, ok, 403, 403],
  ['GET', `/api/v1/destinations/TR`, 401, ok, ok, ok, ok, 403, 403],
  ['GET', `/api/v1/decisions/MIN-2021-04-12`, 401, ok, ok, ok, ok, 403, 403],
  ['GET', `/api/v1/decisions/MIN-2021-04-12/evidence`, 401, 403, ok, ok, ok, 403, 403],
  ['GET', `/api/v1/stats`, 401, ok, ok, ok, ok, 403, 403],
  ['GET', `/api/v1/applications?status=ON_HOLD`, 401, ok, ok, ok, ok, 403, 403],
  ['GET', `/api/v1/applications/APP-1`, 401, ok, ok, ok, ok, 403, 403],
  ['GET', `/api/v1/applications/APP-1/history`, 401, 403, ok, ok, ok, 403, 403],
  ['GET', `/api/v1/applications/APP-1/state?asOf=2020-01-01`, 401, 403, ok, ok, ok, 403, 403],
  ['GET', `/api/v1/criteria`, 401, ok, ok, ok, ok, 403, 403],
  ['GET', `/api/v1/reports/exports?year=2020`, 401, ok, ok, ok, ok, 403, 403],
  // Ledger (README "For auditors")
  ['GET', `/api/v1/ledger/verify`, 401, 403, ok, 403, 403, 403, 403],
  ['GET', `/api/v1/ledger/export`, 401, 403, ok, 403, 403, 403, 403],
  ['GET', `/api/v1/ledger/public-key`, ok, ok, ok, ok, ok, ok, ok],
  // The transparency log (README "For auditors"): hashes only, no token needed
  ['GET', `/api/v1/ledger/checkpoint`, ok, ok, ok, ok, ok, ok, ok],
  ['GET', `/api/v1/ledger/verifier-key`, ok, ok, ok, ok, ok, ok, ok],
  ['GET', `/api/v1/ledger/proof/inclusion?leaf=0&size=1`, ok, ok, ok, ok, ok, ok, ok],
  ['GET', `/api/v1/ledger/proof/consistency?from=1&size=1`, ok, ok, ok, ok, ok, ok, ok],
  // Probes (README: no token needed)
  ['GET', `/health/live`, ok, ok, ok, ok, ok, ok, ok],
  ['GET', `/health/ready`, ok, ok, ok, ok, ok, ok, ok],
  // Operations (README "Operations"); the SSE feed's 401/403 are in feed.int-spec.ts (a stream never ends here)
  ['GET', `/metrics`, ok, ok, ok, ok, ok, ok, ok],
  ['GET', `/docs-json`, ok, ok, ok, ok, ok, ok, ok],
  ['POST', `/api/v1/dev/token`, ok, ok, ok, ok, ok, ok, ok],
];

describe('role matrix: every route against every caller, over HTTP', () => {
  let t: TestApp;

  beforeAll(async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    t = await startTestApp({
      env: {
        RATE_LIMIT_PER_MINUTE: '1000000',
        // The dev login exists only when on; its row is about who may call it when it does.
        DEV_LOGIN: 'on',
        // A configured key, as in production.
        LEDGER_SIGNING_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
    });
    const officer = await t.token('officer', 'matrix-seed');
    const issued = await t
      .http()
      .post('/api/v1/permits')
      .set('Authorization', `Bearer ${officer}`)
      .send(permitBody(P, { exporter: EXPORTER }));
    if (issued.status !== 201) throw new Error(`seeding ${P} failed: ${issued.status} ${JSON.stringify(issued.body)}`);
    // The readiness probe is only "ok" once the projections have caught up with the seed.
    const deadline = Date.now() + 10_000;
    while ((await t.http().get('/health/ready')).status !== 200) {
      if (Date.now() > deadline) throw new Error('the app did not become ready');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is a full table: 45 routes x 7 callers', () => {
    expect(MATRIX).toHaveLength(45);
    for (const [method, path, ...expected] of MATRIX) expect([method, path, expected.length]).toEqual([method, path, CALLERS.length]);
    expect(new Set(MATRIX.map(([m, p]) => `${m} ${p}`)).size).toBe(MATRIX.length);
  });

  it('answers every cell as the table says', async () => {
    const mismatches: string[] = [];
    let n = 0;
    for (const [method, path, ...expectations] of MATRIX) {
      for (const [i, caller] of CALLERS.entries()) {
        const expected = expectations[i];
        // A fresh subject per request, so no per-subject rate limit can turn a cell into a 429.
        const token = caller === 'none' ? null : await t.token(caller as Role, `matrix-${caller}-${n++}`);
        let req = method === 'GET' ? t.http().get(path) : t.http().post(path).send({});
        if (token) req = req.set('Authorization', `Bearer ${token}`);
        const res = await req;
        const got = describeAnswer(res);
        const cell = `${method} ${path} as ${caller}: expected ${expected === ok ? 'allowed' : expected}, got ${got}`;
        if (expected === ok) {
          if (res.status === 401 || res.status === 403 || res.status >= 500 || res.body?.code === 'ROUTE_NOT_FOUND') mismatches.push(cell);
        } else {
          const code = expected === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN';
          const problem = /^application\/problem\+json/.test(res.headers['content-type'] ?? '');
          if (res.status !== expected || !problem || res.body?.code !== code) mismatches.push(cell);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  /*
   * What each reader sees of a status row. The contract gives viewers status rows; the parties' details (the
   * consignee's and end user's names and addresses, the exporter's address, country and business number) are
   * for the roles that act on or audit the permit. A viewer sees of the parties only the exporter's name.
   */
  const VIEWER_ROW = [
    'destination',
    'eclItems',
    'expiresOn',
    'exporter',
    'issuedAt',
    'lastDecisionRef',
    'openReview',
    'permitNumber',
    'position',
    'revision',
    'status',
    'supersedes',
    'totalValueCad',
    'updatedAt',
    'usage',
    'validFrom',
  ];
  const rowsAs = async (roles: Role[]) => {
    const auth = `Bearer ${await t.token(roles, `rows-${roles.join('-')}`)}`;
    const one = await t.http().get(`/api/v1/permits/${P}`).set('Authorization', auth);
    const list = await t.http().get('/api/v1/permits').set('Authorization', auth);
    expect([one.status, list.status]).toEqual([200, 200]);
    const listed = (list.body.items as Array<{ permitNumber: string }>).find((row) => row.permitNumber === P);
    return [one.body, listed] as Array<Record<string, unknown>>;
  };

  it("gives a viewer status rows without the parties' details", async () => {
    for (const row of await rowsAs(['viewer'])) {
      expect(Object.keys(row).sort()).toEqual(VIEWER_ROW);
      expect(row.exporter).toEqual({ name: EXPORTER.name });
      // The matrix's own commands have moved the permit on (the system expired it): only its fixed facts are compared.
      expect(row).toMatchObject({
        permitNumber: P,
        destination: 'TR',
        expiresOn: '2022-03-19',
        validFrom: '2019-03-20',
        eclItems: ['2-15.a'],
      });
    }
  });

  it('gives auditors, officers and ministers the whole row, also with a viewer role beside theirs', async () => {
    for (const roles of [['auditor'], ['officer'], ['minister'], ['viewer', 'officer']] as Role[][]) {
      for (const row of await rowsAs(roles)) {
        expect([roles, row.exporter]).toEqual([roles, EXPORTER]);
        expect([roles, row.consignee, row.endUser]).toEqual([roles, TR_PERMIT.consignee, TR_PERMIT.endUser]);
      }
    }
  });
});

function describeAnswer(res: { status: number; headers: Record<string, string>; body?: { code?: unknown } }): string {
  const code = typeof res.body?.code === 'string' ? ` ${res.body.code}` : '';
  return `${res.status}${code} (${res.headers['content-type'] ?? 'no content type'})`;
}
