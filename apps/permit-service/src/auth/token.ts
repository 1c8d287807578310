import { SignJWT, jwtVerify, errors } from 'jose';

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

const encoder = new TextEncoder();

/** Verifies an HS256 bearer token: only HS256 is accepted, so `alg: none` and other algorithms are refused. */
export async function verifyToken(token: string, secret: string): Promise<Caller> {
  try {
    const { payload } = await jwtVerify(token, encoder.encode(secret), { algorithms: ['HS256'] });
    const roles = payload.roles;
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new InvalidTokenError('token has no subject');
    if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) {
      throw new InvalidTokenError('token has no roles claim (an array of role names)');
    }
    return { sub: payload.sub, roles };
  } catch (error) {
    if (error instanceof InvalidTokenError) throw error;
    if (error instanceof errors.JWTExpired) throw new InvalidTokenError('token expired');
    if (error instanceof errors.JOSEError) throw new InvalidTokenError(`invalid token (${error.code})`);
    throw error;
  }
}

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
