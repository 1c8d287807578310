import { SetMetadata } from '@nestjs/common';
import type { Role } from '@permit-ledger/config';

const ROLES_KEY = 'permit-ledger:roles';
const PUBLIC_KEY = 'permit-ledger:public';

/** The roles that may call a route; the first of the caller's roles found here becomes the event's actor role. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
/** Routes without a token (liveness and readiness probes). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

export const metadataKeys = { roles: ROLES_KEY, public: PUBLIC_KEY };
