/** The service's only source of "now": injected so tests can fix time. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();
