import { describe, expect, it } from '@jest/globals';
import { anyOf, array, components, integer, named, nullable, object, oneOf, optional, string, type Agree, type Static } from './schema.js';

describe('the typed schema builder', () => {
  const Ref = named('Ref', object({ id: string() }));
  const Row = named(
    'Row',
    object({ id: string(), count: optional(integer()), kind: nullable(oneOf(['a', 'b'])), ref: nullable(Ref), refs: array(Ref) }),
  );

  it('requires every property but the optional ones, and writes null as OpenAPI 3.1 does', () => {
    expect(components([Row])).toEqual({
      Row: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          count: { type: 'integer' },
          kind: { type: ['string', 'null'], enum: ['a', 'b', null] },
          ref: { anyOf: [{ $ref: '#/components/schemas/Ref' }, { type: 'null' }] },
          refs: { type: 'array', items: { $ref: '#/components/schemas/Ref' } },
        },
        required: ['id', 'kind', 'ref', 'refs'],
      },
      Ref: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
    });
    // As JSON a named schema is its $ref.
    expect(JSON.parse(JSON.stringify({ a: Row }))).toEqual({ a: { $ref: '#/components/schemas/Row' } });
    // The derived type (compile time): `count` optional, `kind` a union with null.
    const row: Static<typeof Row> = { id: 'x', kind: null, ref: { id: 'y' }, refs: [] };
    expect(row.count).toBeUndefined();
  });

  it('collects the named schemas under anyOf, and refuses two definitions under one name', () => {
    expect(Object.keys(components([anyOf([Row, named('Other', object({}))])])).sort()).toEqual(['Other', 'Ref', 'Row']);
    expect(() => components([Row, named('Row', object({ other: string() }))])).toThrow('two schemas are named Row');
  });
});

// Agree is a compile-time check, so these are checked by `npm run typecheck`: each @ts-expect-error line must
// not compile (an expected error that does not come is itself an error), and `same` must.
const same: Agree<{ a: string } & { b: number[] }, { a: string; b: readonly number[] }> = true;
// @ts-expect-error an optional field on one side only
const extraOptional: Agree<{ name: string }, { name: string; email?: string }> = true;
// @ts-expect-error optional on one side, required on the other
const optionality: Agree<{ name?: string }, { name: string }> = true;
// @ts-expect-error a nullable field against a plain one
const nullable_: Agree<{ name: string | null }, { name: string }> = true;
// @ts-expect-error a field retyped in a nested object
const nested: Agree<{ p: { q: number } }, { p: { q: string } }> = true;
void [same, extraOptional, optionality, nullable_, nested];
