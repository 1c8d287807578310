import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface AppConfig {
  port: number;
  dataDir: string;
  production: boolean;
  jwtSecret: string;
  /** Bound of every read-your-writes wait (X-Min-Position). */
  minPositionWaitMs: number;
  /** Retries of a command whose stream moved under it (only without If-Match). */
  conflictRetries: number;
  /** Run the expiry scheduler (at start and daily). */
  expiryScheduler: boolean;
  /** When set, EventStoreDB / KurrentDB is the store of record instead of the embedded SQLite file. */
  eventStoreConnectionString: string | null;
  /** Ed25519 private key (PEM, or a path to one) that signs ledger anchors; unsigned anchors without it. */
  ledgerSigningKey: string | null;
  /** Chained events between two anchors. */
  anchorEvery: number;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

const SECRET_FILE = 'auth-jwt-secret';

/**
 * Outside production, a missing AUTH_JWT_SECRET is generated once and kept in DATA_DIR,
 * so the service and `npm run token` agree without any setup.
 */
export function loadOrCreateJwtSecret(dataDir: string): string {
  const file = join(dataDir, SECRET_FILE);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  return secret;
}

function intVar(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function eventStoreConnectionString(raw: string | undefined): string | null {
  if (!raw) return null;
  if (!/^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover|kdb|kdb\+discover):\/\//.test(raw)) {
    throw new ConfigError('EVENTSTORE_CONNECTION_STRING', 'must be an esdb:// or esdb+discover:// connection string');
  }
  return raw;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const production = env.NODE_ENV === 'production';
  const dataDir = resolve(env.DATA_DIR || './data');
  let jwtSecret = env.AUTH_JWT_SECRET ?? '';
  if (!jwtSecret) {
    if (production) throw new ConfigError('AUTH_JWT_SECRET', 'is required when NODE_ENV=production');
    jwtSecret = loadOrCreateJwtSecret(dataDir);
  }
  return {
    port: intVar(env, 'PORT', 3000, 0, 65535),
    dataDir,
    production,
    jwtSecret,
    minPositionWaitMs: intVar(env, 'MIN_POSITION_WAIT_MS', 2000, 0, 60000),
    conflictRetries: intVar(env, 'COMMAND_CONFLICT_RETRIES', 5, 0, 100),
    expiryScheduler: env.EXPIRY_SCHEDULER !== 'off',
    eventStoreConnectionString: eventStoreConnectionString(env.EVENTSTORE_CONNECTION_STRING),
    ledgerSigningKey: env.LEDGER_SIGNING_KEY || null,
    anchorEvery: intVar(env, 'LEDGER_ANCHOR_EVERY', 1000, 1, 10_000_000),
  };
}
