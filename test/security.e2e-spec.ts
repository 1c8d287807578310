import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAIN } from './support/service.js';

describe('the built service in production mode', () => {
  const start = (env: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'permit-ledger-prod-'));
    const { EVENTSTORE_CONNECTION_STRING: _, AUTH_JWT_SECRET: __, ...base } = process.env;
    const run = spawnSync(process.execPath, [MAIN], {
      env: { ...base, NODE_ENV: 'production', DATA_DIR: dir, PORT: '0', ...env },
      encoding: 'utf8',
      timeout: 10_000,
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
    for (const [name, value] of [['PORT', 'eighty'], ['LOG_LEVEL', 'chatty'], ['RATE_LIMIT_PER_MINUTE', '-1'], ['EVENTSTORE_CONNECTION_STRING', 'mysql://x']]) {
      const run = start({ AUTH_JWT_SECRET: 'x'.repeat(32), [name]: value });
      expect({ name, status: run.status, named: run.stderr.includes(`bad configuration: ${name}:`) }).toEqual({ name, status: 2, named: true });
    }
  });

  it('refuses an HS256 secret shorter than 32 bytes', () => {
    const run = start({ AUTH_JWT_SECRET: 'too-short' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/AUTH_JWT_SECRET: must be at least 32 bytes/);
    expect(run.stderr).not.toContain('too-short');
  });
});
