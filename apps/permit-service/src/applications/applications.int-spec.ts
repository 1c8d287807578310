import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { issuePermitCommand, permitDecider, type ApplicationRecord } from '@permit-ledger/permits';
import { CommandRunner } from '../platform/commands/command-runner.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';
import { APPLICATION_PROCESS, ApplicationOutcomes, permitKey } from './application-commands.js';
import { provideStore, STORE_KINDS, type ProvidedStore } from '../testing/stores.js';

const form = (applicationRef: string, overrides: Record<string, unknown> = {}) => ({
  applicationRef,
  destination: 'TR',
  exporter: { name: 'Northfield Optronics Inc.', businessNumber: '861234567' },
  consignee: { name: 'Anadolu UAV Systems', country: 'TR' },
  endUser: { name: 'Anadolu UAV Systems', country: 'TR' },
  intendedEndUse: 'integration on unmanned aerial vehicles',
  items: [{ eclItem: '2-15.a', description: 'EO/IR gimbal sensor', quantity: 6, unit: 'unit', valueCad: 4_200_000 }],
  effectiveAt: '2019-11-04',
  ...overrides,
});
const halt = {
  measureId: 'TR-2019-HALT',
  kind: 'issuance_suspended',
  reference: 'Ministerial statement of 2019-10-11',
  reason: 'operation in Syria',
  effectiveAt: '2019-10-11',
};
const nte992 = {
  measureId: 'TR-NTE-992',
  kind: 'presumptive_denial',
  eclGroups: [2],
  exceptionGrounds: ['nato_cooperation'],
  reference: 'NtE 992',
  reason: 'Group 2 presumptively denied',
  effectiveAt: '2020-04-16',
};
const lift = (effectiveAt: string) => ({ reference: 'NtE 992', reason: 'replaced by a presumptive denial of Group 2', effectiveAt });

