import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { RecordedEvent } from '../port/envelope.js';
import { HASHED_FIELDS, canonicalJson, computeEventHash, hashCanonicalEvent, verifyStreamChain } from './integrity.js';

describe('canonicalJson', () => {
  it('sorts keys by UTF-16 code units, recursively, without whitespace', () => {
    // RFC 8785 §3.2.3 ordering example: "\r" < "1" < "\u0080" < "ö" < "€" < "😀" (a surrogate pair, 0xD83D) < "\ufb33".
    const value = { '\u20ac': 'Euro', '\r': 'CR', '\ufb33': 'Hebrew', '1': 'One', '\ud83d\ude00': 'Smiley', '\u0080': 'Ctl', ö: 'o' };
    expect(canonicalJson(value)).toBe(
      '{"\\r":"CR","1":"One","\u0080":"Ctl","\u00f6":"o","\u20ac":"Euro","\ud83d\ude00":"Smiley","\ufb33":"Hebrew"}',
    );
    expect(canonicalJson({ b: [3, { y: 1, x: null }], a: { d: true, c: 'x' } })).toBe('{"a":{"c":"x","d":true},"b":[3,{"x":null,"y":1}]}');
  });

  it('formats numbers as ECMAScript does (the RFC 8785 rule)', () => {
    expect(canonicalJson([1e21, 1e-7, -0, 0.1 + 0.2, 100, 1.5e300])).toBe('[1e+21,1e-7,0,0.30000000000000004,100,1.5e+300]');
  });

  it('refuses what is not JSON instead of converting it', () => {
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
    expect(() => canonicalJson([1, undefined])).toThrow('$[1]');
    expect(() => canonicalJson({ a: NaN })).toThrow('$.a');
    expect(() => canonicalJson({ a: [Infinity] })).toThrow(TypeError);
    expect(() => canonicalJson({ at: new Date(0) })).toThrow('Date');
    expect(() => canonicalJson({ n: 1n })).toThrow('bigint');
    expect(() => canonicalJson({ f: () => 1 })).toThrow('function');
    // eslint-disable-next-line no-sparse-arrays
    expect(() => canonicalJson([1, , 3])).toThrow('$[1]');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow('circular');
  });

  it('writes the literals and strings as JSON does, at any depth', () => {
    expect([true, false, null, 0, 'a"b\\c\n'].map(canonicalJson)).toEqual(['true', 'false', 'null', '0', '"a\\"b\\\\c\\n"']);
    expect(canonicalJson({ t: [true, false], n: null, e: {}, a: [] })).toBe('{"a":[],"e":{},"n":null,"t":[true,false]}');
  });

  it('accepts objects without a prototype, and names the class of any other object it refuses', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { b: 1, a: 2 });
    expect(canonicalJson({ bare })).toBe('{"bare":{"a":2,"b":1}}');
    class Permit {
      readonly n = 1;
    }
    expect(() => canonicalJson({ x: [new Permit()] })).toThrow('canonicalJson: Permit at $.x[0] is not a plain object');
    expect(() => canonicalJson(new Map())).toThrow('canonicalJson: Map at $ is not a plain object');
    // A prototype that has no constructor (itself made from null): named 'object'.
    expect(() => canonicalJson({ y: Object.create(Object.create(null)) })).toThrow('canonicalJson: object at $.y is not a plain object');
  });

  it('says what it refuses and where', () => {
    expect(() => canonicalJson(undefined)).toThrow('canonicalJson: undefined at $ is not JSON');
    expect(() => canonicalJson({ a: { b: Symbol('s') } })).toThrow('canonicalJson: symbol at $.a.b is not JSON');
    expect(() => canonicalJson([0, [-Infinity]])).toThrow('canonicalJson: -Infinity at $[1][0] is not a finite number');
    const cyclic: unknown[] = [];
    cyclic.push({ back: cyclic });
    expect(() => canonicalJson(cyclic)).toThrow('canonicalJson: circular reference at $[0].back');
  });

  it('treats an undefined property as absent, as the stored JSON will', () => {
    expect(canonicalJson({ a: 1, reason: undefined })).toBe('{"a":1}');
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });
});

