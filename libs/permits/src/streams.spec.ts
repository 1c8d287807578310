import { describe, expect, it } from '@jest/globals';
import { DOMAIN_ERROR_KINDS, DomainError, DomainErrorCode, domainError } from './errors.js';
import { applicationStream, decisionStream, destinationStream, permitStream, streamCategory, streamId } from './streams.js';

describe('stream names', () => {
  it.each([
    [permitStream('EXP-19-004120'), 'permit-EXP-19-004120', 'permit', 'EXP-19-004120'],
    [destinationStream('TR'), 'destination-TR', 'destination', 'TR'],
    [decisionStream('MIN-2021-04-12'), 'decision-MIN-2021-04-12', 'decision', 'MIN-2021-04-12'],
    [applicationStream('APP-2020-0042'), 'application-APP-2020-0042', 'application', 'APP-2020-0042'],
    ['a-b', 'a-b', 'a', 'b'],
  ])('%s parses back (ids may contain "-")', (stream, name, category, id) => {
    expect(stream).toBe(name);
    expect(streamCategory(stream)).toBe(category);
    expect(streamId(stream)).toBe(id);
  });

  it.each(['permit', '-x', 'permit-', '-', ''])('rejects the malformed name %j, naming it', (stream) => {
    expect(() => streamCategory(stream)).toThrow(`malformed stream name: "${stream}"`);
    expect(() => streamId(stream)).toThrow(`malformed stream name: "${stream}"`);
  });
});

describe('domain errors', () => {
  it('lists every code under its own name', () => Object.entries(DomainErrorCode).forEach(([key, code]) => expect(code).toBe(key)));

  it('builds errors whose kind matches the code', () => {
    const error = domainError(DomainErrorCode.INVALID_VALIDITY, 'expiresOn must be after validFrom', 'expiresOn');
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'INVALID_VALIDITY', kind: 'invalid', field: 'expiresOn', name: 'DomainError' });
    expect(DOMAIN_ERROR_KINDS.PERMIT_NOT_FOUND).toBe('not_found');
  });
});
