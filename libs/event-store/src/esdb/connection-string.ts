/**
 * KurrentDB connection strings for @eventstore/db-client 6.2.1.
 *
 * The 6.2.1 client parses only `esdb://` and `esdb+discover://`, while the KurrentDB documentation and
 * the current KurrentDB clients write `kurrentdb://` (and accept `kurrent://`, `kdb://` and their
 * `+discover` forms, with the same hosts and query). Until the client is replaced, those schemes are
 * rewritten onto the two it knows, and the result goes through the client's own parser, so a bad
 * string is refused when the configuration is read instead of when the store is first used.
 */
// Not re-exported by the package's index: reached by path, which the exact 6.2.1 pin keeps stable.
import { parseConnectionString } from '@eventstore/db-client/dist/Client/parseConnectionString.js';

const CLIENT_SCHEMES = new Map<string, 'esdb' | 'esdb+discover'>([
  ['kurrentdb', 'esdb'],
  ['kurrentdb+discover', 'esdb+discover'],
  ['kurrent', 'esdb'],
  ['kurrent+discover', 'esdb+discover'],
  ['kdb', 'esdb'],
  ['kdb+discover', 'esdb+discover'],
  ['esdb', 'esdb'],
  ['esdb+discover', 'esdb+discover'],
]);

const EXAMPLE = 'kurrentdb://localhost:2113?tls=false, or kurrentdb://node1:2113,node2:2113,node3:2113?tls=false for a cluster';

/** What the client's parser throws (its class is not exported). */
interface ClientParseError {
  location: [from: number, to: number];
  expected: string;
}

const isClientParseError = (error: unknown): error is ClientParseError =>
  typeof error === 'object' && error !== null && 'location' in error && 'expected' in error;

/**
 * The same connection string in a scheme the 6.2.1 client understands: `kurrentdb://`, `kurrent://`
 * and `kdb://` become `esdb://`, their `+discover` forms `esdb+discover://`; hosts and query are kept.
 * Throws an Error saying what to write instead for any other scheme, or for a string the client
 * cannot parse. Its message is meant to follow the name of the variable that held the string, and
 * does not repeat the string: it may hold a password.
 */
export function toClientConnectionString(raw: string): string {
  const value = raw.trim();
  // Case-sensitive, as the KurrentDB clients are: what passes here passes there.
  const scheme = /^([^:/?#]+):\/\//.exec(value)?.[1];
  const clientScheme = scheme === undefined ? undefined : CLIENT_SCHEMES.get(scheme);
  if (!clientScheme) {
    const schemes = [...CLIENT_SCHEMES.keys()].map((s) => `${s}://`).join(', ');
    throw new Error(`must start with one of ${schemes}${scheme ? ` (got ${scheme}://)` : ''}; e.g. ${EXAMPLE}`);
  }
  const rest = value.slice(scheme!.length);
  // The parser drops trailing slashes first, so "kurrentdb://" would be reported as a bad scheme.
  if (/^:\/+$/.test(rest)) throw new Error(`names no host; e.g. ${EXAMPLE}`);
  const converted = clientScheme + rest;
  try {
    parseConnectionString(converted);
  } catch (error) {
    if (!isClientParseError(error)) throw error;
    // The parser counts in the converted string; the user wrote the original.
    const shift = scheme!.length - clientScheme.length;
    const from = error.location[0] + shift;
    const at = value.charAt(from);
    throw new Error(
      `is not a valid connection string: ${at ? `unexpected "${at}"` : 'unexpected end'} at position ${from}, expected ${error.expected}; e.g. ${EXAMPLE}`,
      { cause: error },
    );
  }
  return converted;
}