const base: Omit<RecordedEvent, 'hash'> = {
  stream: 'permit-1',
  revision: 0,
  position: 17,
  eventId: 'e-1',
  type: 'PermitApplied',
  schemaVersion: 1,
  data: { applicant: 'Nordwerk AG', items: [{ qty: 2, code: 'ML1' }] },
  metadata: {
    effectiveAt: '2021-01-01T00:00:00.000Z',
    actor: { id: 'u1', role: 'clerk' },
    commandId: 'c1',
    correlationId: 'c1',
    causationId: null,
  },
  recordedAt: '2021-01-02T00:00:00.000Z',
  prevHash: null,
};

describe('computeEventHash', () => {
  it('is SHA-256 over canonicalJson of exactly the documented fields', () => {
    const { position: _position, ...hashed } = base;
    const expected = createHash('sha256').update(canonicalJson(hashed)).digest('hex');
    expect(computeEventHash(base)).toBe(expected);
    expect([...HASHED_FIELDS].sort()).toEqual(Object.keys(hashed).sort());
    expect(hashCanonicalEvent({ ...hashed, dataJson: canonicalJson(base.data), metadataJson: canonicalJson(base.metadata) })).toBe(
      expected,
    );
  });

  it('changes with every hashed field and ignores the global position', () => {
    const h = computeEventHash(base);
    const changes: Partial<Omit<RecordedEvent, 'hash'>>[] = [
      { stream: 'permit-2' },
      { revision: 1 },
      { eventId: 'e-2' },
      { type: 'PermitIssued' },
      { schemaVersion: 2 },
      { data: { ...base.data, applicant: 'X' } },
      { metadata: { ...base.metadata, causationId: 'c0' } },
      { recordedAt: '2021-01-02T00:00:00.001Z' },
      { prevHash: 'a'.repeat(64) },
    ];
    for (const change of changes) expect(computeEventHash({ ...base, ...change })).not.toBe(h);
    expect(computeEventHash({ ...base, position: 99 })).toBe(h);
    expect(computeEventHash({ ...base, data: { items: [{ code: 'ML1', qty: 2 }], applicant: 'Nordwerk AG' } })).toBe(h);
  });
});

describe('verifyStreamChain', () => {
  function chain(length: number): RecordedEvent[] {
    const events: RecordedEvent[] = [];
    for (let revision = 0; revision < length; revision++) {
      const event = { ...base, revision, position: revision + 1, eventId: `e-${revision}`, prevHash: events[revision - 1]?.hash ?? null };
      events.push({ ...event, hash: computeEventHash(event) });
    }
    return events;
  }

  it('accepts an intact stream and an empty one', () => {
    expect(verifyStreamChain(chain(4))).toEqual({ valid: true, checked: 4 });
    expect(verifyStreamChain([])).toEqual({ valid: true, checked: 0 });
  });

  it('finds edited content, a re-hashed edit, a missing revision, a wrong start and a foreign stream', () => {
    const edited = chain(4);
    edited[2] = { ...edited[2], data: { applicant: 'Someone else' } };
    expect(verifyStreamChain(edited)).toEqual({ valid: false, checked: 3, firstBrokenRevision: 2 });

    // Re-hashing the edited event is not enough: the next event still links to the old hash.
    const rehashed = chain(4);
    rehashed[1] = { ...rehashed[1], data: {}, hash: computeEventHash({ ...rehashed[1], data: {} }) };
    expect(verifyStreamChain(rehashed)).toEqual({ valid: false, checked: 3, firstBrokenRevision: 2 });

    const gap = chain(4);
    gap.splice(1, 1);
    expect(verifyStreamChain(gap).firstBrokenRevision).toBe(1);

    expect(verifyStreamChain(chain(3).slice(1))).toMatchObject({ valid: false, firstBrokenRevision: 0 });

    const mixed = chain(2);
    mixed[1] = { ...mixed[1], stream: 'permit-9' };
    mixed[1].hash = computeEventHash(mixed[1]);
    expect(verifyStreamChain(mixed)).toMatchObject({ valid: false, firstBrokenRevision: 1 });
  });

  it('finds a skipped revision even when its hash and link were recomputed', () => {
    const skipped = chain(2);
    const renumbered = { ...skipped[1], revision: 2 };
    skipped[1] = { ...renumbered, hash: computeEventHash(renumbered) };
    expect(skipped[1].prevHash).toBe(skipped[0].hash);
    expect(verifyStreamChain(skipped)).toEqual({ valid: false, checked: 2, firstBrokenRevision: 1 });
  });
});
