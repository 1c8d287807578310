import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { isValidKeyName, loadSigningKey, parseCosignatureVerifierKey, toClientConnectionString } from '@permit-ledger/event-store';
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, looksLikePem, parsePublicKey, readPublicKeyPem } from './token.js';

export interface AppConfig {
  port: number;
  dataDir: string;
  production: boolean;
  /** HS256 secret; outside production one is generated into DATA_DIR when unset. */
  jwtSecret: string | null;
  /** RS256 / ES256 verification: a PEM public key (read from its file when a path is given) and/or an OIDC provider's JWKS URL. */
  jwtPublicKey: string | null;
  jwksUrl: string | null;
  jwksCooldownMs: number;
  jwtIssuer: string | null;
  jwtAudience: string | null;
  clockSkewSeconds: number;
  /** Longest lifetime a token may claim (`exp` beyond now, and beyond `iat`). */
  maxTokenLifetimeSeconds: number;
  /** POST /api/v1/dev/token exists: on by itself only with a generated secret (nothing configured), else DEV_LOGIN=on; never in production. */
  devLogin: boolean;
  /** How far past this machine's "now" a command's effectiveAt may be (clients' clocks drift). */
  commandClockSkewSeconds: number;
  /** Commands per subject per minute. */
  rateLimitPerMinute: number;
  /** Per client address per minute: requests without a token other than reads, and requests whose token is refused. */
  anonymousRateLimitPerMinute: number;
  /** Per client address per minute: GET / HEAD without a token (the public documents, key and metrics). */
  publicRateLimitPerMinute: number;
  /** Proxy hops in front of the service whose X-Forwarded-For is trusted for the client address (0: the socket's). */
  trustProxy: number;
  /** Live SSE feeds open at once, per token subject and in all. */
  feedMaxPerSubject: number;
  feedMaxTotal: number;
  /** Whole-ledger verifications running at once, in all (one per subject). */
  ledgerVerifyMaxConcurrent: number;
  /** Ledger exports streaming at once, in all (one per subject). */
  ledgerExportMaxConcurrent: number;
  /** An export whose reader takes no more of it for this long is cut. */
  exportIdleTimeoutMs: number;
  /** Origins allowed by CORS; none (closed) when empty. */
  corsOrigins: string[];
  /** Longest a request may take, from its first byte to its answer. */
  requestTimeoutMs: number;
  /** Readiness fails when a projector is further than this many events behind the head. */
  healthMaxLag: number;
  /** pino level: trace, debug, info, warn, error, fatal, silent. */
  logLevel: string;
  /** Bound of every read-your-writes wait (X-Min-Position). */
  minPositionWaitMs: number;
  /** Retries of a command whose stream moved under it (only without If-Match). */
  conflictRetries: number;
  /** Events the command runner keeps parsed between commands (0: none kept). */
  commandCacheEvents: number;
  /** Run the expiry scheduler (at start and daily). */
  expiryScheduler: boolean;
  /**
   * When set, EventStoreDB / KurrentDB is the store of record instead of the embedded SQLite file;
   * already in the client's esdb:// form.
   */
  eventStoreConnectionString: string | null;
  /** Times an EventStoreDB call whose answer was lost is settled and tried again before the command answers 503. */
  eventStoreRetries: number;
  /**
   * The Ed25519 private key (PKCS#8 PEM text) that signs the ledger's checkpoints and anchors: LEDGER_SIGNING_KEY
   * (PEM, or a path to a PEM file). Required in production; elsewhere null when unset, and the service then uses
   * the key it generated once into DATA_DIR (loadOrCreateLedgerKey).
   */
  ledgerSigningKey: string | null;
  /** The checkpoints' origin line, also the signing key's note name (LEDGER_ORIGIN: required in production; elsewhere from the host name). */
  ledgerOrigin: string;
  /** A signed checkpoint follows new events within this many seconds (LEDGER_CHECKPOINT_SECONDS). */
  checkpointSeconds: number;
  /** Witnesses each checkpoint is pushed to (LEDGER_WITNESSES): their add-checkpoint URL and cosignature verifier key. */
  ledgerWitnesses: Array<{ url: string; verifierKey: string }>;
  /** Leaves a witness may lag behind the latest checkpoint before /health/ready is down (LEDGER_WITNESS_MAX_LAG); null: never. */
  ledgerWitnessMaxLag: number | null;
  /** Where permit status changes are POSTed for the border agency (CUSTOMS_WEBHOOK_URL); null: no notifications. */
  customsWebhookUrl: string | null;
  /** The HMAC-SHA256 key of the notifications' signature header (CUSTOMS_WEBHOOK_SECRET): required with the URL. */
  customsWebhookSecret: string | null;
  /** Per notification request (CUSTOMS_WEBHOOK_TIMEOUT_MS). */
  customsWebhookTimeoutMs: number;
  /** Longest pause between two attempts of one notification (CUSTOMS_WEBHOOK_MAX_BACKOFF_MS). */
  customsWebhookMaxBackoffMs: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
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

const LEDGER_KEY_FILE = 'ledger-signing-key.pem';

/**
 * Outside production, a missing LEDGER_SIGNING_KEY is generated once into DATA_DIR and reused, so the
 * checkpoints of one data directory are signed by one key across restarts. Returns the PEM text.
 */
export function loadOrCreateLedgerKey(dataDir: string): string {
  const file = join(dataDir, LEDGER_KEY_FILE);
  if (existsSync(file)) return readFileSync(file, 'utf8');
  mkdirSync(dataDir, { recursive: true });
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  try {
    writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process created it first: theirs is the key.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readFileSync(file, 'utf8');
  }
  return pem;
}

/** LEDGER_SIGNING_KEY as PEM text (inline, or read from the file it names), checked to be an Ed25519 private key. */
function ledgerKeyVar(env: NodeJS.ProcessEnv, production: boolean): string | null {
  const raw = env.LEDGER_SIGNING_KEY;
  if (raw === undefined || raw === '') {
    if (production)
      throw new ConfigError('LEDGER_SIGNING_KEY', 'an Ed25519 private key (PEM, or a path to one) is required when NODE_ENV=production');
    return null;
  }
  const pem = looksLikePem(raw) ? raw : existsSync(raw) ? readFileSync(raw, 'utf8') : null;
  if (pem === null) throw new ConfigError('LEDGER_SIGNING_KEY', 'is neither a PEM key nor the path of a readable file');
  try {
    loadSigningKey(pem);
  } catch (error) {
    throw new ConfigError(
      'LEDGER_SIGNING_KEY',
      `must be an Ed25519 private key in PEM (${(error as Error).message.replace(/^LEDGER_SIGNING_KEY /, '')})`,
    );
  }
  return pem;
}

/**
 * LEDGER_ORIGIN, the checkpoints' origin and the verifier key's name that auditors hold: required in production,
 * where a host name changes with every container and differs between replicas; elsewhere from the host name.
 */
function ledgerOriginVar(env: NodeJS.ProcessEnv, production: boolean): string {
  if (production && !env.LEDGER_ORIGIN?.trim())
    throw new ConfigError(
      'LEDGER_ORIGIN',
      "the checkpoints' origin (e.g. ledger.example.org/permits) is required when NODE_ENV=production",
    );
  const origin = env.LEDGER_ORIGIN || `permit-ledger.${hostname() || 'localhost'}`;
  if (!isValidKeyName(origin)) throw new ConfigError('LEDGER_ORIGIN', `must be a note key name (no spaces, no "+"), got "${origin}"`);
  return origin;
}

/** LEDGER_WITNESSES: `<url> <cosignature verifier key>` entries, comma-separated. */
function witnessesVar(env: NodeJS.ProcessEnv): Array<{ url: string; verifierKey: string }> {
  const entries = (env.LEDGER_WITNESSES ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  return entries.map((entry) => {
    const [url, verifierKey, ...rest] = entry.split(/\s+/);
    if (!verifierKey || rest.length > 0) throw new ConfigError('LEDGER_WITNESSES', `each entry is "<url> <verifier key>", got "${entry}"`);
    try {
      const parsed = new URL(url);
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('not http(s)');
    } catch {
      throw new ConfigError('LEDGER_WITNESSES', `must give an http(s) URL for each witness, got "${url}"`);
    }
    try {
      parseCosignatureVerifierKey(verifierKey);
    } catch (error) {
      throw new ConfigError('LEDGER_WITNESSES', `bad cosignature verifier key for ${url}: ${(error as Error).message}`);
    }
    return { url, verifierKey };
  });
}

/** CUSTOMS_WEBHOOK_URL and its secret: the secret is required with the URL, and must be 32 bytes or more. */
function customsWebhookVars(env: NodeJS.ProcessEnv): { url: string | null; secret: string | null } {
  const url = urlVar(env, 'CUSTOMS_WEBHOOK_URL');
  const secret = env.CUSTOMS_WEBHOOK_SECRET;
  if (url === null) return { url, secret: null };
  if (secret === undefined || secret.trim() === '')
    throw new ConfigError('CUSTOMS_WEBHOOK_SECRET', 'is required when CUSTOMS_WEBHOOK_URL is set (at least 32 bytes)');
  if (Buffer.byteLength(secret) < 32) throw new ConfigError('CUSTOMS_WEBHOOK_SECRET', 'must be at least 32 bytes');
  return { url, secret };
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

function logLevel(raw: string | undefined): string {
  const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
  if (!raw) return 'info';
  if (!levels.includes(raw)) throw new ConfigError('LOG_LEVEL', `must be one of ${levels.join(', ')}, got "${raw}"`);
  return raw;
}

function urlVar(env: NodeJS.ProcessEnv, name: string): string | null {
  const raw = env[name];
  if (!raw) return null;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)');
    return raw;
  } catch {
    throw new ConfigError(name, `must be an http(s) URL, got "${raw}"`);
  }
}

/** In the esdb:// form the 6.2.1 client parses (kurrentdb:// and the other KurrentDB schemes are rewritten). */
function eventStoreConnectionString(raw: string | undefined): string | null {
  if (!raw) return null;
  try {
    return toClientConnectionString(raw);
  } catch (error) {
    throw new ConfigError('EVENTSTORE_CONNECTION_STRING', (error as Error).message);
  }
}

/** AUTH_JWT_SECRET as configured: never a PEM (HS256 keyed with a public key is a forgery anyone can make), never short. */
function secretVar(env: NodeJS.ProcessEnv): string | null {
  const secret = env.AUTH_JWT_SECRET;
  if (secret === undefined) return null;
  // Set but empty (a template left unfilled) is a mistake, not "nothing configured": fail closed.
  if (secret.trim() === '') throw new ConfigError('AUTH_JWT_SECRET', 'is set but empty: give a secret of at least 32 bytes, or unset it');
  if (looksLikePem(secret)) {
    throw new ConfigError('AUTH_JWT_SECRET', 'is a PEM key: an HS256 secret is random bytes, and a public key goes in AUTH_JWT_PUBLIC_KEY');
  }
  if (Buffer.byteLength(secret) < 32) throw new ConfigError('AUTH_JWT_SECRET', 'must be at least 32 bytes');
  return secret;
}

/** AUTH_JWT_PUBLIC_KEY as PEM text (inline, or read from the file it names), checked to be a usable public key. */
function publicKeyVar(env: NodeJS.ProcessEnv): string | null {
  const raw = env.AUTH_JWT_PUBLIC_KEY;
  if (!raw) return null;
  try {
    const pem = readPublicKeyPem(raw);
    parsePublicKey(pem);
    return pem;
  } catch (error) {
    throw new ConfigError('AUTH_JWT_PUBLIC_KEY', (error as Error).message);
  }
}

/**
 * The dev login mints a token for any role without a credential. Left unset, it is on only where the
 * service generated its own secret (nothing configured: a throwaway local setup); DEV_LOGIN=on opts in
 * elsewhere, except in production.
 */
function devLoginVar(env: NodeJS.ProcessEnv, production: boolean, nothingConfigured: boolean): boolean {
  const raw = env.DEV_LOGIN;
  if (raw === undefined || raw === '') return nothingConfigured && !production;
  if (raw !== 'on' && raw !== 'off') throw new ConfigError('DEV_LOGIN', `must be "on" or "off", got "${raw}"`);
  if (raw === 'on' && production)
    throw new ConfigError('DEV_LOGIN', 'must not be on when NODE_ENV=production (it gives anyone a token for any role)');
  return raw === 'on';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // "Production" or " production" is production too: a security rule must not hang on a spelling.
  const production = env.NODE_ENV?.trim().toLowerCase() === 'production';
  const dataDir = resolve(env.DATA_DIR || './data');
  const jwtPublicKey = publicKeyVar(env);
  const jwksUrl = urlVar(env, 'AUTH_JWKS_URL');
  const configuredSecret = secretVar(env);
  const nothingConfigured = !configuredSecret && !jwtPublicKey && !jwksUrl;
  if (production && nothingConfigured) {
    throw new ConfigError(
      'AUTH_JWT_SECRET',
      'a verification key is required when NODE_ENV=production (AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY or AUTH_JWKS_URL)',
    );
  }
  // A secret of its own only for a throwaway local setup: where a public key or JWKS is configured, HS256
  // tokens signed with a generated file in DATA_DIR must not be accepted beside them.
  const jwtSecret = configuredSecret ?? (nothingConfigured && !production ? loadOrCreateJwtSecret(dataDir) : null);
  const devLogin = devLoginVar(env, production, nothingConfigured);
  const config: AppConfig = {
    port: intVar(env, 'PORT', 3000, 0, 65535),
    dataDir,
    production,
    jwtSecret,
    jwtPublicKey,
    jwksUrl,
    jwksCooldownMs: intVar(env, 'AUTH_JWKS_COOLDOWN_MS', 30_000, 0, 3_600_000),
    jwtIssuer: env.AUTH_JWT_ISSUER || null,
    jwtAudience: env.AUTH_JWT_AUDIENCE || null,
    clockSkewSeconds: intVar(env, 'AUTH_CLOCK_SKEW_SECONDS', 30, 0, 300),
    maxTokenLifetimeSeconds: intVar(env, 'AUTH_MAX_TOKEN_LIFETIME_SECONDS', DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, 60, 7 * 24 * 3600),
    devLogin,
    commandClockSkewSeconds: intVar(env, 'COMMAND_CLOCK_SKEW_SECONDS', 60, 0, 3600),
    rateLimitPerMinute: intVar(env, 'RATE_LIMIT_PER_MINUTE', 600, 1, 100_000_000),
    anonymousRateLimitPerMinute: intVar(env, 'ANONYMOUS_RATE_LIMIT_PER_MINUTE', 60, 1, 100_000_000),
    publicRateLimitPerMinute: intVar(env, 'PUBLIC_RATE_LIMIT_PER_MINUTE', 1200, 1, 100_000_000),
    trustProxy: intVar(env, 'TRUST_PROXY', 0, 0, 10),
    feedMaxPerSubject: intVar(env, 'FEED_MAX_PER_SUBJECT', 5, 1, 10_000),
    feedMaxTotal: intVar(env, 'FEED_MAX_TOTAL', 200, 1, 100_000),
    ledgerVerifyMaxConcurrent: intVar(env, 'LEDGER_VERIFY_MAX_CONCURRENT', 2, 1, 100),
    ledgerExportMaxConcurrent: intVar(env, 'LEDGER_EXPORT_MAX_CONCURRENT', 2, 1, 100),
    exportIdleTimeoutMs: intVar(env, 'EXPORT_IDLE_TIMEOUT_MS', 30_000, 100, 600_000),
    corsOrigins: (env.CORS_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    requestTimeoutMs: intVar(env, 'REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
    healthMaxLag: intVar(env, 'HEALTH_MAX_LAG', 1000, 0, 100_000_000),
    logLevel: logLevel(env.LOG_LEVEL),
    minPositionWaitMs: intVar(env, 'MIN_POSITION_WAIT_MS', 2000, 0, 60000),
    conflictRetries: intVar(env, 'COMMAND_CONFLICT_RETRIES', 5, 0, 100),
    commandCacheEvents: intVar(env, 'COMMAND_CACHE_EVENTS', 20_000, 0, 1_000_000),
    expiryScheduler: env.EXPIRY_SCHEDULER !== 'off',
    eventStoreConnectionString: eventStoreConnectionString(env.EVENTSTORE_CONNECTION_STRING),
    eventStoreRetries: intVar(env, 'EVENTSTORE_RETRIES', 5, 0, 20),
    // Set with the signing key, last.
    ledgerOrigin: '',
    checkpointSeconds: intVar(env, 'LEDGER_CHECKPOINT_SECONDS', 1, 1, 86_400),
    ledgerWitnesses: witnessesVar(env),
    ledgerWitnessMaxLag: env.LEDGER_WITNESS_MAX_LAG ? intVar(env, 'LEDGER_WITNESS_MAX_LAG', 0, 0, Number.MAX_SAFE_INTEGER) : null,
    customsWebhookUrl: null,
    customsWebhookSecret: null,
    customsWebhookTimeoutMs: intVar(env, 'CUSTOMS_WEBHOOK_TIMEOUT_MS', 10_000, 100, 600_000),
    customsWebhookMaxBackoffMs: intVar(env, 'CUSTOMS_WEBHOOK_MAX_BACKOFF_MS', 60_000, 10, 3_600_000),
    // Last: a missing key in production is named only once every other variable is right.
    ledgerSigningKey: null,
  };
  // Replaced by LEDGER_CHECKPOINT_SECONDS; still accepted (and checked) so that old deployments start.
  intVar(env, 'LEDGER_ANCHOR_EVERY', 1000, 1, 10_000_000);
  const customs = customsWebhookVars(env);
  config.customsWebhookUrl = customs.url;
  config.customsWebhookSecret = customs.secret;
  config.ledgerSigningKey = ledgerKeyVar(env, production);
  config.ledgerOrigin = ledgerOriginVar(env, production);
  return config;
}

/** The HS256 secret local tools sign with (`npm run token`, `permit-cli story`). */
export function localSecret(config: AppConfig = loadConfig()): string {
  if (!config.jwtSecret)
    throw new ConfigError('AUTH_JWT_SECRET', 'is needed to sign local tokens (this service verifies only public keys)');
  return config.jwtSecret;
}
