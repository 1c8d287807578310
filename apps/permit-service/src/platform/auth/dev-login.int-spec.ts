import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '@permit-ledger/config';
import { CapturingLogger } from '../../testing/capturing-logger.js';
import { startTestApp, type TestApp } from '../../testing/test-app.js';

/**
 * The dev login mints a token for any role, so it exists only where nobody configured a key: a fresh
 * clone, whose secret the service generated itself. Anything configured turns it off unless DEV_LOGIN=on
 * says otherwise, and production refuses DEV_LOGIN=on. What NODE_ENV spells never turns it on.
 */

const rsaPublicPem = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

const ledgerKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/** Starts the app with `env` over startTestApp's own (which configures AUTH_JWT_SECRET; '' removes it). */
async function withApp<T>(env: Record<string, string | undefined>, run: (t: TestApp, logger: CapturingLogger) => Promise<T>): Promise<T> {
  const logger = new CapturingLogger();
  // "Production" is production: the ledger key and origin it requires.
  const t = await startTestApp({ env: { LEDGER_SIGNING_KEY: ledgerKey, LEDGER_ORIGIN: 'ledger.test', ...env }, logger });
  try {
    return await run(t, logger);
  } finally {
    await t.close();
  }
}

const devLogin = (t: TestApp, body: unknown) =>
  t
    .http()
    .post('/api/v1/dev/token')
    .send(body as object);

describe('the dev login on a fresh clone (nothing configured: the service generated its own secret)', () => {
  it('answers a token the service accepts, warns at start, and is documented', () =>
    withApp({ AUTH_JWT_SECRET: undefined }, async (t, logger) => {
      expect(t.config.devLogin).toBe(true);
      const res = await devLogin(t, { role: 'auditor' });
      expect(res.status).toBe(200);
      const stats = await t.http().get('/api/v1/stats').set('Authorization', `Bearer ${res.body.token}`);
      expect(stats.status).toBe(200);
      expect(logger.lines.join('\n')).toMatch(/dev login is on.*DEV_LOGIN/i);
      const docs = await t.http().get('/docs-json');
      expect(Object.keys(docs.body.paths)).toContain('/api/v1/dev/token');
    }));

  it('still validates its body when on', () =>
    withApp({ AUTH_JWT_SECRET: undefined }, async (t) => {
      const res = await devLogin(t, { role: 'emperor' });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }));

  it('is off with DEV_LOGIN=off', () =>
    withApp({ AUTH_JWT_SECRET: undefined, DEV_LOGIN: 'off' }, async (t) => {
      expect((await devLogin(t, { role: 'viewer' })).status).toBe(404);
    }));
});

describe('the dev login wherever a key is configured', () => {
  const minister = { role: 'minister', sub: 'dev-minister' };

  /** Every answer of the route is the one of a route that never existed, whatever the body. */
  async function expectAbsent(t: TestApp, logger: CapturingLogger) {
    for (const body of [minister, { role: 'emperor' }, {}, 'not json', []]) {
      const dev = await devLogin(t, body);
      const never = await t
        .http()
        .post('/api/v1/no-such-route')
        .send(body as object);
      expect({ body, status: dev.status, code: dev.body.code, type: dev.headers['content-type'] }).toEqual({
        body,
        status: never.status,
        code: never.body.code,
        type: never.headers['content-type'],
      });
    }
    const res = await devLogin(t, minister);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('ROUTE_NOT_FOUND');
    expect(res.body.token).toBeUndefined();
    const docs = await t.http().get('/docs-json');
    expect(Object.keys(docs.body.paths)).not.toContain('/api/v1/dev/token');
    expect(logger.lines.join('\n')).not.toMatch(/dev login is on/i);
    expect(t.config.devLogin).toBe(false);
  }

  // A configured secret under any NODE_ENV that is not exactly "production": each once minted minister tokens.
  for (const nodeEnv of [undefined, 'staging', 'prod', 'Production', 'test', 'development']) {
    it(`does not exist with AUTH_JWT_SECRET and NODE_ENV=${nodeEnv ?? '(unset)'}`, () =>
      withApp(nodeEnv === undefined ? {} : { NODE_ENV: nodeEnv }, expectAbsent));
  }

  it('does not exist with AUTH_JWT_PUBLIC_KEY', () =>
    withApp({ AUTH_JWT_SECRET: undefined, AUTH_JWT_PUBLIC_KEY: rsaPublicPem() }, expectAbsent));

  it('does not exist with AUTH_JWKS_URL', () =>
    withApp({ AUTH_JWT_SECRET: undefined, AUTH_JWKS_URL: 'http://127.0.0.1:9/certs' }, expectAbsent));

  it('exists with DEV_LOGIN=on outside production, signed with the configured secret, and warns', () =>
    withApp({ DEV_LOGIN: 'on', NODE_ENV: 'staging' }, async (t, logger) => {
      const res = await devLogin(t, minister);
      expect(res.status).toBe(200);
      const stats = await t.http().get('/api/v1/stats').set('Authorization', `Bearer ${res.body.token}`);
      expect(stats.status).toBe(200);
      expect(logger.lines.join('\n')).toMatch(/dev login is on/i);
    }));
});

describe('DEV_LOGIN at start', () => {
  const refusal = (env: Record<string, string>) => {
    try {
      loadConfig({ DATA_DIR: '/tmp/permit-ledger-never-created', AUTH_JWT_SECRET: 'x'.repeat(32), ...env });
      return null;
    } catch (error) {
      return error instanceof ConfigError ? error.variable : String(error);
    }
  };

  it('refuses an AUTH_JWT_SECRET that is set but empty (a template left unfilled), whatever NODE_ENV says', () => {
    expect(refusal({ AUTH_JWT_SECRET: '' })).toBe('AUTH_JWT_SECRET');
    expect(refusal({ AUTH_JWT_SECRET: '   ', NODE_ENV: 'staging' })).toBe('AUTH_JWT_SECRET');
  });

  it('generates no secret of its own where a public key is configured (no HS256 beside RS256)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'permit-ledger-nosecret-'));
    try {
      const config = loadConfig({ DATA_DIR: dir, AUTH_JWT_PUBLIC_KEY: rsaPublicPem(), NODE_ENV: 'staging' });
      expect(config.jwtSecret).toBeNull();
      expect(existsSync(join(dir, 'auth-jwt-secret'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses DEV_LOGIN=on with NODE_ENV=production, naming the variable', () => {
    expect(refusal({ NODE_ENV: 'production', DEV_LOGIN: 'on' })).toBe('DEV_LOGIN');
    expect(refusal({ NODE_ENV: 'Production', DEV_LOGIN: 'on' })).toBe('DEV_LOGIN');
    const LEDGER_SIGNING_KEY = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(refusal({ NODE_ENV: 'production', DEV_LOGIN: 'off', LEDGER_SIGNING_KEY, LEDGER_ORIGIN: 'ledger.test' })).toBeNull();
    expect(refusal({ NODE_ENV: 'production', LEDGER_SIGNING_KEY, LEDGER_ORIGIN: 'ledger.test' })).toBeNull();
  });

  it('refuses any value but on and off', () => {
    for (const value of ['yes', 'true', '1', 'ON', ' on']) expect(refusal({ DEV_LOGIN: value })).toBe('DEV_LOGIN');
  });
});
