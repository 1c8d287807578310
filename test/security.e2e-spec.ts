import { describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, MAIN, Service } from './support/service.js';

describe('the built service in production mode', () => {
  const ledgerKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const start = (env: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'permit-ledger-prod-'));
    const { EVENTSTORE_CONNECTION_STRING: _, AUTH_JWT_SECRET: __, DEV_LOGIN: ___, ...base } = process.env;
    const run = spawnSync(process.execPath, [MAIN], {
      env: {
        ...base,
        NODE_ENV: 'production',
        DATA_DIR: dir,
        PORT: '0',
        LEDGER_SIGNING_KEY: ledgerKey,
        LEDGER_ORIGIN: 'ledger.test',
        ...env,
      },
      encoding: 'utf8',
      // A service that wrongly starts is stopped at once, so the case fails rather than waiting on a shutdown.
      timeout: 10_000,
      killSignal: 'SIGKILL',
    });
    rmSync(dir, { recursive: true, force: true });
    return run;
  };

  it('refuses to start without a verification key, naming the variable', () => {
    const run = start({});
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/bad configuration: AUTH_JWT_SECRET: a verification key is required/);
  });

  it('names any bad variable and exits before starting', () => {
    for (const [name, value] of [
      ['PORT', 'eighty'],
      ['LOG_LEVEL', 'chatty'],
      ['RATE_LIMIT_PER_MINUTE', '-1'],
      ['EVENTSTORE_CONNECTION_STRING', 'mysql://x'],
    ]) {
      const run = start({ AUTH_JWT_SECRET: 'x'.repeat(32), [name]: value });
      expect({ name, status: run.status, named: run.stderr.includes(`bad configuration: ${name}:`) }).toEqual({
        name,
        status: 2,
        named: true,
      });
    }
  });

  it('refuses to start without LEDGER_ORIGIN (the name auditors hold the verifier key under), naming it', () => {
    const run = start({ AUTH_JWT_SECRET: 'x'.repeat(32), LEDGER_ORIGIN: '' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/bad configuration: LEDGER_ORIGIN: .*required when NODE_ENV=production/);
  });

  it('refuses an HS256 secret shorter than 32 bytes', () => {
    const run = start({ AUTH_JWT_SECRET: 'too-short' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/AUTH_JWT_SECRET: must be at least 32 bytes/);
    expect(run.stderr).not.toContain('too-short');
  });

  it('refuses the dev login, naming DEV_LOGIN', () => {
    const run = start({ AUTH_JWT_SECRET: 'x'.repeat(32), DEV_LOGIN: 'on' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/bad configuration: DEV_LOGIN: must not be on when NODE_ENV=production/);
  });

  it('refuses keys that cannot be what they claim, naming the variable and never printing the key', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const body = (pem: string) => pem.split('\n')[1];
    for (const [env, name, secret] of [
      [{ AUTH_JWT_SECRET: publicPem }, 'AUTH_JWT_SECRET', body(publicPem)],
      [{ AUTH_JWT_PUBLIC_KEY: privatePem }, 'AUTH_JWT_PUBLIC_KEY', body(privatePem)],
      [{ AUTH_JWT_PUBLIC_KEY: '/nonexistent/jwt-public.pem' }, 'AUTH_JWT_PUBLIC_KEY', 'never printed'],
    ] as Array<[Record<string, string>, string, string]>) {
      const run = start(env);
      expect({
        name,
        status: run.status,
        named: run.stderr.includes(`bad configuration: ${name}:`),
        leaked: run.stderr.includes(secret),
      }).toEqual({
        name,
        status: 2,
        named: true,
        leaked: false,
      });
    }
  });
});

describe("the built service's dev login", () => {
  it("is there on a fresh clone (nothing configured, no NODE_ENV: README's npm start), with a warning", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'permit-ledger-fresh-'));
    const { EVENTSTORE_CONNECTION_STRING: _, AUTH_JWT_SECRET: __, DEV_LOGIN: ___, NODE_ENV: ____, ...base } = process.env;
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      env: { ...base, DATA_DIR: dir, PORT: String(port), EXPIRY_SCHEDULER: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
    try {
      const url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 30_000;
      while (
        (await fetch(`${url}/health/ready`).then(
          (r) => r.status,
          () => 0,
        )) !== 200
      ) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`service did not start: ${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const res = await fetch(`${url}/api/v1/dev/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"role":"viewer"}',
      });
      expect(res.status).toBe(200);
      const { token } = (await res.json()) as { token: string };
      expect((await fetch(`${url}/api/v1/stats`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
      expect(output).toMatch(/dev login is on/);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not exist where a secret is configured and NODE_ENV is not production', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'permit-ledger-staging-'));
    const service = new Service(dir, await freePort());
    try {
      await service.start();
      const res = await fetch(`${service.url}/api/v1/dev/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"role":"minister"}',
      });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { code: string }).code).toBe('ROUTE_NOT_FOUND');
      expect(service.output).not.toMatch(/dev login is on/);
    } finally {
      await service.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
