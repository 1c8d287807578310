import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import {
  computeEventHash,
  leafHash,
  openCheckpoint,
  parseVerifierKey,
  verifyConsistency,
  verifyInclusion,
  type Checkpoint,
  type EventMetadata,
} from '@permit-ledger/event-store';
import { runStory, STORY_PERMITS, type StoryAnswer } from '@permit-ledger/story';
import type { Role } from '@permit-ledger/config';
import { permitBody, suspendBody } from '../testing/bodies.js';
import { provideStore, STORE_KINDS, type ProvidedStore } from '../testing/stores.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';
import { LedgerWriter } from './ledger-writer.js';

interface EvidenceEvent {
  stream: string;
  revision: number;
  eventId: string;
  type: string;
  schemaVersion: number;
  data: Record<string, unknown>;
  metadata: EventMetadata;
  recordedAt: string;
  prevHash: string | null;
  hash: string;
  leaf: number;
}
interface Evidence {
  checkpoint: string;
  events: EvidenceEvent[];
  proofs: Array<{ leaf: number; path: string[] }>;
}

const bytes = (base64: string) => new Uint8Array(Buffer.from(base64, 'base64'));

/** What an auditor does offline with a bundle and the verifier key: the note's signature, each event's hash and proof. */
function verifyEvidence(evidence: Evidence, verifierKey: string): Checkpoint {
  const { checkpoint } = openCheckpoint(evidence.checkpoint, [parseVerifierKey(verifierKey)]);
  expect(evidence.proofs.map((p) => p.leaf)).toEqual(evidence.events.map((e) => e.leaf));
  for (const [i, event] of evidence.events.entries()) {
    expect(computeEventHash(event)).toBe(event.hash);
    const path = evidence.proofs[i].path.map(bytes);
    expect(verifyInclusion(event.leaf, checkpoint.size, leafHash(Buffer.from(event.hash, 'hex')), path, checkpoint.root)).toBe(true);
  }
  return checkpoint;
}

const fieldsOf = (res: Response) => (res.body.errors as Array<{ field: string }>).map((e) => e.field);

