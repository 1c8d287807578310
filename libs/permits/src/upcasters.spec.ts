import { describe, expect, it } from '@jest/globals';
import { CURRENT_SCHEMA_VERSIONS, upcast } from './upcasters.js';

describe('upcasters', () => {
  it('brings a v1 PermitIssued (exporter as a bare name) to v2 (a party object), without touching the input', () => {
    const v1 = { type: 'PermitIssued', schemaVersion: 1, data: { permitNumber: 'X', exporter: 'Northfield Optronics Inc.' } };
    const snapshot = structuredClone(v1);
    expect(upcast(v1)).toEqual({
      type: 'PermitIssued',
      schemaVersion: 2,
      data: { permitNumber: 'X', exporter: { name: 'Northfield Optronics Inc.' } },
    });
    expect(v1).toEqual(snapshot);
  });

  it('leaves current versions and unknown types as they are', () => {
    const v2 = { type: 'PermitIssued', schemaVersion: 2, data: { exporter: { name: 'A' } } };
    expect(upcast(v2)).toBe(v2);
    const other = { type: 'SomethingElse', schemaVersion: 1, data: {} };
    expect(upcast(other)).toBe(other);
  });

  it('knows a current version for every event type the domain writes', () => {
    expect(CURRENT_SCHEMA_VERSIONS.PermitIssued).toBe(2);
    expect(CURRENT_SCHEMA_VERSIONS.DecisionRecorded).toBe(1);
  });
});
