import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANCHOR_STREAM, EVENT_STORE, type EventStore } from '@permit-ledger/event-store';
import { permitBody, suspendBody } from '../testing/bodies.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';
import { provideStore, STORE_KINDS, type ProvidedStore } from '../testing/stores.js';
import { PROCESS_MANAGER } from './decision-process-manager.js';

const N = 200;
const number = (i: number) => `EXP-20-${String(i).padStart(6, '0')}`;
const inGroups = async <T>(items: T[], size: number, run: (item: T) => Promise<unknown>) => {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
};

describe.each(STORE_KINDS)('a ministerial decision over 200 permits on %s, carried out by the process manager', (kind) => {
  const dir = mkdtempSync(join(tmpdir(), 'decisions-'));
  let provided: ProvidedStore;
  let t: TestApp;
  let minister: string;
  let auditor: string;
  const suspended: string[] = [];
  const decision = {
    decisionRef: 'MIN-2021-04-12',
    action: 'cancel',
    selector: { destination: 'TR' },
    reason: 'goods used in Nagorno-Karabakh, inconsistent with end-use assurances',
    legalBasis: 'EIPA s.10(1)',
    effectiveAt: '2021-04-12',
  };

  const call = (method: 'get' | 'post', path: string, token: string, body?: object) => {
    const req = t.http()[method](`/api/v1${path}`).set('Authorization', `Bearer ${token}`);
    return body ? req.send(body) : req;
  };
  async function completed(ref: string) {
    for (let i = 0; i < 300; i++) {
      const res = await call('get', `/decisions/${ref}`, auditor);
      if (res.body.status === 'COMPLETED') return res.body;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`decision ${ref} did not complete`);
  }

  beforeAll(async () => {
    provided = await provideStore(kind);
    t = await startTestApp({ dataDir: dir, env: provided.env });
    const officer = await t.token('officer');
    const system = await t.token('system');
    minister = await t.token('minister', 'minister-1');
    auditor = await t.token('auditor');
    // 100 suspended, 50 cancelled, 50 expired: only the suspended ones can still be cancelled.
    await inGroups(
      Array.from({ length: N }, (_, i) => i),
      20,
      async (i) => {
        const n = number(i);
        const expiresOn = i < 150 ? '2022-12-31' : '2020-01-01';
        expect(
          (await call('post', '/permits', officer, permitBody(n, { validFrom: '2019-01-01', expiresOn, effectiveAt: '2019-01-01' })))
            .status,
        ).toBe(201);
        if (i < 100) {
          expect((await call('post', `/permits/${n}/suspend`, minister, suspendBody('2020-10-05'))).status).toBe(200);
          suspended.push(n);
        } else if (i < 150) {
          expect((await call('post', `/permits/${n}/cancel`, minister, suspendBody('2020-06-01'))).status).toBe(200);
        } else {
          expect((await call('post', `/permits/${n}/expire`, system, { effectiveAt: '2020-01-01' })).status).toBe(200);
        }
      },
    );
  });
  afterAll(async () => {
    await t.close();
    await provided.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 202 with a Location and the targets resolved once', async () => {
    const res = await call('post', '/decisions', minister, decision);
    expect(res.status).toBe(202);
    expect(res.headers.location).toBe('/api/v1/decisions/MIN-2021-04-12');
    expect(res.body.targeted).toHaveLength(N);
  });

  it("cancels exactly the suspended permits and skips the rest with the domain's reason", async () => {
    const body = await completed('MIN-2021-04-12');
    expect(body.applied.map((a: { permitNumber: string }) => a.permitNumber).sort()).toEqual(suspended.sort());
    expect(body.skipped).toHaveLength(100);
    for (const s of body.skipped) expect(s).toMatchObject({ code: 'PERMIT_TERMINAL', reason: expect.any(String) });
    expect(body.failed).toEqual([]);
    expect(body.recordedBy).toEqual({ id: 'minister-1', role: 'minister' });

    const touched = await call('get', '/permits?decisionRef=MIN-2021-04-12&limit=500', auditor);
    expect(touched.body.items).toHaveLength(100);
    expect(
      touched.body.items.every(
        (r: { status: string; lastDecisionRef: string }) => r.status === 'CANCELLED' && r.lastDecisionRef === 'MIN-2021-04-12',
      ),
    ).toBe(true);
  });

  it('records each cancellation as the minister, executed by the process manager, caused by the decision', async () => {
    const decisionEvents = await t.app.get<EventStore>(EVENT_STORE).readStream('decision-MIN-2021-04-12');
    const recorded = decisionEvents[0];
    const history = await call('get', `/permits/${suspended[0]}/history`, auditor);
    const cancelled = history.body.events.at(-1);
    expect(cancelled).toMatchObject({
      type: 'PermitCancelled',
      actor: { id: 'minister-1', role: 'minister', executor: 'decision-process-manager' },
      decisionRef: 'MIN-2021-04-12',
      causationId: recorded.eventId,
      correlationId: recorded.metadata.correlationId,
      effectiveAt: '2021-04-12T00:00:00.000Z',
      commandId: `decision:MIN-2021-04-12:${suspended[0]}`,
    });
  });

  it('re-posting the same decision answers the same and writes nothing; another body under the ref is 409', async () => {
    const store = t.app.get<EventStore>(EVENT_STORE);
    const head = await store.headPosition();
    const first = await call('post', '/decisions', minister, decision);
    const again = await call('post', '/decisions', minister, decision);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(await store.headPosition()).toBe(head);
    const other = await call('post', '/decisions', minister, { ...decision, reason: 'another reason' });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('DECISION_ALREADY_RECORDED');
    expect(await store.headPosition()).toBe(head);
  });

  it('a second run of the process manager from the start of the log changes nothing', async () => {
    const head = await t.app.get<EventStore>(EVENT_STORE).headPosition();
    await t.close();
    const db = new Database(join(dir, 'read-models.sqlite'));
    db.prepare('DELETE FROM checkpoints WHERE name = ?').run(PROCESS_MANAGER);
    db.close();
    t = await startTestApp({ dataDir: dir, env: provided.env });
    for (let i = 0; i < 100; i++) {
      const ready = await t.http().get('/health/ready');
      if (ready.body.details?.processManager?.position >= head) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const { processManager } = (await t.http().get('/health/ready')).body.details;
    expect(processManager.position).toBeGreaterThanOrEqual(head);
    // Readiness shows what it always has of the process manager: no more.
    expect(processManager).toEqual({ status: 'up', position: processManager.position, lastError: null });
    // Only the ledger anchor written at shutdown is new: no permit or decision event.
    const since = await t.app.get<EventStore>(EVENT_STORE).readAll({ after: head });
    expect(since.filter((e) => e.stream !== ANCHOR_STREAM)).toEqual([]);
  });

  it('answers 400 for a bad selector, 403 for an officer, 404 for an unknown decision', async () => {
    const bad = await call('post', '/decisions', minister, { ...decision, decisionRef: 'D-2', selector: {} });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('selector');
    const mixed = await call('post', '/decisions', minister, {
      ...decision,
      decisionRef: 'D-3',
      selector: { permitNumbers: ['EXP-20-000001'], destination: 'TR' },
    });
    expect(mixed.status).toBe(400);
    const wrongAction = await call('post', '/decisions', minister, { ...decision, decisionRef: 'D-4', action: 'delete' });
    expect(wrongAction.body.errors.map((e: { field: string }) => e.field)).toContain('action');
    expect((await call('post', '/decisions', await t.token('officer'), { ...decision, decisionRef: 'D-5' })).status).toBe(403);
    expect((await call('get', '/decisions/NOPE', auditor)).status).toBe(404);
  });
});
