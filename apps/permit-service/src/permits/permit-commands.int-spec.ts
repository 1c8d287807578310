import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import { EVENT_STORE, type EventStore } from '@permit-ledger/event-store';
import { permitBody, suspendBody } from '../testing/bodies.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';
import { provideStore, STORE_KINDS, type ProvidedStore } from '../testing/stores.js';

describe.each(STORE_KINDS)('permit commands over HTTP on %s (app in-process)', (kind) => {
  let provided: ProvidedStore;
  let t: TestApp;
  let store: EventStore;
  let officer: string;
  let minister: string;
  let system: string;

  beforeAll(async () => {
    provided = await provideStore(kind);
    t = await startTestApp({ env: provided.env });
    store = t.app.get<EventStore>(EVENT_STORE);
    officer = await t.token('officer', 'officer-7');
    minister = await t.token('minister', 'minister-1');
    system = await t.token('system');
  });
  afterAll(async () => {
    await t.close();
    await provided.close();
  });

  const post = (path: string, token: string, body: unknown) =>
    t
      .http()
      .post(`/api/v1${path}`)
      .set('Authorization', `Bearer ${token}`)
      .send(body as object);

  /** Runs a request that must be refused and proves it wrote nothing. */
  async function refused(status: number, run: () => PromiseLike<{ status: number; body: any; headers: any }>) {
    const before = await store.headPosition();
    const res = await run();
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.status).toBe(status);
    expect(typeof res.body.code).toBe('string');
    expect(await store.headPosition()).toBe(before);
    return res.body;
  }

  it('issues a permit: 201, the envelope, ETag, actor from the token', async () => {
    const res = await post('/permits', officer, permitBody('EXP-19-004120'));
    expect(res.status).toBe(201);
    expect(res.headers.etag).toBe('"0"');
    expect(res.body).toMatchObject({ permitNumber: 'EXP-19-004120', revision: 0 });
    expect(res.body.position).toBeGreaterThan(0);
    const [event] = res.body.events;
    expect(event).toMatchObject({
      type: 'PermitIssued',
      schemaVersion: 2,
      revision: 0,
      effectiveAt: '2019-03-20T00:00:00.000Z',
      actor: { id: 'officer-7', role: 'officer' },
      data: { permitNumber: 'EXP-19-004120', destination: 'TR', totalValueCad: 4200000, exceptionGround: null },
      prevHash: null,
    });
    expect(event.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(event.correlationId).toBe(res.headers['x-correlation-id']);
  });

  it('answers 400 naming every offending field, nested ones by path', async () => {
    const body = await refused(400, () =>
      post(
        '/permits',
        officer,
        permitBody('EXP-19-000001', {
          destination: 'Turkey',
          validFrom: '2019-02-30',
          items: [{ eclItem: '2-15.a', description: 'x', quantity: -1, unit: 'unit', valueCad: 1 }],
          intendedEndUse: undefined,
        }),
      ),
    );
    const fields = body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['destination', 'validFrom', 'items.0.quantity', 'intendedEndUse']));
    expect(body.code).toBe('VALIDATION_FAILED');
  });

  it('refuses unknown fields, including an actor in the body', async () => {
    const body = await refused(400, () => post('/permits', officer, permitBody('EXP-19-000002', { actor: { id: 'x', role: 'minister' } })));
    expect(body.errors.map((e: { field: string }) => e.field)).toContain('actor');
    const nested = await refused(400, () => post('/permits/EXP-19-004120/amend', officer, { changes: { destination: 'US' }, reason: 'r' }));
    expect(nested.errors.map((e: { field: string }) => e.field)).toContain('changes.destination');
  });

  it('answers 400 for malformed JSON and 413 for a body over 1 MB', async () => {
    await refused(400, () =>
      t
        .http()
        .post('/api/v1/permits')
        .set('Authorization', `Bearer ${officer}`)
        .set('Content-Type', 'application/json')
        .send('{"permitNumber":'),
    );
    const huge = permitBody('EXP-19-000003', { intendedEndUse: 'x'.repeat(1_100_000) });
    const body = await refused(413, () => post('/permits', officer, huge));
    expect(body.code).toBe('BODY_TOO_LARGE');
  });

  it('answers 401 without a token, with a token of another key, and with alg none', async () => {
    await refused(401, () => t.http().post('/api/v1/permits').send(permitBody('EXP-19-000004')));
    const forged = await new SignJWT({ roles: ['officer'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('x')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('another-secret-another-secret-another'));
    await refused(401, () => post('/permits', forged, permitBody('EXP-19-000004')));
    const payload = Buffer.from(JSON.stringify({ sub: 'x', roles: ['officer'] })).toString('base64url');
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
    await refused(401, () => post('/permits', none, permitBody('EXP-19-000004')));
  });

  it('answers 403 for a role that may not send the command', async () => {
    const body = await refused(403, () => post('/permits/EXP-19-004120/suspend', officer, suspendBody()));
    expect(body.code).toBe('FORBIDDEN');
    await refused(403, () => post('/permits', minister, permitBody('EXP-19-000005')));
    await refused(403, () => post('/permits/EXP-19-004120/expire', minister, {}));
  });

  it('answers 404 for an unknown permit or review', async () => {
    const body = await refused(404, () => post('/permits/EXP-00-999999/suspend', minister, suspendBody()));
    expect(body.code).toBe('PERMIT_NOT_FOUND');
    const review = await refused(404, () =>
      post('/permits/EXP-19-004120/reviews/NOPE/findings', officer, { finding: 'f', assuranceBreached: false, effectiveAt: '2020-01-01' }),
    );
    expect(review.code).toBe('REVIEW_NOT_FOUND');
  });

  it('answers 409 when the domain refuses', async () => {
    expect((await refused(409, () => post('/permits', officer, permitBody('EXP-19-004120')))).code).toBe('PERMIT_ALREADY_EXISTS');
    expect(await refused(409, () => post('/permits/EXP-19-004120/reinstate', minister, suspendBody('2020-01-01')))).toMatchObject({
      code: 'INVALID_TRANSITION',
    });
    // effectiveAt before the stream's last event
    expect((await refused(409, () => post('/permits/EXP-19-004120/suspend', minister, suspendBody('2019-01-01')))).code).toBe(
      'EFFECTIVE_AT_BEFORE_LAST_EVENT',
    );
  });

  it('blocks issuance under a destination measure unless the exception ground is named', async () => {
    const impose = await post('/destinations/TR/measures', minister, {
      measureId: 'TR-NTE-992',
      kind: 'presumptive_denial',
      eclGroups: [2],
      exceptionGrounds: ['nato_cooperation'],
      reference: 'NtE 992',
      reason: 'Group 2 presumptively denied',
      effectiveAt: '2020-04-16',
    });
    expect(impose.status).toBe(201);
    const blocked = await refused(409, () =>
      post(
        '/permits',
        officer,
        permitBody('EXP-20-005181', { validFrom: '2020-05-14', expiresOn: '2021-06-30', effectiveAt: '2020-05-14' }),
      ),
    );
    expect(blocked.code).toBe('ISSUANCE_BLOCKED');
    const allowed = await post(
      '/permits',
      officer,
      permitBody('EXP-20-005181', {
        validFrom: '2020-05-14',
        expiresOn: '2021-06-30',
        effectiveAt: '2020-05-14',
        exceptionGround: 'nato_cooperation',
      }),
    );
    expect(allowed.status).toBe(201);
    expect(allowed.body.events[0].data.exceptionGround).toBe('nato_cooperation');
    const lift = await post('/destinations/TR/measures/TR-NTE-992/lift', minister, {
      reference: 'NtE 1108',
      reason: 'lifted',
      effectiveAt: '2024-01-29',
    });
    expect(lift.status).toBe(200);
    expect((await refused(404, () => post('/destinations/TR/measures/NOPE/lift', minister, { reference: 'x', reason: 'y' }))).code).toBe(
      'MEASURE_NOT_FOUND',
    );
    expect(
      (await refused(409, () => post('/destinations/TR/measures/TR-NTE-992/lift', minister, { reference: 'x', reason: 'y' }))).code,
    ).toBe('MEASURE_ALREADY_LIFTED');
  });

  it('applies If-Match: 412 on a stale revision, success on the current one', async () => {
    const body = await refused(412, () => post('/permits/EXP-19-004120/suspend', minister, suspendBody()).set('If-Match', '"7"'));
    expect(body.code).toBe('REVISION_MISMATCH');
    await refused(400, () => post('/permits/EXP-19-004120/suspend', minister, suspendBody()).set('If-Match', 'abc'));
    const ok = await post('/permits/EXP-19-004120/suspend', minister, suspendBody()).set('If-Match', '"0"');
    expect(ok.status).toBe(200);
    expect(ok.headers.etag).toBe('"1"');
    expect(ok.body.events[0]).toMatchObject({
      type: 'PermitSuspended',
      actor: { id: 'minister-1', role: 'minister' },
      legalBasis: 'EIPA s.10(1)',
    });
  });

  it('Idempotency-Key: same body returns the first answer and writes nothing; another body is 422', async () => {
    const key = 'open-review-42';
    const body = { reviewId: 'REV-1', reason: 'review of all TR permits', effectiveAt: '2020-10-06' };
    const first = await post('/permits/EXP-19-004120/reviews', minister, body).set('Idempotency-Key', key);
    expect(first.status).toBe(200);
    expect(first.body.reviewId).toBe('REV-1');
    const head = await store.headPosition();
    const again = await post('/permits/EXP-19-004120/reviews', minister, body).set('Idempotency-Key', key);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await store.headPosition()).toBe(head);
    const other = await refused(422, () =>
      post('/permits/EXP-19-004120/reviews', minister, { ...body, reason: 'another' }).set('Idempotency-Key', key),
    );
    expect(other.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(first.body.events[0].commandId).toBe(key);
  });

  it("Idempotency-Key is the caller's own: another caller's same key and body is recorded as its own act", async () => {
    expect((await post('/permits', officer, permitBody('EXP-19-007777'))).status).toBe(201);
    expect(
      (await post('/permits/EXP-19-007777/reviews', minister, { reviewId: 'R-7', reason: 'spot check', effectiveAt: '2020-10-06' })).status,
    ).toBe(200);
    const body = { finding: 'invoice matches', assuranceBreached: false, effectiveAt: '2020-10-07' };
    const path = '/permits/EXP-19-007777/reviews/R-7/findings';
    const mine = await post(path, officer, body).set('Idempotency-Key', 'finding-1');
    const other = await post(path, await t.token('officer', 'officer-8'), body).set('Idempotency-Key', 'finding-1');
    expect(other.status).toBe(200);
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect(other.body.revision).toBe(mine.body.revision + 1);
    expect(other.body.events[0].actor.id).toBe('officer-8');
    // Each caller's retry still gets its own first answer.
    const mineAgain = await post(path, officer, body).set('Idempotency-Key', 'finding-1');
    expect(mineAgain.body).toEqual(mine.body);
  });

  it("refuses the service's own key namespaces with a 400 naming the header, writing nothing", async () => {
    for (const key of ['decision:MIN-2021-04-12:EXP-19-007777', 'expire:EXP-19-007777', 'DECISION:x']) {
      const problem = await refused(400, () =>
        post('/permits/EXP-19-007777/suspend', minister, suspendBody('2020-10-08')).set('Idempotency-Key', key),
      );
      expect(problem.errors).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
    }
  });

  it('runs the rest of the lifecycle: findings, conclusion, reinstatement, amendment, cancellation, expiry', async () => {
    const finding = await post('/permits/EXP-19-004120/reviews/REV-1/findings', officer, {
      finding: 'sensor found on a drone',
      theatre: 'Nagorno-Karabakh',
      evidenceRef: 'EV-1',
      assuranceBreached: true,
      effectiveAt: '2020-12-10',
    });
    expect(finding.status).toBe(200);
    expect(
      (await refused(409, () => post('/permits/EXP-19-004120/reviews', officer, { reason: 'again', effectiveAt: '2020-12-11' }))).code,
    ).toBe('REVIEW_ALREADY_OPEN');
    const conclude = await post('/permits/EXP-19-004120/reviews/REV-1/conclude', minister, {
      outcome: 'reinstatement_recommended',
      summary: 'assurances renewed',
      effectiveAt: '2020-12-15',
    });
    expect(conclude.status).toBe(200);
    expect((await post('/permits/EXP-19-004120/reinstate', minister, suspendBody('2020-12-16'))).status).toBe(200);
    const amend = await post('/permits/EXP-19-004120/amend', officer, {
      changes: { items: [{ eclItem: '2-15.a', description: 'EO/IR gimbal sensor', quantity: 4, unit: 'unit', valueCad: 2800000 }] },
      reason: 'two sensors no longer exported',
      effectiveAt: '2020-12-20',
    });
    expect(amend.status).toBe(200);
    expect(amend.body.events[0].data.totalValueCad).toBe(2800000);
    const more = await refused(400, () =>
      post('/permits/EXP-19-004120/amend', officer, {
        changes: { items: [{ eclItem: '2-15.a', description: 'EO/IR gimbal sensor', quantity: 9, unit: 'unit', valueCad: 2800000 }] },
        reason: 'more',
        effectiveAt: '2020-12-21',
      }),
    );
    expect(more.code).toBe('AMENDMENT_NOT_ALLOWED');
    const cancel = await post('/permits/EXP-19-004120/cancel', minister, {
      ...suspendBody('2021-04-12'),
      reviewId: 'REV-1',
      decisionRef: 'MIN-2021-04-12',
    });
    expect(cancel.status).toBe(200);
    expect(cancel.body.events[0]).toMatchObject({ type: 'PermitCancelled', decisionRef: 'MIN-2021-04-12' });
    expect((await refused(409, () => post('/permits/EXP-19-004120/reinstate', minister, suspendBody('2021-05-01')))).code).toBe(
      'PERMIT_TERMINAL',
    );

    expect((await refused(409, () => post('/permits/EXP-20-005181/expire', system, { effectiveAt: '2021-01-01' }))).code).toBe(
      'PERMIT_NOT_YET_EXPIRED',
    );
    const expired = await post('/permits/EXP-20-005181/expire', system, { effectiveAt: '2021-07-01' });
    expect(expired.status).toBe(200);
    expect(expired.body.events[0]).toMatchObject({ type: 'PermitExpired', effectiveAt: '2021-06-30T00:00:00.000Z' });
  });

  it('lands 20 concurrent findings on one permit with contiguous revisions', async () => {
    await post('/permits', officer, permitBody('EXP-19-000100'));
    await post('/permits/EXP-19-000100/reviews', officer, { reviewId: 'R', reason: 'r', effectiveAt: '2019-04-01' });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        post('/permits/EXP-19-000100/reviews/R/findings', officer, {
          finding: `finding ${i}`,
          assuranceBreached: false,
          effectiveAt: '2019-04-02',
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    const revisions = results.map((r) => r.body.revision).sort((a, b) => a - b);
    expect(revisions).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
  });
});

describe('requests node refuses before routing', () => {
  it('answers an oversized URL with a problem document', async () => {
    const t = await startTestApp();
    try {
      const res = await t.http().get(`/api/v1/permits/${'A'.repeat(20_000)}`);
      expect(res.status).toBe(431);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(JSON.parse(res.text)).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' });
    } finally {
      await t.close();
    }
  });
});
