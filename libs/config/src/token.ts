import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';

export interface Caller {
  sub: string;
  roles: string[];
}

export class InvalidTokenError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'InvalidTokenError';
  }
}

/** How tokens are checked: any mix of an HS256 secret, a PEM public key and a JWKS URL. */
export interface TokenVerification {
  /** HS256 shared secret (single machine). */
  secret?: string;
  /** RS256 / ES256 public key in PEM (text, or a path to a PEM file). */
  publicKeyPem?: string;
  /** An OIDC provider's JWKS endpoint: keys cached, refetched on an unknown `kid`. */
  jwksUrl?: string;
  /** Minimum time between two JWKS fetches (jose's cooldown). */
  jwksCooldownMs?: number;
  issuer?: string;
  audience?: string;
  clockSkewSeconds?: number;
  /** Longest lifetime a token may claim: `exp` at most this far beyond now, and beyond `iat` when set. */
  maxLifetimeSeconds?: number;
}

/** Default bound of a token's lifetime: a working day (an OIDC provider's tokens live minutes). */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 12 * 3600;
/** Longest subject accepted: it is written into every event as the actor id. */
export const MAX_SUBJECT_LENGTH = 200;

const encoder = new TextEncoder();
const ASYMMETRIC = ['RS256', 'ES256'] as const;
/** A verified token is trusted again without re-checking its signature for at most this long. */
const CACHE_MS = 60_000;
const CACHE_SIZE = 10_000;

/** Verifies bearer tokens. Only HS256, RS256 and ES256 are accepted, so `alg: none` never is. */
export class TokenVerifier {
  private readonly secret?: Uint8Array;
  private readonly publicKey?: { key: KeyObject; alg: 'RS256' | 'ES256' };
  private readonly jwks?: JWTVerifyGetKey;
  /** Token -> caller: an API client sends the same token with every command, and HS256/RS256 checks cost CPU. */
  private readonly verified = new Map<string, { caller: Caller; until: number }>();

  constructor(private readonly options: TokenVerification) {
    // A PEM as the HMAC secret would let anyone holding the public key sign HS256 tokens.
    if (options.secret && looksLikePem(options.secret)) throw new Error('the HS256 secret must not be a PEM key');
    if (options.secret) this.secret = encoder.encode(options.secret);
    if (options.publicKeyPem) this.publicKey = loadPublicKey(options.publicKeyPem);
    if (options.jwksUrl) {
      this.jwks = createRemoteJWKSet(new URL(options.jwksUrl), {
        cooldownDuration: options.jwksCooldownMs ?? 30_000,
        cacheMaxAge: 10 * 60_000,
      });
    }
  }

  async verify(token: string): Promise<Caller> {
    const hit = this.verified.get(token);
    if (hit && Date.now() < hit.until) return hit.caller;
    const { caller, expiresAt } = await this.verifyFully(token);
    if (this.verified.size >= CACHE_SIZE) this.verified.clear();
    this.verified.set(token, { caller, until: Math.min(expiresAt, Date.now() + CACHE_MS) });
    return caller;
  }

  private async verifyFully(token: string): Promise<{ caller: Caller; expiresAt: number }> {
    let header: { alg?: string; kid?: string };
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new InvalidTokenError('malformed token');
    }
    const { alg, kid } = header;
    const skewSeconds = this.options.clockSkewSeconds ?? 30;
    const skew = { clockTolerance: skewSeconds, requiredClaims: ['exp'] };
    // Issuer and audience are the OIDC provider's: they apply to RS256/ES256 tokens. Local HS256
    // tokens (`npm run token`) carry neither.
    const provider = { ...skew, issuer: this.options.issuer, audience: this.options.audience };
    const asymmetric = (ASYMMETRIC as readonly string[]).includes(alg ?? '');
    try {
      let payload: JWTPayload;
      if (alg === 'HS256' && this.secret) {
        ({ payload } = await jwtVerify(token, this.secret, { ...skew, algorithms: ['HS256'] }));
      } else if (asymmetric && this.jwks && (kid !== undefined || alg !== this.publicKey?.alg)) {
        // A token naming a key id is the provider's: its key comes from the JWKS.
        ({ payload } = await jwtVerify(token, this.jwks, { ...provider, algorithms: [...ASYMMETRIC] }));
      } else if (this.publicKey && alg === this.publicKey.alg) {
        ({ payload } = await jwtVerify(token, this.publicKey.key, { ...provider, algorithms: [this.publicKey.alg] }));
      } else {
        throw new InvalidTokenError(`token algorithm ${alg ?? 'none'} is not accepted`);
      }
      const expiresAt = checkLifetime(payload, skewSeconds, this.options.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS);
      return { caller: caller(payload), expiresAt };
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      if (error instanceof errors.JWTExpired) throw new InvalidTokenError('token expired');
      if (error instanceof errors.JWTClaimValidationFailed) {
        throw new InvalidTokenError(
          error.reason === 'missing' ? `token has no ${error.claim} claim` : `token claim ${error.claim} rejected`,
        );
      }
      if (error instanceof errors.JOSEError) throw new InvalidTokenError(`invalid token (${error.code})`);
      throw error;
    }
  }
}

