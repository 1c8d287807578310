import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  ANCHOR_EVENT_TYPE,
  ANCHOR_SCHEMA_VERSION,
  ANCHOR_STREAM,
  ed25519Signer,
  EVENT_STORE,
  signCheckpointAnchor,
  verifyNdjson,
  type EventStore,
} from '@permit-ledger/event-store';
import { permitBody, suspendBody } from '../testing/bodies.js';
import { provideStore, STORE_KINDS, type ProvidedStore } from '../testing/stores.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';
import { LedgerWriter } from './ledger-writer.js';

async function* linesOf(text: string) {
  for (const line of text.split('\n')) if (line) yield line;
}

describe.each(STORE_KINDS)('the ledger for auditors on %s: anchors, verification, export', (kind) => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  let provided: ProvidedStore;
  let t: TestApp;
  let auditor: string;

  beforeAll(async () => {
    provided = await provideStore(kind);
    t = await startTestApp({ env: { ...provided.env, LEDGER_SIGNING_KEY: pem, LEDGER_CHECKPOINT_SECONDS: '86400' } });
    auditor = await t.token('auditor');
    const officer = await t.token('officer');
    const minister = await t.token('minister');
    for (let i = 1; i <= 5; i++) {
      const n = `EXP-19-00000${i}`;
      expect((await t.http().post('/api/v1/permits').set('Authorization', `Bearer ${officer}`).send(permitBody(n))).status).toBe(201);
      expect(
        (await t.http().post(`/api/v1/permits/${n}/suspend`).set('Authorization', `Bearer ${minister}`).send(suspendBody())).status,
      ).toBe(200);
      if (i === 2) await t.app.get(LedgerWriter).checkpointNow();
    }
    await t.app.get(LedgerWriter).checkpointNow();
  });
  afterAll(async () => {
    await t.close();
    await provided.close();
  });

  const get = (path: string, token = auditor) => t.http().get(`/api/v1${path}`).set('Authorization', `Bearer ${token}`);

  it('serves the public key that verifies the anchors', async () => {
    const res = await t.http().get('/api/v1/ledger/public-key');
    expect(res.status).toBe(200);
    expect(res.text).toBe(createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }));
  });

  it('verifies the whole ledger: every chain, the running hash and the signed anchors', async () => {
    const res = await get('/ledger/verify');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ valid: true, unanchored: 0 });
    expect(res.body.anchorsChecked).toBeGreaterThanOrEqual(2);
    expect(res.body.checked).toBeGreaterThanOrEqual(10);
    expect((await get('/ledger/verify', await t.token('viewer'))).status).toBe(403);
    expect((await get('/ledger/verify?from=9&to=2')).status).toBe(400);
  });

  it('exports the ledger as NDJSON that verifies offline, and fails with one byte changed', async () => {
    const res = await get('/ledger/export');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/x-ndjson/);
    const publicKey = createPublicKey(privateKey);
    expect(await verifyNdjson(linesOf(res.text), { publicKey })).toMatchObject({ valid: true });
    const tampered = res.text.replace('EIPA s.10(1)', 'EIPA s.10(2)');
    expect(tampered).not.toBe(res.text);
    const broken = await verifyNdjson(linesOf(tampered), { publicKey });
    expect(broken.valid).toBe(false);
    expect(broken.firstBroken?.reason).toBe('HASH_MISMATCH');
  });

  it('exports one permit as NDJSON or CSV', async () => {
    const ndjson = await get('/ledger/export?permitNumber=EXP-19-000001');
    const lines = ndjson.text.trim().split('\n');
    expect(lines).toHaveLength(4); // header, two events, trailer
    expect(await verifyNdjson(linesOf(ndjson.text), {})).toMatchObject({ valid: true, checked: 2 });
    const csv = await get('/ledger/export?permitNumber=EXP-19-000001&format=csv');
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.text.trim().split('\n')).toHaveLength(3);
    expect((await get('/ledger/export?permitNumber=EXP-19-000001&decisionRef=X')).status).toBe(400);
    const unknown = await get('/ledger/export?permitNumber=EXP-00-000000');
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('EXPORT_SCOPE_NOT_FOUND');
  });

  it("refuses a checkpoint the ledger's key signed under another origin, on /ledger/verify and offline with the verifier key", async () => {
    const writer = t.app.get(LedgerWriter);
    const { size, runningHash, lastLeafPosition } = writer.tree.state;
    // The same key, the same tree, another origin: a note an auditor holding this log's verifier key must not accept.
    const seed = privateKey.export({ type: 'pkcs8', format: 'der' }).subarray(-32);
    const forged = signCheckpointAnchor(
      { position: lastLeafPosition, count: size, runningHash },
      writer.tree.root(),
      privateKey,
      ed25519Signer('elsewhere.example/permits', seed),
    );
    const meta = {
      effectiveAt: new Date().toISOString(),
      actor: { id: 'x', role: 'system' },
      commandId: 'c',
      correlationId: 'c',
      causationId: null,
    };
    const store = t.app.get<EventStore>(EVENT_STORE);
    const { position } = await store.append(
      ANCHOR_STREAM,
      [{ eventId: randomUUID(), type: ANCHOR_EVENT_TYPE, schemaVersion: ANCHOR_SCHEMA_VERSION, data: { ...forged }, metadata: meta }],
      { expectedRevision: 'any' },
    );
    const online = await get('/ledger/verify');
    expect(online.body).toMatchObject({ valid: false, firstBroken: { position, reason: 'CHECKPOINT_SIGNATURE_INVALID' } });
    const exported = await get('/ledger/export');
    const offline = await verifyNdjson(linesOf(exported.text), { verifierKey: writer.verifierKey() });
    expect(offline).toMatchObject({ valid: false, firstBroken: { position, reason: 'CHECKPOINT_SIGNATURE_INVALID' } });
  });

  if (kind === 'sqlite') {
    it("reports an event changed behind the service's back, naming the first broken point", async () => {
      const db = new Database(join(t.config.dataDir, 'events.sqlite'));
      db.exec('DROP TRIGGER events_no_update');
      db.prepare("UPDATE events SET data = json_set(data, '$.reason', 'edited') WHERE stream = ? AND revision = 1").run(
        'permit-EXP-19-000003',
      );
      db.close();
      const permit = await get('/permits/EXP-19-000003/verify');
      expect(permit.body).toMatchObject({ valid: false, firstBrokenRevision: 1 });
      const ledger = await get('/ledger/verify');
      expect(ledger.body).toMatchObject({
        valid: false,
        firstBroken: { stream: 'permit-EXP-19-000003', revision: 1, reason: 'HASH_MISMATCH' },
      });
    });
  }
});
