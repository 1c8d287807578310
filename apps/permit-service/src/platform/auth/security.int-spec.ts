import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK } from 'jose';
import { ConfigError, loadConfig } from '@permit-ledger/config';
import { permitBody, suspendBody } from '../../testing/bodies.js';
import { CapturingLogger } from '../../testing/capturing-logger.js';
import { startTestApp, TEST_SECRET, type TestApp } from '../../testing/test-app.js';

const ISSUER = 'https://idp.example.test/realms/gac';
const AUDIENCE = 'permit-ledger';

type Alg = 'RS256' | 'ES256';
async function keyPair(alg: Alg, kid: string | undefined) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const sign = (claims: { sub?: string; roles?: unknown; iss?: string; aud?: string; exp?: number | string } = {}) =>
    new SignJWT({ roles: claims.roles ?? ['viewer'] })
      .setProtectedHeader(kid ? { alg, kid } : { alg })
      .setSubject(claims.sub ?? 'oidc-user')
      .setIssuer(claims.iss ?? ISSUER)
      .setAudience(claims.aud ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(claims.exp ?? '5m')
      .sign(privateKey);
  return { jwk, sign, publicKey };
}

describe('production identity: RS256/ES256 from a JWKS URL or a PEM key, iss/aud, skew, rotation', () => {
  let jwksServer: Server;
  let served: JWK[] = [];
  let fetches = 0;
  let t: TestApp;
  let k1: Awaited<ReturnType<typeof keyPair>>;
  let k2: Awaited<ReturnType<typeof keyPair>>;
  let pemKey: Awaited<ReturnType<typeof keyPair>>;

  beforeAll(async () => {
    [k1, k2, pemKey] = await Promise.all([keyPair('RS256', 'k1'), keyPair('ES256', 'k2'), keyPair('ES256', undefined)]);
    served = [k1.jwk];
    // A local key server on loopback, as an OIDC provider's JWKS endpoint.
    jwksServer = createServer((_req, res) => {
      fetches++;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ keys: served }));
    });
    await new Promise<void>((ok) => jwksServer.listen(0, '127.0.0.1', ok));
    const { port } = jwksServer.address() as { port: number };
    const spki = await exportSPKI(pemKey.publicKey);
    t = await startTestApp({
      env: {
        AUTH_JWKS_URL: `http://127.0.0.1:${port}/certs`,
        AUTH_JWKS_COOLDOWN_MS: '0',
        AUTH_JWT_PUBLIC_KEY: spki,
        AUTH_JWT_ISSUER: ISSUER,
        AUTH_JWT_AUDIENCE: AUDIENCE,
        AUTH_CLOCK_SKEW_SECONDS: '30',
      },
    });
  });
  afterAll(async () => {
    await t.close();
    await new Promise((ok) => jwksServer.close(ok));
  });

  const stats = (token: string) => t.http().get('/api/v1/stats').set('Authorization', `Bearer ${token}`);

  it('accepts an RS256 token whose key comes from the JWKS, and caches the keys', async () => {
    expect((await stats(await k1.sign())).status).toBe(200);
    const before = fetches;
    expect((await stats(await k1.sign())).status).toBe(200);
    expect(fetches).toBe(before);
  });

  it('accepts an ES256 token checked with the configured PEM public key', async () => {
    expect((await stats(await pemKey.sign())).status).toBe(200);
  });

  it('refuses a wrong issuer, a wrong audience, an expired token beyond the skew; tolerates the skew', async () => {
    expect((await stats(await k1.sign({ iss: 'https://evil.example.test' }))).body.detail).toMatch(/iss/);
    expect((await stats(await k1.sign({ aud: 'another-api' }))).status).toBe(401);
    const now = Math.floor(Date.now() / 1000);
    expect((await stats(await k1.sign({ exp: now - 120 }))).status).toBe(401);
    expect((await stats(await k1.sign({ exp: now - 10 }))).status).toBe(200);
  });

  it('refetches the JWKS on an unknown kid: a rotated key is accepted without a restart', async () => {
    served = [k2.jwk];
    const before = fetches;
    expect((await stats(await k2.sign())).status).toBe(200);
    expect(fetches).toBeGreaterThan(before);
    // A kid the provider never published stays refused.
    const stranger = await keyPair('RS256', 'k9');
    expect((await stats(await stranger.sign())).status).toBe(401);
  });

  it('keeps HS256 for local tokens and refuses alg none', async () => {
    expect((await stats(await t.token('viewer'))).status).toBe(200);
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x","roles":["viewer"]}').toString('base64url')}.`;
    expect((await stats(none)).status).toBe(401);
  });
});

