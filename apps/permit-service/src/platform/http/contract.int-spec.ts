import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Ajv2020 from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { Response } from 'supertest';
import type { Role } from '@permit-ledger/config';
import { runStory, STORY_PERMITS, type StoryAnswer } from '@permit-ledger/story';
import { permitBody } from '../../testing/bodies.js';
import { provideStore, STORE_KINDS, type ProvidedStore } from '../../testing/stores.js';
import { startTestApp, type TestApp } from '../../testing/test-app.js';

/*
 * The served document against the service's real answers: the 2019-2021 story, every read route and the problem
 * answers, each checked with a standard JSON Schema validator (Ajv, draft 2020-12: OpenAPI 3.1's dialect) against
 * /docs-json as served: the status must be documented for the route, the content type among the documented ones,
 * the body valid against the documented schema. Stricter than the document on one point: an object that does not
 * state `additionalProperties` is closed here, so a field the service answers but the document omits fails.
 */

type Method = 'get' | 'post';

/** Every object schema that does not say otherwise is closed (a copy: the served document stays open). */
function closeObjects(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (!node || typeof node !== 'object') return node;
  const copy = Object.fromEntries(
    Object.entries(node).map(([key, value]) => [key, key === 'example' || key === 'examples' ? value : closeObjects(value)]),
  );
  if ('properties' in copy && !('additionalProperties' in copy)) copy.additionalProperties = false;
  return copy;
}

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

class ContractChecker {
  // Not strict: the document's own keys (openapi, paths, ...) are not JSON Schema keywords.
  private readonly ajv = new Ajv2020.default({ strict: false, allErrors: true });
  private readonly templates: Array<{ path: string; pattern: RegExp }>;
  readonly misfits: string[] = [];
  /** `METHOD path status` of every answer checked. */
  readonly checked = new Set<string>();

  constructor(private readonly document: OpenAPIObject) {
    ajvFormats.default(this.ajv);
    this.ajv.addSchema(closeObjects(document) as object, 'openapi.json');
    this.templates = Object.keys(document.paths).map((path) => ({
      path,
      pattern: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }));
  }

  check(method: Method, url: string, res: Pick<Response, 'status' | 'headers' | 'body' | 'text'>): void {
    const path = url.split('?')[0];
    const template = this.templates.find((t) => t.pattern.test(path))?.path;
    const where = `${method.toUpperCase()} ${url} ${res.status}`;
    const responses = template ? this.document.paths[template][method]?.responses : undefined;
    if (!template || !responses) return void this.misfits.push(`${where}: no such operation in the document`);
    this.checked.add(`${method.toUpperCase()} ${template} ${res.status}`);
    const answer = responses[String(res.status)] as { content?: Record<string, unknown> } | undefined;
    if (!answer) return void this.misfits.push(`${where}: status not documented (${res.text.slice(0, 120)})`);
    const type = String(res.headers['content-type'] ?? '')
      .split(';')[0]
      .trim();
    if (!answer.content?.[type]) return void this.misfits.push(`${where}: content type ${type} not documented`);
    if (type !== 'application/json' && !type.endsWith('+json')) return;
    const validate = this.ajv.getSchema(
      `openapi.json#/${pointer('paths', template, method, 'responses', String(res.status), 'content', type, 'schema')}`,
    );
    if (!validate) return void this.misfits.push(`${where}: no schema`);
    if (!validate(res.body)) {
      this.misfits.push(
        `${where}: ${this.ajv.errorsText(validate.errors, { separator: '; ' })} in ${JSON.stringify(res.body).slice(0, 300)}`,
      );
    }
  }
}