/**
 * After the signature and jose's exp/nbf checks: a token must expire within the bound, counted from
 * now (so a token without `iat` cannot claim more) and from its `iat` when it has one (so an old token
 * cannot either), both with the clock skew's tolerance; an `iat` in the future is refused. Returns
 * the expiry in ms.
 */
function checkLifetime(payload: JWTPayload, skewSeconds: number, maxSeconds: number): number {
  const now = Math.floor(Date.now() / 1000);
  const { exp, iat } = payload;
  if (typeof exp !== 'number') throw new InvalidTokenError('token has no exp claim');
  if (exp - now > maxSeconds + skewSeconds) throw new InvalidTokenError(`token claim exp rejected: lifetime longer than ${maxSeconds} s`);
  if (iat !== undefined) {
    if (typeof iat !== 'number' || iat - now > skewSeconds) throw new InvalidTokenError('token claim iat rejected: issued in the future');
    if (exp - iat > maxSeconds + skewSeconds) throw new InvalidTokenError(`token claim exp rejected: lifetime longer than ${maxSeconds} s`);
  }
  return exp * 1000;
}

/**
 * Characters a subject may not hold: it becomes the actor id of the permanent ledger, and is shown to
 * auditors and written to logs. Controls (C0, DEL, C1), format characters (bidi embeddings, overrides
 * and isolates, LRM/RLM, zero-width, BOM), lone surrogates, private-use and unassigned code points, line
 * and paragraph separators, any whitespace but the plain space, default-ignorable code points (variation
 * selectors, fillers) and the blank fillers that render as nothing (U+2800, U+3164, U+115F, U+1160, U+FFA0).
 */
const UNSAFE_SUBJECT = /[\p{C}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u2800\u3164\u115F\u1160\uFFA0]|[^\S ]/u;
/** Combining marks in a row: a few are real (Vietnamese, Hebrew points); a stack is a way to hide a name. */
const STACKED_MARKS = /\p{M}{4,}/u;

/** Why a subject is refused, or null. */
export function subjectProblem(sub: unknown): string | null {
  if (typeof sub !== 'string' || sub === '') return 'token has no subject (sub)';
  if ([...sub].length > MAX_SUBJECT_LENGTH) return `token subject (sub) longer than ${MAX_SUBJECT_LENGTH} characters`;
  if (UNSAFE_SUBJECT.test(sub) || STACKED_MARKS.test(sub)) return 'token subject (sub) holds control, format or invisible characters';
  if (sub.startsWith(' ') || sub.endsWith(' ')) return 'token subject (sub) starts or ends with a space';
  return null;
}

function caller(payload: JWTPayload): Caller {
  const roles = payload.roles;
  const problem = subjectProblem(payload.sub);
  if (problem) throw new InvalidTokenError(problem);
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) {
    throw new InvalidTokenError('token has no roles claim (an array of role names)');
  }
  return { sub: payload.sub as string, roles };
}

export function looksLikePem(text: string): boolean {
  return text.includes('-----BEGIN');
}

/** The PEM text of AUTH_JWT_PUBLIC_KEY: the value itself when it is PEM, else the file it names (which must exist). */
export function readPublicKeyPem(pemOrPath: string): string {
  if (looksLikePem(pemOrPath)) return pemOrPath;
  if (!existsSync(pemOrPath)) throw new Error('is neither a PEM key nor the path of an existing file');
  return readFileSync(pemOrPath, 'utf8');
}

/**
 * The verification key of a PEM public key (or certificate). Refuses a private key: node would derive
 * its public half silently, and a private key has no business in a verifier's configuration.
 */
export function parsePublicKey(pem: string): { key: KeyObject; alg: 'RS256' | 'ES256' } {
  if (/PRIVATE KEY-----/.test(pem) || isPrivateKey(pem)) throw new Error('is a private key: give the public key only');
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new Error('is not a readable PEM public key');
  }
  if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) throw new Error(`is an RSA key of ${bits} bits: at least 2048 are required`);
    return { key, alg: 'RS256' };
  }
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return { key, alg: 'ES256' };
  throw new Error(`must be an RSA or P-256 EC public key, got ${key.asymmetricKeyType}`);
}

function isPrivateKey(pem: string): boolean {
  try {
    createPrivateKey(pem);
    return true;
  } catch {
    return false;
  }
}

function loadPublicKey(pemOrPath: string): { key: KeyObject; alg: 'RS256' | 'ES256' } {
  return parsePublicKey(readPublicKeyPem(pemOrPath));
}

/**
 * HS256 tokens for local use and tests (`npm run token`). A lifetime in seconds counts from `iat`
 * exactly (jose counts a "12h" from its own clock read). A subject the service would refuse throws.
 */
export async function signToken(
  caller: Caller,
  secret: string,
  options: { expiresIn?: string | number; issuedAt?: Date } = {},
): Promise<string> {
  const problem = subjectProblem(caller.sub);
  if (problem) throw new Error(problem);
  const iat = Math.floor((options.issuedAt ?? new Date()).getTime() / 1000);
  const lifetime = options.expiresIn ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  return new SignJWT({ roles: caller.roles })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(caller.sub)
    .setIssuedAt(iat)
    .setExpirationTime(typeof lifetime === 'number' ? iat + lifetime : lifetime)
    .sign(encoder.encode(secret));
}
