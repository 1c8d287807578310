import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_STORE, type EventStore } from '@permit-ledger/event-store';
import { SignJWT, type JWTPayload } from 'jose';
import { token as cliToken } from '../../../../permit-cli/src/token.js';
import { ConfigError, loadConfig } from '@permit-ledger/config';
import { permitBody } from '../../testing/bodies.js';
import { startTestApp, TEST_SECRET, type TestApp } from '../../testing/test-app.js';

/**
 * What a verified signature does not make acceptable: a token without `exp` or living longer than
 * AUTH_MAX_TOKEN_LIFETIME_SECONDS, an `iat` in the future, a subject that would write invisible or
 * control characters (or a novel) into the permanent ledger as an actor id; and keys that cannot be
 * what they claim (a PEM as the HS256 secret, a private key or a missing file as the public key).
 */

const now = () => Math.floor(Date.now() / 1000);
const HOUR = 3600;

/**
 * An HS256 token with exactly these claims (no default exp or iat), signed by hand: JSON.stringify
 * escapes a lone surrogate, where a TextEncoder (as in jose) would replace it.
 */
const hs256 = async (claims: JWTPayload, secret: string = TEST_SECRET) => {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ roles: ['viewer'], ...claims })}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
};

const rsa = () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    privateKey,
  };
};

describe('token lifetime: exp required and bounded, iat not in the future', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_CLOCK_SKEW_SECONDS: '30' } });
  });
  afterAll(() => t.close());

  const stats = async (claims: JWTPayload) =>
    t
      .http()
      .get('/api/v1/stats')
      .set('Authorization', `Bearer ${await hs256({ sub: 'life-1', ...claims })}`);

  it('defaults to a 12-hour bound', () => {
    expect(t.config.maxTokenLifetimeSeconds).toBe(12 * HOUR);
  });

  it('refuses a token without exp', async () => {
    const res = await stats({});
    expect(res.status).toBe(401);
    expect(res.body.detail).toMatch(/exp/);
    expect((await stats({ iat: now() })).status).toBe(401);
  });

  it('refuses a token whose exp is beyond the bound from now (no iat), accepts one within it', async () => {
    expect((await stats({ exp: now() + 100 * 365 * 24 * HOUR })).status).toBe(401);
    expect((await stats({ exp: now() + 13 * HOUR })).status).toBe(401);
    expect((await stats({ exp: now() + 12 * HOUR + 120 })).body.detail).toMatch(/lifetime|longer/);
    expect((await stats({ exp: now() + 12 * HOUR })).status).toBe(200);
    expect((await stats({ exp: now() + 60 })).status).toBe(200);
  });

  it('refuses a token whose exp is beyond the bound from its iat, even with little of it left', async () => {
    expect((await stats({ iat: now() - 13 * HOUR, exp: now() + HOUR })).status).toBe(401);
    expect((await stats({ iat: now() - 11 * HOUR, exp: now() + HOUR })).status).toBe(200);
  });

  it('refuses an iat in the future beyond the clock skew, tolerates it within', async () => {
    const future = await stats({ iat: now() + 600, exp: now() + HOUR });
    expect(future.status).toBe(401);
    expect(future.body.detail).toMatch(/iat/);
    expect((await stats({ iat: now() + 10, exp: now() + HOUR })).status).toBe(200);
  });

  it('reads the bound from AUTH_MAX_TOKEN_LIFETIME_SECONDS', async () => {
    const short = await startTestApp({ env: { AUTH_MAX_TOKEN_LIFETIME_SECONDS: '600' } });
    try {
      const call = async (claims: JWTPayload) =>
        (
          await short
            .http()
            .get('/api/v1/stats')
            .set('Authorization', `Bearer ${await hs256({ sub: 'life-2', ...claims })}`)
        ).status;
      expect(await call({ exp: now() + HOUR })).toBe(401);
      expect(await call({ exp: now() + 600 })).toBe(200);
    } finally {
      await short.close();
    }
    expect(() => loadConfig({ DATA_DIR: '/tmp/x', AUTH_JWT_SECRET: TEST_SECRET, AUTH_MAX_TOKEN_LIFETIME_SECONDS: 'forever' })).toThrow(
      /AUTH_MAX_TOKEN_LIFETIME_SECONDS/,
    );
  });

  it('applies to RS256 tokens of a configured public key too', async () => {
    const key = rsa();
    const r = await startTestApp({ env: { AUTH_JWT_PUBLIC_KEY: key.publicPem } });
    try {
      const sign = (claims: JWTPayload) =>
        new SignJWT({ roles: ['viewer'], sub: 'oidc-1', ...claims }).setProtectedHeader({ alg: 'RS256' }).sign(key.privateKey);
      const call = async (claims: JWTPayload) =>
        (
          await r
            .http()
            .get('/api/v1/stats')
            .set('Authorization', `Bearer ${await sign(claims)}`)
        ).status;
      expect(await call({})).toBe(401);
      expect(await call({ exp: now() + 1000 * 24 * HOUR })).toBe(401);
      expect(await call({ iat: now() + 3600, exp: now() + 2 * HOUR })).toBe(401);
      expect(await call({ iat: now(), exp: now() + HOUR })).toBe(200);
    } finally {
      await r.close();
    }
  });
});

