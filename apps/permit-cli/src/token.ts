import { decodeJwt } from 'jose';
import { ROLES, type Role, DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, signToken, loadConfig, localSecret } from '@permit-ledger/config';

/**
 * A token for local use, signed with the same secret the service uses. Its lifetime stays within the
 * service's bound (AUTH_MAX_TOKEN_LIFETIME_SECONDS): the default is 12 h or the bound if shorter, and a
 * longer --expires is refused here rather than minting a token the service would refuse.
 */
export async function token(
  options: { roles: string[]; sub?: string; expires?: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  if (options.roles.length === 0) throw new Error(`--role is required (one of ${ROLES.join(', ')})`);
  const unknown = options.roles.filter((r) => !ROLES.includes(r as Role));
  if (unknown.length) throw new Error(`unknown role ${unknown.join(', ')} (roles: ${ROLES.join(', ')})`);
  const config = loadConfig(env);
  const max = config.maxTokenLifetimeSeconds;
  const signed = await signToken({ sub: options.sub ?? `local-${options.roles[0]}`, roles: options.roles }, localSecret(config), {
    expiresIn: options.expires ?? Math.min(DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, max),
  });
  const { exp, iat } = decodeJwt(signed);
  if (exp! - iat! > max)
    throw new Error(`--expires ${options.expires} is longer than the service accepts: at most ${max} s (AUTH_MAX_TOKEN_LIFETIME_SECONDS)`);
  return signed;
}
