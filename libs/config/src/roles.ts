/** The roles a token can carry; `customs` is the border agency's system, which declares shipments and reads nothing. */
export const ROLES = ['officer', 'minister', 'auditor', 'viewer', 'system', 'customs'] as const;
export type Role = (typeof ROLES)[number];

/** The roles that may read permits, destinations and decisions. */
export const READERS: Role[] = ['viewer', 'auditor', 'officer', 'minister'];