describe('the token subject becomes an actor id in the ledger', () => {
  let t: TestApp;
  let store: EventStore;
  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '1000000', LEDGER_CHECKPOINT_SECONDS: '86400' } });
    store = t.app.get<EventStore>(EVENT_STORE);
  });
  afterAll(() => t.close());

  const issueAs = async (sub: string, n: string) =>
    t
      .http()
      .post('/api/v1/permits')
      .set('Authorization', `Bearer ${await hs256({ sub, roles: ['officer'], iat: now(), exp: now() + HOUR })}`)
      .send(permitBody(n));

  const refused: Array<[string, string]> = [
    ['right-to-left override U+202E', 'officer-\u202E1-reciffo'],
    ['left-to-right embedding U+202A', '\u202Aofficer'],
    ['first strong isolate U+2068', 'officer\u20681'],
    ['pop directional isolate U+2069', 'officer\u2069'],
    ['right-to-left mark U+200F', 'officer\u200F'],
    ['zero-width space U+200B', 'minister\u200B-1'],
    ['zero-width joiner U+200D', 'off\u200Dicer'],
    ['byte order mark U+FEFF', '\uFEFFofficer'],
    ['Braille blank U+2800 (renders as nothing)', '\u2800'],
    ['Hangul filler U+3164', 'a\u3164b'],
    ['variation selector U+FE0F', 'a\uFE0Fb'],
    ['a stack of combining marks', 'a' + '\u0301'.repeat(150)],
    ['NUL', 'officer\u0000'],
    ['newline', 'officer-1\nminister-1'],
    ['carriage return', 'officer\r'],
    ['tab', 'officer\t1'],
    ['escape (ANSI colours)', '\u001b[31mofficer'],
    ['DEL', 'officer\u007f'],
    ['C1 next line U+0085', 'officer\u0085'],
    ['C1 CSI U+009B', 'officer\u009b'],
    ['line separator U+2028', 'officer\u2028'],
    ['no-break space', 'officer\u00a01'],
    ['lone surrogate', 'officer\ud800'],
    ['leading space', ' officer'],
    ['trailing space', 'officer '],
    ['201 characters', 'o'.repeat(201)],
    ['empty', ''],
  ];

  it('refuses a subject with control, bidi, zero-width or other invisible characters, or too long: 401, nothing written', async () => {
    let n = 0;
    const problems: string[] = [];
    for (const [what, sub] of refused) {
      const before = await store.headPosition();
      const res = await issueAs(sub, `EXP-19-0007${String(n++).padStart(2, '0')}`);
      const after = await store.headPosition();
      if (res.status !== 401 || res.body.code !== 'UNAUTHENTICATED' || after !== before) {
        problems.push(`${what}: ${res.status} ${res.body.code}, head ${before} -> ${after}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('names the subject claim in the refusal', async () => {
    expect((await issueAs('officer\u202E', 'EXP-19-000799')).body.detail).toMatch(/sub/);
  });

  it('accepts ordinary subjects, up to 200 characters: an e-mail, a UUID, accented names, an inner space', async () => {
    let n = 0;
    for (const sub of [
      'officer-1',
      'jane.doe@international.gc.ca',
      '6f1c2a8e-3b1d-4c5e-9f00-1a2b3c4d5e6f',
      'Émilie Côté',
      'o'.repeat(200),
    ]) {
      const res = await issueAs(sub, `EXP-19-0008${String(n++).padStart(2, '0')}`);
      expect({ sub, status: res.status }).toEqual({ sub, status: 201 });
      expect(res.body.events[0].actor).toEqual({ id: sub, role: 'officer' });
    }
  });
});

describe('keys that cannot be what they claim are refused at start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'permit-ledger-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const refusal = (env: Record<string, string>) => {
    try {
      loadConfig({ DATA_DIR: join(dir, 'data'), ...env });
      return null;
    } catch (error) {
      return error instanceof ConfigError ? error.variable : String(error);
    }
  };

  it('refuses a PEM as the HS256 secret: an HS256 token signed with the public key is never accepted', async () => {
    const key = rsa();
    expect(refusal({ AUTH_JWT_SECRET: key.publicPem })).toBe('AUTH_JWT_SECRET');
    expect(refusal({ AUTH_JWT_SECRET: key.publicPem, NODE_ENV: 'production' })).toBe('AUTH_JWT_SECRET');
    expect(refusal({ AUTH_JWT_SECRET: key.publicPem, AUTH_JWT_PUBLIC_KEY: key.publicPem })).toBe('AUTH_JWT_SECRET');
    // Over HTTP: with the public key configured, an HS256 token signed with its PEM text is refused.
    const t = await startTestApp({ env: { AUTH_JWT_PUBLIC_KEY: key.publicPem } });
    try {
      const forged = await hs256({ sub: 'forger', roles: ['minister'], exp: now() + HOUR }, key.publicPem);
      expect((await t.http().get('/api/v1/stats').set('Authorization', `Bearer ${forged}`)).status).toBe(401);
    } finally {
      await t.close();
    }
  });

  it('refuses a configured secret shorter than 32 bytes whatever NODE_ENV says', () => {
    for (const NODE_ENV of ['production', 'Production', 'staging', ''])
      expect(refusal({ AUTH_JWT_SECRET: 'short', NODE_ENV })).toBe('AUTH_JWT_SECRET');
  });

  it('refuses AUTH_JWT_PUBLIC_KEY naming a missing file, a private key, a garbled PEM or a non-RSA/P-256 key', () => {
    const key = rsa();
    const privateFile = join(dir, 'private.pem');
    writeFileSync(privateFile, key.privatePem);
    const ed25519 = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    for (const env of [{}, { NODE_ENV: 'production' }] as Array<Record<string, string>>) {
      expect(refusal({ ...env, AUTH_JWT_PUBLIC_KEY: join(dir, 'missing.pem') })).toBe('AUTH_JWT_PUBLIC_KEY');
      expect(refusal({ ...env, AUTH_JWT_PUBLIC_KEY: key.privatePem })).toBe('AUTH_JWT_PUBLIC_KEY');
      expect(refusal({ ...env, AUTH_JWT_PUBLIC_KEY: privateFile })).toBe('AUTH_JWT_PUBLIC_KEY');
      expect(refusal({ ...env, AUTH_JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----' })).toBe(
        'AUTH_JWT_PUBLIC_KEY',
      );
      expect(refusal({ ...env, AUTH_JWT_PUBLIC_KEY: ed25519 })).toBe('AUTH_JWT_PUBLIC_KEY');
    }
  });

  it('accepts a public key inline or as a path to a PEM file, and serves with it', async () => {
    const key = rsa();
    const publicFile = join(dir, 'public.pem');
    writeFileSync(publicFile, key.publicPem);
    const LEDGER_SIGNING_KEY = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(
      refusal({ AUTH_JWT_PUBLIC_KEY: key.publicPem, NODE_ENV: 'production', LEDGER_SIGNING_KEY, LEDGER_ORIGIN: 'ledger.test' }),
    ).toBeNull();
    expect(
      refusal({ AUTH_JWT_PUBLIC_KEY: publicFile, NODE_ENV: 'production', LEDGER_SIGNING_KEY, LEDGER_ORIGIN: 'ledger.test' }),
    ).toBeNull();
    const t = await startTestApp({ env: { AUTH_JWT_PUBLIC_KEY: publicFile } });
    try {
      const signed = await new SignJWT({ roles: ['viewer'] })
        .setProtectedHeader({ alg: 'RS256' })
        .setSubject('oidc-2')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(key.privateKey);
      expect((await t.http().get('/api/v1/stats').set('Authorization', `Bearer ${signed}`)).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe('permit-cli token mints tokens the service accepts', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({});
  });
  afterAll(() => t.close());
  const env = (extra: Record<string, string> = {}) => ({ DATA_DIR: t.config.dataDir, AUTH_JWT_SECRET: TEST_SECRET, ...extra });
  const stats = (token: string) => t.http().get('/api/v1/stats').set('Authorization', `Bearer ${token}`);

  it('by default (12 h) and with a shorter --expires', async () => {
    expect((await stats(await cliToken({ roles: ['viewer'] }, env()))).status).toBe(200);
    expect((await stats(await cliToken({ roles: ['viewer'], expires: '5m' }, env()))).status).toBe(200);
  });

  it('refuses to mint beyond the bound, or a subject the service would refuse', async () => {
    await expect(cliToken({ roles: ['viewer'], expires: '13h' }, env())).rejects.toThrow(/AUTH_MAX_TOKEN_LIFETIME_SECONDS/);
    await expect(cliToken({ roles: ['viewer'], sub: 'viewer\u202E' }, env())).rejects.toThrow(/sub/);
  });

  it('keeps its default within a shorter configured bound', async () => {
    const token = await cliToken({ roles: ['viewer'] }, env({ AUTH_MAX_TOKEN_LIFETIME_SECONDS: '900' }));
    const { exp, iat } = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { exp: number; iat: number };
    expect(exp - iat).toBe(900);
  });
});