describe.each(STORE_KINDS)('the ledger as a transparency log: checkpoint, proofs, evidence (%s)', (kind) => {
  let provided: ProvidedStore;
  let t: TestApp;
  let verifierKey: string;
  const as = async (role: Role) => `Bearer ${await t.token(role)}`;

  beforeAll(async () => {
    provided = await provideStore(kind);
    // Checkpoints by the timer, as in production.
    t = await startTestApp({ env: { ...provided.env, LEDGER_CHECKPOINT_SECONDS: '1' } });
  });
  afterAll(async () => {
    await t?.close();
    await provided?.close();
  });

  it('has no checkpoint before the first event, and serves its verifier key without a token', async () => {
    const none = await t.http().get('/api/v1/ledger/checkpoint');
    expect([none.status, none.body.code]).toEqual([404, 'NO_CHECKPOINT']);
    expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
    const proof = await t.http().get('/api/v1/ledger/proof/inclusion?leaf=0&size=1');
    expect([proof.status, fieldsOf(proof)]).toEqual([400, ['size']]);
    const key = await t.http().get('/api/v1/ledger/verifier-key');
    expect(key.status).toBe(200);
    expect(key.headers['content-type']).toMatch(/^text\/plain/);
    verifierKey = key.text;
    expect(parseVerifierKey(verifierKey).name).toBe(t.config.ledgerOrigin);
  });

  it("gives each story permit's evidence: its whole history, provable offline, nothing of any other stream", async () => {
    const steps = await runStory({
      call: async (method, path, role, body): Promise<StoryAnswer> => {
        const auth = await as(role as Role);
        const res =
          method === 'GET'
            ? await t.http().get(`/api/v1${path}`).set('Authorization', auth)
            : await t
                .http()
                .post(`/api/v1${path}`)
                .set('Authorization', auth)
                .send(body as object);
        return { status: res.status, body: res.body };
      },
    });
    expect(steps.length).toBeGreaterThan(20);
    for (const { permitNumber } of STORY_PERMITS) {
      const res = await t
        .http()
        .get(`/api/v1/permits/${permitNumber}/evidence`)
        .set('Authorization', await as('auditor'));
      expect(res.status).toBe(200);
      const evidence = res.body as Evidence;
      verifyEvidence(evidence, verifierKey);
      expect(new Set(evidence.events.map((e) => e.stream))).toEqual(new Set([`permit-${permitNumber}`]));
      // The service waited for a checkpoint covering the whole stream; the history shows the same leaves.
      const history = await t
        .http()
        .get(`/api/v1/permits/${permitNumber}/history`)
        .set('Authorization', await as('auditor'));
      const leaves = (history.body.events as Array<{ revision: number; leaf: number | null }>).map((e) => [e.revision, e.leaf]);
      expect(evidence.events.map((e) => [e.revision, e.leaf])).toEqual(leaves);
      // A changed proof, leaf or event fails.
      const [first] = evidence.events;
      const { checkpoint } = openCheckpoint(evidence.checkpoint, [parseVerifierKey(verifierKey)]);
      const path = evidence.proofs[0].path.map(bytes);
      if (path.length) {
        path[0][0] ^= 1;
        expect(verifyInclusion(first.leaf, checkpoint.size, leafHash(Buffer.from(first.hash, 'hex')), path, checkpoint.root)).toBe(false);
      }
      expect(computeEventHash({ ...first, data: { ...first.data, destination: 'ZZ' } })).not.toBe(first.hash);
    }
  });

  it("gives a decision's evidence: its own stream's events only", async () => {
    const rows = await t
      .http()
      .get('/api/v1/permits?limit=500')
      .set('Authorization', await as('auditor'));
    const ref = (rows.body.items as Array<{ lastDecisionRef: string | null }>).find((r) => r.lastDecisionRef)!.lastDecisionRef!;
    const res = await t
      .http()
      .get(`/api/v1/decisions/${ref}/evidence`)
      .set('Authorization', await as('minister'));
    expect(res.status).toBe(200);
    verifyEvidence(res.body as Evidence, verifierKey);
    expect(new Set((res.body as Evidence).events.map((e) => e.stream))).toEqual(new Set([`decision-${ref}`]));
    const unknown = await t
      .http()
      .get('/api/v1/decisions/NO-SUCH-DECISION/evidence')
      .set('Authorization', await as('auditor'));
    expect([unknown.status, unknown.body.code]).toEqual([404, 'DECISION_NOT_FOUND']);
    const missing = await t
      .http()
      .get('/api/v1/permits/EXP-99-000001/evidence')
      .set('Authorization', await as('auditor'));
    expect([missing.status, missing.body.code]).toEqual([404, 'PERMIT_NOT_FOUND']);
  });

  it('serves inclusion and consistency proofs that verify against signed checkpoints, without a token', async () => {
    const held = await t.http().get('/api/v1/ledger/checkpoint');
    expect(held.status).toBe(200);
    expect(held.headers['content-type']).toMatch(/^text\/plain/);
    const old = openCheckpoint(held.text, [parseVerifierKey(verifierKey)]).checkpoint;
    for (const leaf of [0, 1, Math.floor(old.size / 2), old.size - 1]) {
      const res = await t.http().get(`/api/v1/ledger/proof/inclusion?leaf=${leaf}&size=${old.size}`);
      expect(res.status).toBe(200);
      expect([res.body.leaf, res.body.size]).toEqual([leaf, old.size]);
      // The leaf's event, found through a history: the one event whose leaf it is.
      expect(Array.isArray(res.body.path)).toBe(true);
    }
    // Prove one story permit's first event from the route, as a witness-less auditor would.
    const evidence = (
      await t
        .http()
        .get(`/api/v1/permits/${STORY_PERMITS[0].permitNumber}/evidence`)
        .set('Authorization', await as('auditor'))
    ).body as Evidence;
    const event = evidence.events[0];
    const routed = await t.http().get(`/api/v1/ledger/proof/inclusion?leaf=${event.leaf}&size=${old.size}`);
    expect(
      verifyInclusion(event.leaf, old.size, leafHash(Buffer.from(event.hash, 'hex')), (routed.body.path as string[]).map(bytes), old.root),
    ).toBe(true);

    // More events, then a newer checkpoint that extends the held one.
    const issued = await t
      .http()
      .post('/api/v1/permits')
      .set('Authorization', await as('officer'))
      .send(permitBody('EXP-23-100001'));
    expect(issued.status).toBe(201);
    const fresh = await t
      .http()
      .get('/api/v1/permits/EXP-23-100001/evidence')
      .set('Authorization', await as('auditor'));
    expect((fresh.body as Evidence).events).toHaveLength(1);
    const newer = openCheckpoint((await t.http().get('/api/v1/ledger/checkpoint')).text, [parseVerifierKey(verifierKey)]).checkpoint;
    expect(newer.size).toBeGreaterThan(old.size);
    const consistency = await t.http().get(`/api/v1/ledger/proof/consistency?from=${old.size}&size=${newer.size}`);
    expect(consistency.status).toBe(200);
    expect([consistency.body.from, consistency.body.size]).toEqual([old.size, newer.size]);
    const proof = (consistency.body.path as string[]).map(bytes);
    expect(verifyConsistency(old.size, newer.size, proof, old.root, newer.root)).toBe(true);
    expect(verifyConsistency(old.size, newer.size, proof, newer.root, newer.root)).toBe(false);
    const same = await t.http().get(`/api/v1/ledger/proof/consistency?from=${newer.size}&size=${newer.size}`);
    expect([same.status, same.body.path]).toEqual([200, []]);
  });

  it('refuses bad ranges with 400 naming the parameter', async () => {
    const size = openCheckpoint((await t.http().get('/api/v1/ledger/checkpoint')).text, [parseVerifierKey(verifierKey)]).checkpoint.size;
    const cases: Array<[string, string[]]> = [
      [`inclusion?leaf=${size}&size=${size}`, ['leaf']],
      [`inclusion?leaf=0&size=${size + 1}`, ['size']],
      [`inclusion?leaf=${size + 5}&size=${size + 1}`, ['size', 'leaf']],
      [`inclusion?leaf=0&size=0`, ['leaf']],
      [`inclusion?leaf=1e3&size=${size}`, ['leaf']],
      [`inclusion?size=${size}`, ['leaf']],
      [`consistency?from=${size}&size=${size - 1}`, ['from']],
      [`consistency?from=0&size=${size}`, ['from']],
      [`consistency?from=1&size=${size + 1}`, ['size']],
      [`consistency?from=-1&size=x`, ['from', 'size']],
    ];
    for (const [query, fields] of cases) {
      const res = await t.http().get(`/api/v1/ledger/proof/${query}`);
      expect([query, res.status, res.body.code, [...new Set(fieldsOf(res))].sort()]).toEqual([
        query,
        400,
        'VALIDATION_FAILED',
        [...fields].sort(),
      ]);
    }
  });
});

