import { ROLES, type Role } from '../../permit-service/src/auth/roles.js';
import { signToken } from '../../permit-service/src/auth/token.js';
import { loadConfig, localSecret } from '../../permit-service/src/config/config.js';

/** A token for local use, signed with the same secret the service uses. */
export async function token(options: { roles: string[]; sub?: string; expires?: string }): Promise<string> {
  if (options.roles.length === 0) throw new Error(`--role is required (one of ${ROLES.join(', ')})`);
  const unknown = options.roles.filter((r) => !ROLES.includes(r as Role));
  if (unknown.length) throw new Error(`unknown role ${unknown.join(', ')} (roles: ${ROLES.join(', ')})`);
  const config = loadConfig();
  return signToken({ sub: options.sub ?? `local-${options.roles[0]}`, roles: options.roles }, localSecret(config), {
    expiresIn: options.expires ?? '12h',
  });
}
