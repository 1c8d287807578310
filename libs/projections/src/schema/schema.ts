/**
 * A tiny typed JSON Schema (2020-12, the dialect of OpenAPI 3.1) builder: each answer shape is written once
 * as a schema, and its TypeScript type is derived from it (`Static<typeof X>`), so the read model's rows and
 * the OpenAPI document cannot drift apart. Plain data, no framework: the HTTP layer only collects the named
 * schemas into the document's components.
 */
declare const STATIC: unique symbol;

/** A JSON Schema object that remembers, at the type level only, the values it describes. */
export type Schema<T = unknown> = { readonly [key: string]: unknown } & { readonly [STATIC]?: T };
export type Static<S> = S extends Schema<infer T> ? T : never;

/** Annotations any schema may carry (OpenAPI 3.1 keeps `example` beside JSON Schema's `examples`). */
export interface Notes {
  description?: string;
  example?: unknown;
}
interface StringNotes extends Notes {
  format?: 'date' | 'date-time' | 'uuid';
  pattern?: string;
  minLength?: number;
  maxLength?: number;
}
interface NumberNotes extends Notes {
  minimum?: number;
  maximum?: number;
}

const OPTIONAL = Symbol('optional');
const NAME = Symbol('name');
type Optional<S extends Schema> = S & { readonly [OPTIONAL]: true };

export const string = (notes: StringNotes = {}): Schema<string> => ({ type: 'string', ...notes });
export const integer = (notes: NumberNotes = {}): Schema<number> => ({ type: 'integer', ...notes });
export const number = (notes: NumberNotes = {}): Schema<number> => ({ type: 'number', ...notes });
export const boolean = (notes: Notes = {}): Schema<boolean> => ({ type: 'boolean', ...notes });
export const literal = <const T extends string | boolean>(value: T, notes: Notes = {}): Schema<T> => ({
  type: typeof value,
  const: value,
  ...notes,
});
/** One of a fixed list of strings, e.g. the domain's statuses. */
export const oneOf = <const T extends readonly string[]>(values: T, notes: Notes = {}): Schema<T[number]> => ({
  type: 'string',
  enum: [...values],
  ...notes,
});
export const array = <S extends Schema>(
  items: S,
  notes: Notes & { minItems?: number; maxItems?: number } = {},
): Schema<Array<Static<S>>> => ({
  type: 'array',
  items,
  ...notes,
});
/** Free-form JSON (an event's data as recorded): any object. */
export const record = (notes: Notes = {}): Schema<Record<string, unknown>> => ({ type: 'object', additionalProperties: true, ...notes });

/** Any of these shapes (e.g. one per status of a discriminated union). */
export const anyOf = <const S extends readonly Schema[]>(schemas: S, notes: Notes = {}): Schema<Static<S[number]>> => ({
  anyOf: [...schemas],
  ...notes,
});

/** The value or null: a type list for a plain schema (its enum admits null too), anyOf for a named one. */
export function nullable<S extends Schema>(schema: S, notes: Notes = {}): Schema<Static<S> | null> {
  const { type, enum: values, ...rest } = schema as Record<string, unknown>;
  if (typeof type !== 'string' || NAME in schema) return { anyOf: [schema, { type: 'null' }], ...notes };
  return { ...rest, type: [type, 'null'], ...(Array.isArray(values) ? { enum: [...values, null] } : {}), ...notes };
}

/** A property that may be absent (not required). */
export const optional = <S extends Schema>(schema: S): Optional<S> => ({ ...schema, [OPTIONAL]: true }) as Optional<S>;

type Props = Record<string, Schema>;
type OptionalKeys<P extends Props> = { [K in keyof P]: P[K] extends { readonly [OPTIONAL]: true } ? K : never }[keyof P];
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type ObjectOf<P extends Props> = Simplify<
  { -readonly [K in Exclude<keyof P, OptionalKeys<P>>]: Static<P[K]> } & { -readonly [K in OptionalKeys<P>]?: Static<P[K]> }
>;

/**
 * An object with these properties, required unless wrapped in optional(). Open for additions (the contract
 * grows additively); the contract spec closes every object that does not say `additionalProperties`, so an
 * answer with an undocumented field still fails there.
 */
export function object<P extends Props>(properties: P, notes: Notes & { additionalProperties?: boolean } = {}): Schema<ObjectOf<P>> {
  const required = Object.keys(properties).filter((key) => !(OPTIONAL in properties[key]));
  const plain = Object.fromEntries(
    Object.entries(properties).map(([key, schema]) => {
      const { [OPTIONAL]: _, ...rest } = schema as Schema & { [OPTIONAL]?: true };
      return [key, rest];
    }),
  );
  return { type: 'object', properties: plain, ...(required.length ? { required } : {}), ...notes };
}

/**
 * A named schema: where another schema uses it, it appears as a $ref to `#/components/schemas/<name>`
 * (see components()). Its value is the $ref; the definition travels with it under a symbol.
 */
export function named<S extends Schema>(name: string, schema: S): Schema<Static<S>> {
  return { $ref: `#/components/schemas/${name}`, [NAME]: { name, schema } };
}

/** The name a named() schema is published under. */
export function schemaName(schema: Schema): string {
  const entry = (schema as { [NAME]?: { name: string } })[NAME];
  if (!entry) throw new Error('not a named schema');
  return entry.name;
}

/**
 * Every named schema reachable from `roots`, by name, as plain JSON (the components of an OpenAPI 3.1
 * document). Two different definitions under one name are refused.
 */
export function components(roots: readonly Schema[]): Record<string, object> {
  const found = new Map<string, Schema>();
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (!node || typeof node !== 'object') return node;
    const entry = (node as { [NAME]?: { name: string; schema: Schema } })[NAME];
    if (entry) {
      const seen = found.get(entry.name);
      if (seen && seen !== entry.schema) throw new Error(`two schemas are named ${entry.name}`);
      if (!seen) {
        found.set(entry.name, entry.schema);
        definitions[entry.name] = visit(entry.schema) as object;
      }
      return { $ref: (node as { $ref: string }).$ref };
    }
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, visit(value)]));
  };
  const definitions: Record<string, object> = {};
  for (const root of roots) visit(root);
  return definitions;
}

/**
 * True when the two types are the same: `const _: Agree<Static<typeof View>, DomainType> = true` stops compiling
 * when a field is added to, removed from, retyped on or made optional on one side only. Mutual assignability is
 * not enough: `{ name: string }` and `{ name: string; email?: string }` are assignable both ways.
 */
export type Agree<A, B> = (<T>() => T extends Normal<A> ? 1 : 2) extends <T>() => T extends Normal<B> ? 1 : 2 ? true : false;

/** An object type with its intersections and readonly arrays flattened, so equal shapes written differently compare equal. */
type Normal<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer E)[]
    ? Normal<E>[]
    : T extends object
      ? { [K in keyof T]: Normal<T[K]> }
      : T;
