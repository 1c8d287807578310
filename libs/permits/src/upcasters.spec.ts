import { describe, expect, it } from '@jest/globals';
import { CURRENT_SCHEMA_VERSIONS, toDated, upcast } from './upcasters.js';

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

  it('keeps a v1 PermitIssued whose exporter is already a party as it was, at v2', () => {
    const v1 = { type: 'PermitIssued', schemaVersion: 1, data: { exporter: { name: 'A', country: 'CA' } } };
    expect(upcast(v1)).toEqual({ type: 'PermitIssued', schemaVersion: 2, data: { exporter: { name: 'A', country: 'CA' } } });
  });

  it('refuses a version it has no step for, naming the step', () => {
    expect(() => upcast({ type: 'DecisionRecorded', schemaVersion: 0, data: {} })).toThrow('no upcaster for DecisionRecorded v0 -> v1');
    expect(() => upcast({ type: 'PermitIssued', schemaVersion: 0, data: {} })).toThrow('no upcaster for PermitIssued v0 -> v1');
  });

  it('dates a stored event by its envelope, in its current shape, keeping nothing else of the envelope', () =>
    expect(
      toDated({ type: 'PermitIssued', schemaVersion: 1, data: { exporter: 'Northfield' }, effectiveAt: '2020-05-14T12:00:00.000Z' }),
    ).toEqual({ type: 'PermitIssued', data: { exporter: { name: 'Northfield' } }, effectiveAt: '2020-05-14T12:00:00.000Z' }));
});
