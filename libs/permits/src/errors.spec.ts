import { describe, expect, it } from '@jest/globals';
import { DOMAIN_ERROR_KINDS, DomainError, DomainErrorCode, domainError, isDomainError } from './errors.js';

const codes = Object.keys(DOMAIN_ERROR_KINDS) as DomainErrorCode[];

describe('domain error codes', () => {
  it('give every code one of the kinds the application maps to a status (409, 404, 400)', () => {
    for (const code of codes) expect(['conflict', 'not_found', 'invalid']).toContain(DOMAIN_ERROR_KINDS[code]);
  });

  it('report exactly the codes that say NOT_FOUND as not found, and every ALREADY_ code as a conflict', () => {
    const notFound = codes.filter((c) => DOMAIN_ERROR_KINDS[c] === 'not_found');
    expect(notFound).toEqual(codes.filter((c) => c.endsWith('_NOT_FOUND')));
    expect(notFound.length).toBeGreaterThan(0);
    const already = codes.filter((c) => c.includes('_ALREADY_'));
    expect(already.length).toBeGreaterThan(0);
    for (const code of already) expect(DOMAIN_ERROR_KINDS[code]).toBe('conflict');
  });

  it('spell each code as itself in DomainErrorCode, which cannot be changed', () => {
    expect(Object.keys(DomainErrorCode)).toEqual(codes);
    for (const code of codes) expect(DomainErrorCode[code]).toBe(code);
    expect(Object.isFrozen(DomainErrorCode)).toBe(true);
  });
});

describe('domainError', () => {
  it("builds a DomainError with its code's kind, the field it names and the facts it carries", () => {
    const error = domainError('INVALID_DATE', 'validFrom must be a calendar date', 'validFrom', { given: '2020-13-01' });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(DomainError);
    expect({ ...error, name: error.name, message: error.message }).toEqual({
      code: 'INVALID_DATE',
      kind: 'invalid',
      field: 'validFrom',
      details: { given: '2020-13-01' },
      name: 'DomainError',
      message: 'validFrom must be a calendar date',
    });
    expect(domainError('PERMIT_NOT_FOUND', 'permit X does not exist')).toMatchObject({ kind: 'not_found', field: undefined });
  });

  it('tells a domain error from any other error, even one that looks like it', () => {
    expect(isDomainError(domainError('PERMIT_TERMINAL', 'cancelled'))).toBe(true);
    expect(isDomainError(Object.assign(new Error('x'), { code: 'PERMIT_TERMINAL', kind: 'conflict' }))).toBe(false);
    expect(isDomainError({ code: 'PERMIT_TERMINAL', kind: 'conflict', message: 'x' })).toBe(false);
    expect(isDomainError(undefined)).toBe(false);
  });
});
