/** Stream names (domain.md "Streams"): `{category}-{id}`; the id may itself contain '-'. */
export const StreamCategory = {
  Permit: 'permit',
  Destination: 'destination',
  Decision: 'decision',
  Application: 'application',
} as const;
export type StreamCategory = (typeof StreamCategory)[keyof typeof StreamCategory];

export const permitStream = (permitNumber: string): string => `${StreamCategory.Permit}-${permitNumber}`;
/** `country` is an ISO 3166 alpha-2 code, e.g. "TR". */
export const destinationStream = (country: string): string => `${StreamCategory.Destination}-${country}`;
export const decisionStream = (decisionRef: string): string => `${StreamCategory.Decision}-${decisionRef}`;
export const applicationStream = (applicationRef: string): string => `${StreamCategory.Application}-${applicationRef}`;

function splitStream(stream: string): [string, string] {
  const dash = stream.indexOf('-');
  if (dash <= 0 || dash === stream.length - 1) throw new Error(`malformed stream name: "${stream}"`);
  return [stream.slice(0, dash), stream.slice(dash + 1)];
}

/** "permit-EXP-19-004120" -> "permit" (split at the first '-': categories never contain one). */
export const streamCategory = (stream: string): string => splitStream(stream)[0];

/** "permit-EXP-19-004120" -> "EXP-19-004120". */
export const streamId = (stream: string): string => splitStream(stream)[1];