describe('evidence of a tree behind the log, and the public routes under the per-address limit (sqlite)', () => {
  let t: TestApp;
  const LIMIT = 5;

  beforeAll(async () => {
    // No checkpoint by timer within the spec: the spec signs them (checkpointNow), so events can be newer than the latest.
    t = await startTestApp({
      env: { LEDGER_CHECKPOINT_SECONDS: '3600', MIN_POSITION_WAIT_MS: '100', PUBLIC_RATE_LIMIT_PER_MINUTE: String(LIMIT) },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('leaves out an event newer than the latest checkpoint, and answers NO_CHECKPOINT before the first', async () => {
    const officer = `Bearer ${await t.token('officer')}`;
    const auditor = `Bearer ${await t.token('auditor')}`;
    expect((await t.http().post('/api/v1/permits').set('Authorization', officer).send(permitBody('EXP-23-200001'))).status).toBe(201);
    const early = await t.http().get('/api/v1/permits/EXP-23-200001/evidence').set('Authorization', auditor);
    expect([early.status, early.body.code]).toEqual([404, 'NO_CHECKPOINT']);
    await t.app.get(LedgerWriter).checkpointNow();
    const minister = `Bearer ${await t.token('minister')}`;
    expect((await t.http().post('/api/v1/permits/EXP-23-200001/suspend').set('Authorization', minister).send(suspendBody())).status).toBe(
      200,
    );
    const res = await t.http().get('/api/v1/permits/EXP-23-200001/evidence').set('Authorization', auditor);
    expect(res.status).toBe(200);
    const evidence = res.body as Evidence;
    expect(evidence.events.map((e) => e.type)).toEqual(['PermitIssued']);
    const { checkpoint } = openCheckpoint(evidence.checkpoint, [
      parseVerifierKey((await t.http().get('/api/v1/ledger/verifier-key')).text),
    ]);
    expect(checkpoint.size).toBe(1);
    // Its history shows the suspension's leaf (taken into the tree, not yet checkpointed) or null.
    const history = await t.http().get('/api/v1/permits/EXP-23-200001/history').set('Authorization', auditor);
    expect(history.body.events[0].leaf).toBe(0);
  });

  it('needs no token on the public routes, and holds them to the per-address budget', async () => {
    // Twice the budget and one: even when a minute ends midway, one window is over it.
    const answers: number[] = [];
    for (let i = 0; i < 2 * LIMIT + 1; i++) {
      const path = [
        '/api/v1/ledger/checkpoint',
        '/api/v1/ledger/verifier-key',
        '/api/v1/ledger/proof/inclusion?leaf=0&size=1',
        '/api/v1/ledger/proof/consistency?from=1&size=1',
      ][i % 4];
      answers.push((await t.http().get(path)).status);
    }
    expect(answers.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(answers).toContain(429);
    expect(answers.every((s) => s === 200 || s === 429)).toBe(true);
  });
});