describe.each(STORE_KINDS)('applications on %s', (kind) => {
  let provided: ProvidedStore;
  let t: TestApp;
  let officer: string;
  let minister: string;
  let auditor: string;
  let viewer: string;

  const call = (method: 'get' | 'post', path: string, token: string, body?: object, headers: Record<string, string> = {}) => {
    let req = t.http()[method](`/api/v1${path}`).set('Authorization', `Bearer ${token}`);
    for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
    return body ? req.send(body) : req;
  };
  /** The application's row once the read model and the process manager have settled on `expected`. */
  async function settled(ref: string, expected: Record<string, unknown>) {
    let last: unknown;
    for (let i = 0; i < 200; i++) {
      const res = await call('get', `/applications/${ref}`, viewer);
      last = res.body;
      if (res.status === 200 && Object.entries(expected).every(([k, v]) => JSON.stringify(res.body[k]) === JSON.stringify(v)))
        return res.body;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`application ${ref} did not settle on ${JSON.stringify(expected)}: ${JSON.stringify(last)}`);
  }
  const types = async (ref: string) =>
    (
      (await call('get', `/applications/${ref}/history`, auditor)).body.events as Array<{ type: string; data: Record<string, unknown> }>
    ).map((e) => [e.type, e.data.measureId ?? null]);

  beforeAll(async () => {
    provided = await provideStore(kind);
    t = await startTestApp({ env: provided.env });
    officer = await t.token('officer');
    minister = await t.token('minister', 'minister-1');
    auditor = await t.token('auditor');
    viewer = await t.token('viewer');
    expect((await call('post', '/destinations/TR/measures', minister, halt)).status).toBe(201);
  });

  afterAll(async () => {
    await t?.close();
    await provided?.close();
  });

  it('holds an application submitted under the 2019 halt rather than refusing it', async () => {
    const res = await call('post', '/applications', officer, form('APP-19-0101'));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ applicationRef: 'APP-19-0101', status: 'ON_HOLD', revision: 1 });
    expect(res.body.events.map((e: { type: string }) => e.type)).toEqual(['ApplicationSubmitted', 'ApplicationPlacedOnHold']);
    expect(res.body.events[1].data).toEqual({ applicationRef: 'APP-19-0101', measureId: 'TR-2019-HALT' });
    await settled('APP-19-0101', { status: 'ON_HOLD', heldBy: 'TR-2019-HALT', permitNumber: null });
    const approval = await call('post', '/applications/APP-19-0101/approve', officer, {
      permitNumber: 'EXP-19-009101',
      validFrom: '2019-12-01',
      expiresOn: '2020-12-01',
      effectiveAt: '2019-12-01',
    });
    expect(approval.status).toBe(409);
    expect(approval.body.code).toBe('ISSUANCE_BLOCKED');
    expect((await call('get', '/permits/EXP-19-009101', auditor)).status).toBe(404);
  });

  it("shows a viewer no party's details on either read route, and the other readers the whole row", async () => {
    const viewerFields = [
      'applicationRef',
      'status',
      'destination',
      'exporter',
      'exceptionGround',
      'heldBy',
      'permitNumber',
      'criteria',
      'submittedAt',
      'updatedAt',
      'revision',
      'position',
    ];
    const one = await call('get', '/applications/APP-19-0101', viewer);
    expect(one.status).toBe(200);
    const page = await call('get', '/applications?limit=500', viewer);
    expect(page.status).toBe(200);
    const listed = page.body.items.find((row: { applicationRef: string }) => row.applicationRef === 'APP-19-0101');
    for (const row of [one.body, ...page.body.items]) {
      expect(Object.keys(row).sort()).toEqual([...viewerFields].sort());
      expect(Object.keys(row.exporter)).toEqual(['name']);
    }
    expect(listed).toEqual(one.body);
    expect(one.body).toMatchObject({ exporter: { name: 'Northfield Optronics Inc.' }, status: 'ON_HOLD' });
    for (const token of [officer, minister, auditor]) {
      const whole = await call('get', '/applications/APP-19-0101', token);
      expect(whole.body).toMatchObject({
        exporter: { name: 'Northfield Optronics Inc.', businessNumber: '861234567' },
        consignee: { name: 'Anadolu UAV Systems', country: 'TR' },
        endUser: { name: 'Anadolu UAV Systems', country: 'TR' },
        intendedEndUse: 'integration on unmanned aerial vehicles',
        items: [expect.objectContaining({ eclItem: '2-15.a' })],
      });
      const wholePage = await call('get', '/applications?limit=500', token);
      expect(wholePage.body.items.find((row: { applicationRef: string }) => row.applicationRef === 'APP-19-0101')).toEqual(whole.body);
    }
  });

  it('withdraws a held application, and refuses one citing known criteria only', async () => {
    for (const ref of ['APP-19-0102', 'APP-19-0103']) expect((await call('post', '/applications', officer, form(ref))).status).toBe(201);
    const withdrawn = await call('post', '/applications/APP-19-0102/withdraw', officer, {
      reason: 'contract cancelled',
      effectiveAt: '2019-12-15',
    });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body).toMatchObject({ status: 'WITHDRAWN', events: [{ type: 'ApplicationWithdrawn', reason: 'contract cancelled' }] });

    const refuse = (criteria: unknown) =>
      call('post', '/applications/APP-19-0103/refuse', minister, {
        criteria,
        reason: 'risk to civilians',
        legalBasis: 'EIPA s.7.3',
        effectiveAt: '2020-02-03',
      });
    for (const criteria of [[], ['NOT_A_CRITERION'], undefined]) {
      const bad = await refuse(criteria);
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toContain('criteria');
    }
    const refused = await refuse(['IHL_VIOLATION', 'SUBSTANTIAL_RISK']);
    expect(refused.status).toBe(200);
    expect(refused.body.status).toBe('REFUSED');
    await settled('APP-19-0103', { status: 'REFUSED', criteria: ['IHL_VIOLATION', 'SUBSTANTIAL_RISK'], heldBy: null });
    const again = await call('post', '/applications/APP-19-0102/withdraw', officer, { reason: 'again' });
    expect([again.status, again.body.code]).toEqual([409, 'APPLICATION_CLOSED']);
  });

  it('keeps held under a replacing measure that still blocks it, and releases what it does not block', async () => {
    // APP-19-0104 is Group 2 with no exception ground; APP-19-0105 invokes NATO cooperation.
    expect((await call('post', '/applications', officer, form('APP-19-0104'))).status).toBe(201);
    expect((await call('post', '/applications', officer, form('APP-19-0105', { exceptionGround: 'nato_cooperation' }))).status).toBe(201);
    // The replacement is recorded first, then the halt is lifted at the same instant.
    expect((await call('post', '/destinations/TR/measures', minister, nte992)).status).toBe(201);
    expect((await call('post', '/destinations/TR/measures/TR-2019-HALT/lift', minister, lift('2020-04-16'))).status).toBe(200);

    await settled('APP-19-0104', { status: 'ON_HOLD', heldBy: 'TR-NTE-992' });
    await settled('APP-19-0105', { status: 'SUBMITTED', heldBy: null });
    await settled('APP-19-0101', { status: 'ON_HOLD', heldBy: 'TR-NTE-992' });
    expect(await types('APP-19-0104')).toEqual([
      ['ApplicationSubmitted', null],
      ['ApplicationPlacedOnHold', 'TR-2019-HALT'],
      ['ApplicationPlacedOnHold', 'TR-NTE-992'],
    ]);
    expect(await types('APP-19-0105')).toEqual([
      ['ApplicationSubmitted', null],
      ['ApplicationPlacedOnHold', 'TR-2019-HALT'],
      ['ApplicationReleasedFromHold', 'TR-2019-HALT'],
    ]);
    const history = (await call('get', '/applications/APP-19-0105/history', auditor)).body.events;
    expect(history[2]).toMatchObject({
      effectiveAt: '2020-04-16T00:00:00.000Z',
      actor: { id: 'minister-1', executor: 'application-process-manager' },
    });
    // Withdrawn and refused applications are left as they were.
    expect(await types('APP-19-0102')).toHaveLength(3);
    const asOf = await call('get', '/applications/APP-19-0104/state?asOf=2020-01-01', auditor);
    expect(asOf.body).toMatchObject({ status: 'ON_HOLD', heldBy: 'TR-2019-HALT' });
    const list = await call('get', '/applications?status=ON_HOLD&destination=TR', viewer);
    expect(list.body.items.map((a: { applicationRef: string }) => a.applicationRef)).toEqual(['APP-19-0101', 'APP-19-0104']);
  });

  it('approves into a permit naming the application, once, however often it is asked', async () => {
    const body = { permitNumber: 'EXP-20-005181', validFrom: '2020-05-14', expiresOn: '2022-05-13', effectiveAt: '2020-05-14' };
    const first = await call('post', '/applications/APP-19-0105/approve', officer, body, { 'Idempotency-Key': 'approve-0105' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ applicationRef: 'APP-19-0105', status: 'APPROVED', events: [{ type: 'ApplicationApproved' }] });
    const issued = first.body.permit.events[0];
    // The permit is issued first (its number taken atomically); the approval follows from it.
    expect(issued).toMatchObject({ type: 'PermitIssued', stream: 'permit-EXP-20-005181' });
    expect(first.body.events[0].causationId).toBe(issued.eventId);
    expect(issued.data).toMatchObject({ applicationRef: 'APP-19-0105', exceptionGround: 'nato_cooperation', destination: 'TR' });

    const retry = await call('post', '/applications/APP-19-0105/approve', officer, body, { 'Idempotency-Key': 'approve-0105' });
    expect(retry.status).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body.permit.events[0].eventId).toBe(issued.eventId);
    await settled('APP-19-0105', { status: 'APPROVED', permitNumber: 'EXP-20-005181' });
    const permit = await call('get', '/permits/EXP-20-005181/history', auditor);
    expect(permit.body.events.map((e: { type: string }) => e.type)).toEqual(['PermitIssued']);

    const reused = await call(
      'post',
      '/applications/APP-19-0105/approve',
      officer,
      { ...body, expiresOn: '2022-05-14' },
      { 'Idempotency-Key': 'approve-0105' },
    );
    expect([reused.status, reused.body.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    const reserved = await call('post', '/applications', officer, form('APP-19-0199'), { 'Idempotency-Key': 'application:APP-19-0199' });
    expect(reserved.status).toBe(400);
  });

  it('lifting the last measure releases what it held', async () => {
    expect(
      (await call('post', '/destinations/TR/measures/TR-NTE-992/lift', minister, { ...lift('2024-01-29'), reference: 'NtE 1108' })).status,
    ).toBe(200);
    await settled('APP-19-0104', { status: 'SUBMITTED', heldBy: null });
    await settled('APP-19-0101', { status: 'SUBMITTED', heldBy: null });
  });

  it('lets one of two concurrent approvals to one permit number win, leaving the other undecided', async () => {
    const refs = ['APP-25-0201', 'APP-25-0202'];
    for (const ref of refs)
      expect((await call('post', '/applications', officer, form(ref, { effectiveAt: '2025-01-15' }))).status).toBe(201);
    const body = { permitNumber: 'EXP-RACE-02', validFrom: '2025-02-01', expiresOn: '2027-01-01', effectiveAt: '2025-02-01' };
    const answers = await Promise.all(refs.map((ref) => call('post', `/applications/${ref}/approve`, officer, body)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const winner = refs[answers.findIndex((a) => a.status === 200)];
    const loser = refs[answers.findIndex((a) => a.status === 409)];
    expect(answers.find((a) => a.status === 409)?.body.code).toBe('PERMIT_ALREADY_EXISTS');

    const permit = (await call('get', '/permits/EXP-RACE-02/history', auditor)).body.events;
    expect(permit.map((e: { type: string; data: { applicationRef?: string } }) => [e.type, e.data.applicationRef])).toEqual([
      ['PermitIssued', winner],
    ]);
    await settled(winner, { status: 'APPROVED', permitNumber: 'EXP-RACE-02' });
    // The refused approval wrote nothing: the loser is still undecided and approvable with another number.
    expect(await types(loser)).toEqual([['ApplicationSubmitted', null]]);
    await settled(loser, { status: 'SUBMITTED', permitNumber: null });
    const later = await call('post', `/applications/${loser}/approve`, officer, { ...body, permitNumber: 'EXP-RACE-03' });
    expect([later.status, later.body.status]).toEqual([200, 'APPROVED']);
    expect(later.body.permit.events[0].data.applicationRef).toBe(loser);
  });

  it('completes an approval whose permit was issued but not yet recorded on the application', async () => {
    const ref = 'APP-25-0203';
    expect((await call('post', '/applications', officer, form(ref, { effectiveAt: '2025-01-15' }))).status).toBe(201);
    // The saga's first append alone, as a request that stopped between its two appends leaves it.
    const state = (await t.app.get(ApplicationOutcomes).application(ref)) as ApplicationRecord;
    const approval = { permitNumber: 'EXP-CRASH-01', validFrom: '2025-02-01', expiresOn: '2027-01-01', conditions: [] };
    const issued = await t.app
      .get(CommandRunner)
      .run(permitDecider, approval.permitNumber, issuePermitCommand(state, approval, '2025-02-01T00:00:00.000Z'), {
        actor: { id: 'officer-1', role: 'officer', executor: APPLICATION_PROCESS },
        idempotencyKey: permitKey(ref),
        requestHash: permitKey(ref),
      });

    await settled(ref, { status: 'APPROVED', permitNumber: 'EXP-CRASH-01' });
    const history = (await call('get', `/applications/${ref}/history`, auditor)).body.events;
    expect(history.map((e: { type: string }) => e.type)).toEqual(['ApplicationSubmitted', 'ApplicationApproved']);
    expect(history[1]).toMatchObject({
      causationId: issued.events[0].eventId,
      actor: { executor: APPLICATION_PROCESS },
      data: { permitNumber: 'EXP-CRASH-01', validFrom: '2025-02-01', expiresOn: '2027-01-01' },
    });
    // Asked again, the approval is closed; the permit stays the one issued.
    const again = await call('post', `/applications/${ref}/approve`, officer, { ...approval, effectiveAt: '2025-02-01' });
    expect([again.status, again.body.code]).toEqual([409, 'APPLICATION_CLOSED']);
    const permit = (await call('get', '/permits/EXP-CRASH-01/history', auditor)).body.events;
    expect(permit.map((e: { eventId: string }) => e.eventId)).toEqual([issued.events[0].eventId]);
  });

  it('serves the criteria and refuses the roles a route does not admit', async () => {
    const criteria = await call('get', '/criteria', viewer);
    expect(criteria.status).toBe(200);
    expect(criteria.body.version).toBe(1);
    expect(criteria.body.items.map((c: { code: string }) => c.code)).toContain('END_USE_ASSURANCE_BREACH');
    expect((await call('post', '/applications', viewer, form('APP-19-0190'))).status).toBe(403);
    expect((await call('post', '/applications', minister, form('APP-19-0190'))).status).toBe(403);
    expect(
      (await call('post', '/applications/APP-19-0104/refuse', officer, { criteria: ['IHL_VIOLATION'], reason: 'r', legalBasis: 'b' }))
        .status,
    ).toBe(403);
    expect((await call('post', '/applications/APP-19-0104/withdraw', minister, { reason: 'r' })).status).toBe(403);
    expect((await call('get', '/applications/APP-19-0104/history', viewer)).status).toBe(403);
    expect((await call('get', '/applications/APP-19-9999', viewer)).status).toBe(404);
  });
});