describe('production mode refuses to start without a proper key', () => {
  const LEDGER_SIGNING_KEY = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const base = { NODE_ENV: 'production', DATA_DIR: '/tmp/permit-ledger-never-created', LEDGER_SIGNING_KEY, LEDGER_ORIGIN: 'ledger.test' };
  const refusal = (env: Record<string, string>) => {
    try {
      loadConfig({ ...base, ...env });
      return null;
    } catch (error) {
      return error instanceof ConfigError ? error.variable : String(error);
    }
  };

  it('refuses no verification key at all, and an HS256 secret under 32 bytes', () => {
    expect(refusal({})).toBe('AUTH_JWT_SECRET');
    expect(refusal({ AUTH_JWT_SECRET: 'short-secret' })).toBe('AUTH_JWT_SECRET');
    expect(refusal({ AUTH_JWKS_URL: 'not a url' })).toBe('AUTH_JWKS_URL');
  });

  it('starts with a 32-byte secret, a JWKS URL or a PEM key', () => {
    expect(refusal({ AUTH_JWT_SECRET: 'x'.repeat(32) })).toBeNull();
    expect(refusal({ AUTH_JWKS_URL: 'https://idp.example.test/certs' })).toBeNull();
    // A real key: a garbled PEM is refused at start (tokens.int-spec.ts).
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(refusal({ AUTH_JWT_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString() })).toBeNull();
  });
});

describe('limits, headers and logs', () => {
  const logger = new CapturingLogger();
  let t: TestApp;
  let minute = new Date('2026-01-01T10:00:10Z');

  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '3' }, clock: () => minute, logger });
  });
  afterAll(() => t.close());

  it('limits commands per subject: the 4th in a minute is 429 with Retry-After; reads and other subjects are not limited', async () => {
    const officer = await t.token('officer', 'busy-officer');
    const issue = (n: string) => t.http().post('/api/v1/permits').set('Authorization', `Bearer ${officer}`).send(permitBody(n));
    expect((await issue('EXP-19-000001')).status).toBe(201);
    expect((await issue('EXP-19-000002')).status).toBe(201);
    expect((await issue('EXP-19-000003')).status).toBe(201);
    const limited = await issue('EXP-19-000004');
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/problem\+json/);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBe(50);
    expect((await t.http().get('/api/v1/stats').set('Authorization', `Bearer ${officer}`)).status).toBe(200);
    const other = await t.token('officer', 'other-officer');
    expect((await t.http().post('/api/v1/permits').set('Authorization', `Bearer ${other}`).send(permitBody('EXP-19-000005'))).status).toBe(
      201,
    );
    minute = new Date('2026-01-01T10:01:00Z');
    expect((await issue('EXP-19-000006')).status).toBe(201);
  });

  it('sends security headers and keeps CORS closed', async () => {
    const res = await t.http().get('/health/live').set('Origin', 'https://somewhere.example');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['content-security-policy']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await t
      .http()
      .options('/api/v1/permits')
      .set('Origin', 'https://somewhere.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('logs every 401 and 403 with subject, route and reason, and never a token, a secret or a body', async () => {
    const officer = await t.token('officer', 'officer-42');
    const body = suspendBody('2020-10-05', { reason: 'Anadolu UAV Systems diverted sensors' });
    await t.http().post('/api/v1/permits/EXP-19-000001/suspend').set('Authorization', `Bearer ${officer}`).send(body);
    await t.http().post('/api/v1/permits/EXP-19-000001/suspend').set('Authorization', 'Bearer not.a.token').send(body);
    await t.http().post('/api/v1/permits').send(permitBody('EXP-19-000009'));
    const all = logger.lines.join('\n');
    expect(all).toMatch(/403 POST \/api\/v1\/permits\/:permitNumber\/suspend: subject officer-42/);
    expect(all).toMatch(/401 POST \/api\/v1\/permits\/:permitNumber\/suspend: /);
    expect(all).toMatch(/401 POST \/api\/v1\/permits: no bearer token/);
    for (const secret of [officer, 'not.a.token', TEST_SECRET, 'Anadolu', 'Northfield', 'diverted']) expect(all).not.toContain(secret);
  });
});
