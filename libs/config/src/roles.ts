/** The roles a token can carry. */
export const ROLES = ['officer', 'minister', 'auditor', 'viewer', 'system'] as const;
export type Role = (typeof ROLES)[number];

/** The roles that may read permits, destinations and decisions. */
export const READERS: Role[] = ['viewer', 'auditor', 'officer', 'minister'];
