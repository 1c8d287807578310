import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DOMAIN_ERROR_KINDS } from '@permit-ledger/permits';
import { APPLICATION_ERROR_KINDS, KIND_STATUS, statusesOf, type ErrorCode } from './error-codes.js';

/*
 * The registry is what the OpenAPI document lists codes by: every code the service's source answers with must be in
 * it, with the status it is answered with, and the domain's codes must not be registered twice.
 */
const SRC = fileURLToPath(new URL('../..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testing' ? [] : sources(path);
    return /\.ts$/.test(entry.name) && !/spec\.ts$/.test(entry.name) ? [path] : [];
  });
}

/** `status code` of every problem the source builds with a literal status or kind and code. */
function answeredCodes(): string[] {
  const found = new Set<string>();
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const [, status, code] of text.matchAll(/(?:ProblemException|problem)\(\s*(\d{3}),\s*'([A-Z_]+)'/g))
      found.add(`${status} ${code}`);
    for (const [, kind, code] of text.matchAll(/ApplicationError\(\s*'([a-z_]+)',\s*'([A-Z_]+)'/g)) {
      found.add(`${KIND_STATUS[kind as keyof typeof KIND_STATUS]} ${code}`);
    }
  }
  return [...found].sort();
}

describe('error codes', () => {
  it('registers every code the service answers with, under the status it answers', () => {
    const answered = answeredCodes();
    expect(answered.length).toBeGreaterThan(15);
    // Calls Prettier splits over several lines are found too.
    expect(answered).toEqual(
      expect.arrayContaining(['412 REVISION_MISMATCH', '429 RATE_LIMITED', '400 VALIDATION_FAILED', '503 PROJECTIONS_BEHIND']),
    );
    const unregistered = answered.filter((entry) => {
      const [status, code] = entry.split(' ');
      // 500 is the service's fault, not an answer of any route: no route documents it.
      if (status === '500') return false;
      return (
        !(code in DOMAIN_ERROR_KINDS || code in APPLICATION_ERROR_KINDS) || !statusesOf(code as ErrorCode).includes(Number(status) as never)
      );
    });
    expect(unregistered).toEqual([]);
  });

  it("keeps the domain's codes in the domain's registry only", () => {
    expect(Object.keys(APPLICATION_ERROR_KINDS).filter((code) => code in DOMAIN_ERROR_KINDS)).toEqual([]);
  });

  it('answers each code with the statuses of its kinds', () => {
    expect(statusesOf('PERMIT_NOT_FOUND')).toEqual([404]);
    expect(statusesOf('ISSUANCE_BLOCKED')).toEqual([409]);
    expect(statusesOf('INVALID_VALIDITY')).toEqual([400]);
    expect(statusesOf('REVISION_MISMATCH')).toEqual([412]);
    expect(statusesOf('REQUEST_TIMEOUT')).toEqual([408, 503]);
  });
});
