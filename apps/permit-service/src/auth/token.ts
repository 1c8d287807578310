import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  SignJWT,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';

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
}

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
    const skew = { clockTolerance: this.options.clockSkewSeconds ?? 30 };
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
      // Without `exp` the token is not cached at all.
      return { caller: caller(payload), expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : 0 };
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      if (error instanceof errors.JWTExpired) throw new InvalidTokenError('token expired');
      if (error instanceof errors.JWTClaimValidationFailed) throw new InvalidTokenError(`token claim ${error.claim} rejected`);
      if (error instanceof errors.JOSEError) throw new InvalidTokenError(`invalid token (${error.code})`);
      throw error;
    }
  }
}

function caller(payload: JWTPayload): Caller {
  const roles = payload.roles;
  if (typeof payload.sub !== 'string' || payload.sub === '') throw new InvalidTokenError('token has no subject');
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) {
    throw new InvalidTokenError('token has no roles claim (an array of role names)');
  }
  return { sub: payload.sub, roles };
}

function loadPublicKey(pemOrPath: string): { key: KeyObject; alg: 'RS256' | 'ES256' } {
  const pem = pemOrPath.includes('-----BEGIN') ? pemOrPath : existsSync(pemOrPath) ? readFileSync(pemOrPath, 'utf8') : pemOrPath;
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType === 'rsa') return { key, alg: 'RS256' };
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return { key, alg: 'ES256' };
  throw new Error(`an RSA or P-256 EC public key is required, got ${key.asymmetricKeyType}`);
}

/** HS256 tokens for local use and tests (`npm run token`). */
export async function signToken(
  caller: Caller,
  secret: string,
  options: { expiresIn?: string; issuedAt?: Date } = {},
): Promise<string> {
  return new SignJWT({ roles: caller.roles })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(caller.sub)
    .setIssuedAt(options.issuedAt)
    .setExpirationTime(options.expiresIn ?? '12h')
    .sign(encoder.encode(secret));
}
