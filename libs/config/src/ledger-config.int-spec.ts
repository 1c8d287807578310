import { afterAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { cosignerFromSeed } from '@permit-ledger/event-store';
import { ConfigError, loadConfig, loadOrCreateLedgerKey } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'permit-ledger-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const base = { DATA_DIR: join(dir, 'data'), AUTH_JWT_SECRET: 'x'.repeat(32) };
const refusal = (env: Record<string, string>) => {
  try {
    loadConfig({ ...base, ...env });
    return null;
  } catch (error) {
    return error instanceof ConfigError ? error.variable : String(error);
  }
};
const ed25519Pem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const witnessKey = cosignerFromSeed('witness.example', new Uint8Array(32).fill(7)).verifierKey;

describe('ledger configuration', () => {
  it('requires LEDGER_SIGNING_KEY in production, after every other variable is right', () => {
    expect(refusal({ NODE_ENV: 'production' })).toBe('LEDGER_SIGNING_KEY');
    expect(refusal({ NODE_ENV: 'production', PORT: 'eighty' })).toBe('PORT');
    expect(refusal({ NODE_ENV: 'production', LEDGER_SIGNING_KEY: ed25519Pem(), LEDGER_ORIGIN: 'ledger.example/permits' })).toBeNull();
  });

  it('requires LEDGER_ORIGIN in production (a host name changes with each container), checked after the key', () => {
    expect(refusal({ NODE_ENV: 'production', LEDGER_SIGNING_KEY: ed25519Pem() })).toBe('LEDGER_ORIGIN');
    expect(refusal({ NODE_ENV: 'Production', LEDGER_SIGNING_KEY: ed25519Pem(), LEDGER_ORIGIN: '  ' })).toBe('LEDGER_ORIGIN');
    expect(refusal({ NODE_ENV: 'production', LEDGER_SIGNING_KEY: ed25519Pem(), LEDGER_ORIGIN: 'a b' })).toBe('LEDGER_ORIGIN');
    expect(refusal({ NODE_ENV: 'production' })).toBe('LEDGER_SIGNING_KEY');
  });

  it('accepts an Ed25519 PEM inline or as a path, and refuses any other key or a missing file', () => {
    const pem = ed25519Pem();
    const file = join(dir, 'ledger.pem');
    writeFileSync(file, pem);
    expect(loadConfig({ ...base, LEDGER_SIGNING_KEY: file }).ledgerSigningKey).toBe(pem);
    expect(loadConfig({ ...base, LEDGER_SIGNING_KEY: pem }).ledgerSigningKey).toBe(pem);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    for (const NODE_ENV of ['production', 'staging']) {
      expect(refusal({ NODE_ENV, LEDGER_SIGNING_KEY: rsa })).toBe('LEDGER_SIGNING_KEY');
      expect(refusal({ NODE_ENV, LEDGER_SIGNING_KEY: join(dir, 'missing.pem') })).toBe('LEDGER_SIGNING_KEY');
      expect(refusal({ NODE_ENV, LEDGER_SIGNING_KEY: '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----' })).toBe(
        'LEDGER_SIGNING_KEY',
      );
    }
  });

  it('outside production, generates one key into DATA_DIR when it is first needed, and reuses it', () => {
    const data = join(dir, 'generated');
    expect(loadConfig({ ...base, DATA_DIR: data }).ledgerSigningKey).toBeNull();
    expect(existsSync(join(data, 'ledger-signing-key.pem'))).toBe(false);
    const key = loadOrCreateLedgerKey(data);
    expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(loadOrCreateLedgerKey(data)).toBe(key);
    expect(readFileSync(join(data, 'ledger-signing-key.pem'), 'utf8')).toBe(key);
    expect(statSync(join(data, 'ledger-signing-key.pem')).mode & 0o777).toBe(0o600);
  });

  it('takes LEDGER_ORIGIN as a note key name, by default from the host name', () => {
    expect(loadConfig(base).ledgerOrigin).toBe(`permit-ledger.${hostname()}`);
    expect(loadConfig({ ...base, LEDGER_ORIGIN: 'ledger.bafa.example/permits' }).ledgerOrigin).toBe('ledger.bafa.example/permits');
    for (const bad of ['two words', 'a+b', 'tab\there']) expect(refusal({ LEDGER_ORIGIN: bad })).toBe('LEDGER_ORIGIN');
  });

  it('takes LEDGER_CHECKPOINT_SECONDS (default 1) and still accepts the replaced LEDGER_ANCHOR_EVERY', () => {
    expect(loadConfig(base).checkpointSeconds).toBe(1);
    expect(loadConfig({ ...base, LEDGER_CHECKPOINT_SECONDS: '30' }).checkpointSeconds).toBe(30);
    for (const bad of ['0', '-1', '1.5', 'soon', '86401'])
      expect(refusal({ LEDGER_CHECKPOINT_SECONDS: bad })).toBe('LEDGER_CHECKPOINT_SECONDS');
    expect(refusal({ LEDGER_ANCHOR_EVERY: '1000' })).toBeNull();
    expect(refusal({ LEDGER_ANCHOR_EVERY: 'many' })).toBe('LEDGER_ANCHOR_EVERY');
  });

  it('parses LEDGER_WITNESSES: "<url> <cosignature verifier key>" entries, comma-separated', () => {
    expect(loadConfig(base).ledgerWitnesses).toEqual([]);
    const env = { LEDGER_WITNESSES: ` https://w1.example/add-checkpoint ${witnessKey} ,http://127.0.0.1:9/add-checkpoint  ${witnessKey}` };
    expect(loadConfig({ ...base, ...env }).ledgerWitnesses).toEqual([
      { url: 'https://w1.example/add-checkpoint', verifierKey: witnessKey },
      { url: 'http://127.0.0.1:9/add-checkpoint', verifierKey: witnessKey },
    ]);
    // A note (type 0x01) verifier key is not a cosignature key; a URL alone, a bad URL, an extra word are refused.
    const noteKey = witnessKey.replace(/\+[^+]+\+[^+]+$/, '') + '+00000000+AQ==';
    for (const bad of [
      'https://w1.example',
      `ftp://w1.example ${witnessKey}`,
      `https://w1.example ${witnessKey} extra`,
      `https://w1.example ${noteKey}`,
    ]) {
      expect(refusal({ LEDGER_WITNESSES: bad })).toBe('LEDGER_WITNESSES');
    }
  });
});
