import type { Role } from '@permit-ledger/config';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';

/** The roles that see a row's parties whole: names, addresses, business number, end use and items. */
export const PARTY_READERS: readonly Role[] = ['auditor', 'officer', 'minister'];

/** By the caller's roles, not the one the guard picked: a token with viewer and officer sees what an officer sees. */
export const seesParties = (req: AuthenticatedRequest): boolean =>
  req.caller?.roles.some((role) => PARTY_READERS.includes(role as Role)) ?? false;