describe.each(STORE_KINDS)('the served OpenAPI document describes every answer (%s)', (kind) => {
  let provided: ProvidedStore;
  let t: TestApp;
  let contract: ContractChecker;
  let position = 0;

  /** One request as a role (or without a token), its answer checked against the document. */
  async function call(
    method: Method,
    path: string,
    role: Role | null,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const url = path;
    let req =
      method === 'get'
        ? t.http().get(url)
        : t
            .http()
            .post(url)
            .send(body as object);
    if (role) req = req.set('Authorization', `Bearer ${await t.token(role)}`);
    for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
    const res = await req;
    if (res.status < 300 && typeof res.body?.position === 'number') position = Math.max(position, res.body.position as number);
    contract.check(method, url, res);
    return res;
  }
  const api = (method: Method, path: string, role: Role | null, body?: unknown, headers?: Record<string, string>) =>
    call(method, `/api/v1${path}`, role, body, headers);
  const read = (path: string, role: Role) => api('get', path, role, undefined, { 'X-Min-Position': String(position) });

  beforeAll(async () => {
    provided = await provideStore(kind);
    // Checkpoints by the timer, as in production: the routes of the transparency log are read below.
    t = await startTestApp({ env: { ...provided.env, LEDGER_CHECKPOINT_SECONDS: '1' } });
    const served = await t.http().get('/docs-json');
    expect(served.status).toBe(200);
    contract = new ContractChecker(served.body as OpenAPIObject);
  });
  afterAll(async () => {
    await t?.close();
    await provided?.close();
  });

  it('the 2019-2021 story: every command answer, refusals and decision progress included', async () => {
    const steps = await runStory({
      call: async (method, path, role, body): Promise<StoryAnswer> => {
        const res = await api(method === 'GET' ? 'get' : 'post', path, role as Role, body);
        return { status: res.status, body: res.body };
      },
    });
    expect(steps.length).toBeGreaterThan(20);
    expect(steps.some((s) => s.answer.status === 409)).toBe(true);
    expect(contract.misfits).toEqual([]);
  });

  it('every read route, as each kind of reader sees it', async () => {
    for (const role of ['viewer', 'officer'] as const) {
      await read('/permits?limit=500', role);
      await read('/permits?status=CANCELLED&destination=TR&limit=2', role);
      await read('/permits/EXP-19-004120', role);
    }
    for (const { permitNumber } of STORY_PERMITS) {
      await read(`/permits/${permitNumber}/history`, 'auditor');
      await read(`/permits/${permitNumber}/verify`, 'auditor');
      for (const asOf of ['2019-06-01', '2020-10-06', '2021-04-13', '2022-12-31'])
        await read(`/permits/${permitNumber}/state?asOf=${asOf}`, 'auditor');
    }
    await read('/permits/EXP-19-004120/history?knownAt=2100-01-01&asOf=2020-10-05', 'minister');
    await read('/permits/EXP-19-004120/state?revision=1', 'auditor');
    await read('/destinations/TR', 'viewer');
    const decisions = await read('/permits?limit=500', 'auditor');
    const refs = new Set((decisions.body.items as Array<{ lastDecisionRef: string | null }>).map((r) => r.lastDecisionRef).filter(Boolean));
    expect(refs.size).toBeGreaterThan(0);
    for (const ref of refs) await read(`/decisions/${ref}`, 'viewer');
    await read('/stats', 'viewer');
    await read('/reports/exports?year=2020', 'viewer');
    await read('/reports/exports?year=2021&destination=TR&asOf=2021-06-30&knownAt=2100-01-01', 'auditor');
    // The transparency log: its signed checkpoint and key (text), proofs and evidence (JSON), leaves in every event.
    await call('get', '/api/v1/ledger/checkpoint', null);
    await call('get', '/api/v1/ledger/verifier-key', null);
    for (const { permitNumber } of STORY_PERMITS) await read(`/permits/${permitNumber}/evidence`, 'auditor');
    for (const ref of refs) await read(`/decisions/${ref}/evidence`, 'minister');
    const checkpoint = await call('get', '/api/v1/ledger/checkpoint', null);
    const size = Number(checkpoint.text.split('\n')[1]);
    expect(size).toBeGreaterThan(1);
    await call('get', `/api/v1/ledger/proof/inclusion?leaf=${size - 1}&size=${size}`, null);
    await call('get', `/api/v1/ledger/proof/consistency?from=1&size=${size}`, null);
    await api('get', '/ledger/verify', 'auditor');
    await api('get', '/ledger/verify?from=3&to=20', 'auditor');
    await call('get', '/health/live', null);
    await call('get', '/health/ready', null);
    await call('get', '/metrics', null);
    await call('get', '/', null);
    expect(contract.misfits).toEqual([]);
    // Answers of other media types are documented too: an export is NDJSON or CSV.
    await api('get', '/ledger/export?permitNumber=EXP-19-004120', 'auditor');
    await api('get', '/ledger/export?permitNumber=EXP-19-004120&format=csv', 'auditor');
    await api('get', '/reports/exports?year=2020&destination=TR', 'viewer', undefined, { Accept: 'text/csv' });
    expect(contract.misfits).toEqual([]);
  });

  it('problem answers: each status and code as the document lists them', async () => {
    const problems: Response[] = [
      await api('get', '/permits', null),
      await api('get', '/permits/EXP-19-004120/state', 'viewer'),
      await api('get', '/permits/EXP-99-000001', 'viewer'),
      await api('get', '/permits/EXP-99-000001/state', 'auditor'),
      await api('get', '/permits/EXP-19-004120/state?asOf=2000-01-01', 'auditor'),
      await api('get', '/destinations/ZZ', 'viewer'),
      await api('get', '/decisions/NO-SUCH-DECISION', 'viewer'),
      await api('get', '/permits?limit=5000', 'viewer'),
      await api('get', '/permits?cursor=not-one-of-ours', 'viewer'),
      await api('get', '/reports/exports?year=20&destination=tr', 'viewer'),
      await api('get', '/ledger/export?permitNumber=EXP-99-000001', 'auditor'),
      await api('get', '/ledger/verify?from=9&to=1', 'auditor'),
      await api('get', '/ledger/proof/inclusion?leaf=5&size=1', null),
      await api('get', '/ledger/proof/consistency?from=0&size=1', null),
      await api('get', '/permits/EXP-99-000001/evidence', 'auditor'),
      await api('get', '/decisions/NO-SUCH-DECISION/evidence', 'auditor'),
      await api('post', '/permits', 'officer', { permitNumber: 'EXP-19-004120' }),
      await api('post', '/permits/EXP-19-004120/suspend', 'minister', { reason: 'again', legalBasis: 'EIPA s.10(1)' }),
      await api('post', '/permits/EXP-99-000001/suspend', 'minister', { reason: 'x', legalBasis: 'EIPA s.10(1)' }),
      await api('post', '/permits/EXP-19-004120/reviews/R-NONE/conclude', 'minister', { outcome: 'no_action', summary: 'x' }),
      await api('post', '/destinations/TR/measures/NONE/lift', 'minister', { reference: 'x', reason: 'x' }),
      await api('post', '/decisions', 'minister', { decisionRef: 'X' }),
    ];
    const issued = await api('post', '/permits', 'officer', permitBody('EXP-23-000001'), { 'Idempotency-Key': 'contract-1' });
    expect(issued.status).toBe(201);
    problems.push(
      await api('post', '/permits', 'officer', permitBody('EXP-23-000001', { intendedEndUse: 'another use' }), {
        'Idempotency-Key': 'contract-1',
      }),
      await api('post', '/permits/EXP-23-000001/suspend', 'minister', { reason: 'x', legalBasis: 'y' }, { 'If-Match': '"7"' }),
    );
    const statuses = problems.map((res) => res.status);
    expect(new Set(statuses)).toEqual(new Set([400, 401, 403, 404, 409, 412, 422]));
    for (const res of problems) expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(contract.misfits).toEqual([]);
  });

  it('applications: every command answer, read and refusal', async () => {
    const form = (applicationRef: string, destination: string, effectiveAt: string) => {
      const { permitNumber: _, validFrom: _v, expiresOn: _e, conditions: _c, supersedes: _s, ...rest } = permitBody('EXP-00-000000');
      return { ...rest, applicationRef, destination, effectiveAt };
    };
    expect((await api('post', '/applications', 'officer', form('APP-C-1', 'TR', '2019-11-04'))).body.status).toBe('ON_HOLD');
    expect((await api('post', '/applications', 'officer', form('APP-C-2', 'DE', '2020-01-10'))).status).toBe(201);
    expect((await api('post', '/applications', 'officer', form('APP-C-3', 'DE', '2020-01-10'))).status).toBe(201);
    expect((await api('post', '/applications', 'officer', form('APP-C-4', 'DE', '2020-01-10'))).status).toBe(201);
    const approve = { permitNumber: 'EXP-20-900001', validFrom: '2020-02-01', expiresOn: '2022-02-01', effectiveAt: '2020-02-01' };
    expect((await api('post', '/applications/APP-C-2/approve', 'officer', approve)).status).toBe(200);
    const refusal = { criteria: ['PEACE_AND_SECURITY'], reason: 'x', legalBasis: 'EIPA s.7.3', effectiveAt: '2020-02-01' };
    expect((await api('post', '/applications/APP-C-3/refuse', 'minister', refusal)).status).toBe(200);
    // Held since the story's measures came and went (the process manager moved the hold on): withdrawn now.
    expect((await api('post', '/applications/APP-C-1/withdraw', 'officer', { reason: 'x' })).status).toBe(200);
    await read('/applications?destination=DE&limit=1', 'viewer');
    await read('/applications/APP-C-2', 'viewer');
    await read('/applications/APP-C-1/history', 'auditor');
    await read('/applications/APP-C-1/state?asOf=2019-12-01', 'auditor');
    await read('/criteria', 'viewer');
    const problems = [
      await api('get', '/applications/APP-NONE', 'viewer'),
      await api('get', '/applications/APP-C-1/state?asOf=2000-01-01', 'auditor'),
      await api('post', '/applications/APP-C-3/withdraw', 'officer', { reason: 'x' }),
      await api('post', '/applications/APP-C-4/refuse', 'minister', { ...refusal, criteria: ['NOPE'] }),
      await api('post', '/applications', 'officer', form('APP-C-1', 'TR', '2019-11-04')),
    ];
    expect(problems.map((res) => res.status)).toEqual([404, 404, 409, 400, 409]);
    expect(contract.misfits).toEqual([]);
  });

  it('shipments: the declaration, its repeat, exhaustion, the usage and the refusals', async () => {
    const n = 'EXP-19-900120';
    expect((await api('post', '/permits', 'officer', permitBody(n))).status).toBe(201);
    const ship = (declarationRef: string, exportedOn: string, quantity: number, valueCad: number) =>
      api('post', `/permits/${n}/shipments`, 'customs', { declarationRef, exportedOn, lines: [{ item: 0, quantity, valueCad }] });
    expect((await ship('C-1', '2019-05-01', 2, 1_000_000)).status).toBe(201);
    expect((await ship('C-1', '2019-05-01', 2, 1_000_000)).headers['idempotent-replayed']).toBe('true');
    const criteria = ['END_USE_ASSURANCE_BREACH'];
    expect(
      (await api('post', `/permits/${n}/reviews`, 'officer', { reviewId: 'R-C', reason: 'x', effectiveAt: '2019-06-01' })).status,
    ).toBe(200);
    const finding = { finding: 'x', assuranceBreached: true, criteria, effectiveAt: '2019-06-02' };
    expect((await api('post', `/permits/${n}/reviews/R-C/findings`, 'officer', finding)).status).toBe(200);
    expect((await ship('C-2', '2019-06-03', 4, 3_200_000)).body.events).toHaveLength(2);
    await read(`/permits/${n}`, 'viewer');
    await read(`/permits/${n}`, 'auditor');
    await read(`/permits/${n}/state`, 'auditor');
    await read(`/permits/${n}/state?asOf=2019-05-02`, 'auditor');
    await read('/stats', 'viewer');
    const problems = [
      await ship('C-3', '2019-07-01', 1, 0),
      await ship('C-1', '2019-05-01', 1, 1),
      await ship('C-4', '2019-01-01', 1, 1),
      await api('post', `/permits/${n}/shipments`, 'customs', { declarationRef: 'C-5', exportedOn: '2019-05-01', lines: [] }),
      await api('post', `/permits/${n}/suspend`, 'minister', { reason: 'x', legalBasis: 'y', criteria: ['NOPE'] }),
    ];
    expect(problems.map((res) => [res.status, res.body.code])).toEqual([
      [409, 'PERMIT_NOT_VALID_FOR_EXPORT'],
      [409, 'DECLARATION_ALREADY_RECORDED'],
      [409, 'PERMIT_NOT_VALID_FOR_EXPORT'],
      [400, 'VALIDATION_FAILED'],
      [400, 'VALIDATION_FAILED'],
    ]);
    expect(contract.misfits).toEqual([]);
  });

  it('checked a broad share of the documented answers, and finds what does not fit', async () => {
    expect(contract.checked.size).toBeGreaterThanOrEqual(40);
    const row = (await read('/permits/EXP-19-004120', 'auditor')).body as Record<string, unknown>;
    const fake = (status: number, body: unknown, type = 'application/json') => ({
      status,
      headers: { 'content-type': type },
      body,
      text: '',
    });
    const before = contract.misfits.length;
    contract.check('get', '/api/v1/permits/EXP-19-004120', fake(200, { ...row, undocumented: 1 }));
    contract.check('get', '/api/v1/permits/EXP-19-004120', fake(200, { ...row, openReview: { reviewId: 7 } }));
    contract.check('get', '/api/v1/permits/EXP-19-004120', fake(200, { ...row, status: 'LOST' }));
    contract.check('get', '/api/v1/permits/EXP-19-004120', fake(200, row, 'text/plain'));
    contract.check('get', '/api/v1/permits/EXP-19-004120', fake(418, row));
    contract.check('get', '/api/v1/stats', fake(200, { byStatus: [], byDestination: [], perMonth: [] }));
    expect(contract.misfits.splice(before)).toHaveLength(6);
  });
});
