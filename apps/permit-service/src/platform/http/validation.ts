import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { ARRAY_MAX_SIZE, getMetadataStorage, registerDecorator, ValidationTypes, type ValidationOptions } from 'class-validator';
import { invalidInput, MAX_LISTED_ERRORS, type FieldError } from '../errors/application-error.js';
import { isIsoDate, isIsoDateOrTimestamp } from '../time/instants.js';

/** Flattens class-validator's tree into dotted field paths: "items.0.quantity". */
export function fieldErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...fieldErrors(error.children ?? [], field)];
  });
}

/** No body of the API nests deeper than 4 levels; 16 leaves room and keeps class-transformer's recursion bounded. */
export const MAX_NESTING = 16;
/** Properties of one object that no DTO describes (a DTO's object may hold only its own fields). */
export const MAX_KEYS = 100;
/** Elements of an array whose DTO field sets no @ArrayMaxSize: the largest list the API takes (a decision's permitNumbers). */
export const MAX_ARRAY_LENGTH = 10_000;
/** Values (objects, arrays, scalars) in one body or query: 10,000 permit numbers and a few fields fit. */
export const MAX_VALUES = 50_000;

/**
 * Keys that class-transformer and class-validator do not see as unknown fields: `constructor` is found on
 * every instance's prototype, and `__proto__` / `prototype` reach for prototypes; nor the other names every
 * object inherits (`toString`, `hasOwnProperty` …), which a whitelist lookup finds on the prototype. Refused wherever they occur.
 */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype', ...Object.getOwnPropertyNames(Object.prototype)]);

/** What the structural check knows of a DTO: its fields, their @ArrayMaxSize and the class of their nested values. */
/** A DTO class, as class-transformer and class-validator's metadata name it. */
type DtoClass = abstract new (...args: never[]) => unknown;

interface Shape {
  fields: Map<string, { maxItems?: number; nested?: DtoClass }>;
}

const SCALARS = new Set<unknown>([undefined, Object, Array, String, Number, Boolean]);
const shapes = new WeakMap<DtoClass, Shape | null>();

/** The class class-transformer builds for a nested field (its @Type), found by transforming a probe value. */
function nestedClass(type: DtoClass, property: string): DtoClass | undefined {
  const probe = plainToInstance(type as ClassConstructor<object>, { [property]: [{}] }) as Record<string, unknown>;
  const value = probe[property];
  const element = Array.isArray(value) ? (value[0] as unknown) : value;
  const ctor = element !== null && typeof element === 'object' ? element.constructor : undefined;
  return ctor && ctor !== Object ? (ctor as DtoClass) : undefined;
}

function shapeOf(value: unknown): Shape | undefined {
  if (typeof value !== 'function' || SCALARS.has(value)) return undefined;
  const type = value as DtoClass;
  const known = shapes.get(type);
  if (known !== undefined) return known ?? undefined;
  const metadata = getMetadataStorage().getTargetValidationMetadatas(type, '', true, false);
  let shape: Shape | null = null;
  if (metadata.length > 0) {
    shape = { fields: new Map() };
    for (const m of metadata) {
      const field = shape.fields.get(m.propertyName) ?? {};
      if (m.name === ARRAY_MAX_SIZE && typeof m.constraints?.[0] === 'number') field.maxItems = m.constraints[0];
      if (m.type === ValidationTypes.NESTED_VALIDATION) field.nested = nestedClass(type, m.propertyName);
      shape.fields.set(m.propertyName, field);
    }
  }
  shapes.set(type, shape);
  return shape ?? undefined;
}

/**
 * What no request may hold, found cheaply before any recursive or per-field code sees it (iterative, and it
 * never looks inside what it refuses): nesting deeper than MAX_NESTING (class-transformer, class-validator
 * or canonical JSON would overflow the stack), prototype keys, arrays longer than their DTO field's
 * @ArrayMaxSize (MAX_ARRAY_LENGTH where none is set), more unknown fields in one object than an answer lists,
 * more than MAX_KEYS properties in an object no DTO describes, more than MAX_VALUES values in all. Without
 * it, class-validator would validate every element of a 500,000-element array before refusing its length.
 * `type` is the DTO class the value is validated against, if any.
 */
export function structuralProblems(value: unknown, type?: unknown, root = 'body'): { errors: FieldError[]; omitted: number } {
  const errors: FieldError[] = [];
  let omitted = 0;
  const refuse = (path: string, message: string) => {
    if (errors.length < MAX_LISTED_ERRORS) errors.push({ field: path || root, messages: [message] });
    else omitted++;
  };
  interface Pending {
    value: unknown;
    depth: number;
    path: string;
    shape?: Shape;
    maxItems?: number;
  }
  const pending: Pending[] = [{ value, depth: 0, path: '', shape: shapeOf(type) }];
  let values = 0;
  while (pending.length > 0) {
    const { value: current, depth, path, shape, maxItems } = pending.pop()!;
    if (++values > MAX_VALUES) {
      refuse('', `${root} holds more than ${MAX_VALUES} values`);
      break;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth >= MAX_NESTING) {
      const field = path.length > 200 ? `${path.slice(0, 200)}…` : path;
      refuse(field, `${field} is nested more than ${MAX_NESTING} levels deep`);
      continue;
    }
    const name = path || root;
    if (Array.isArray(current)) {
      const limit = maxItems ?? MAX_ARRAY_LENGTH;
      if (current.length > limit) {
        refuse(path, `${name} must contain no more than ${limit} elements`);
        continue;
      }
      // A nested DTO field's class applies to each of its elements.
      for (let i = current.length - 1; i >= 0; i--)
        pending.push({ value: current[i], depth: depth + 1, path: path ? `${path}.${i}` : String(i), shape });
      continue;
    }
    const keys = Object.keys(current);
    if (!shape && keys.length > MAX_KEYS) {
      refuse(path, `${name} must not have more than ${MAX_KEYS} properties`);
      continue;
    }
    const unknown: string[] = [];
    let unknownCount = 0;
    const at = (key: string) => (path ? `${path}.${key}` : key);
    for (const key of keys) {
      if (FORBIDDEN_KEYS.has(key)) {
        refuse(at(key), `property ${key} should not exist`);
        continue;
      }
      const known = shape?.fields.get(key);
      if (shape && !known) {
        if (++unknownCount <= MAX_LISTED_ERRORS) unknown.push(key);
        continue;
      }
      pending.push({
        value: (current as Record<string, unknown>)[key],
        depth: depth + 1,
        path: at(key),
        shape: shapeOf(known?.nested),
        maxItems: known?.maxItems,
      });
    }
    // A few unknown fields are left to class-validator, which names them with the other errors of the body
    // (class-transformer copies them first, so their values are held to the same ceilings); more than an
    // answer lists are refused here, before anything else runs on them.
    if (unknownCount > MAX_LISTED_ERRORS) {
      for (const key of unknown) refuse(at(key), `property ${key} should not exist`);
      omitted += unknownCount - unknown.length;
    } else {
      for (const key of unknown) pending.push({ value: (current as Record<string, unknown>)[key], depth: depth + 1, path: at(key) });
    }
  }
  return { errors, omitted };
}

class SafeValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Only what the client sent: a custom decorator's value (e.g. a request object) is not walked.
    if (metadata.type !== 'custom') {
      const { errors, omitted } = structuralProblems(
        value,
        metadata.metatype,
        metadata.type === 'body' ? 'body' : (metadata.data ?? metadata.type),
      );
      if (errors.length > 0) throw invalidInput(errors, omitted);
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new SafeValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => invalidInput(fieldErrors(errors)),
  });
}

function simple(name: string, test: (value: unknown) => boolean, message: string) {
  return (options?: ValidationOptions) => (object: object, propertyName: string) =>
    registerDecorator({
      name,
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} ${message}`, ...options },
      validator: { validate: test },
    });
}

/**
 * How many decimals a number is written with, exponent included: 1e-7 has 7, 1.25e-5 has 7, 1e21 has none.
 * class-validator 0.15.1's IsNumber({ maxDecimalPlaces }) reads `toString().split('.')[1]`, which throws on
 * 1e-7 (a 500) and counts 1.5e-7 as one decimal; every DTO uses MaxDecimalPlaces instead.
 */
export function decimalPlaces(value: number): number {
  const [mantissa = '', exponent = '0'] = String(value).toLowerCase().split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent));
}

export const MaxDecimalPlaces = (places: number, options?: ValidationOptions): PropertyDecorator =>
  simple(
    'maxDecimalPlaces',
    (value) => typeof value === 'number' && Number.isFinite(value) && decimalPlaces(value) <= places,
    `must have at most ${places} decimal places`,
  )(options) as PropertyDecorator;

export const IsIsoDate = simple('isIsoDate', isIsoDate, 'must be a calendar date YYYY-MM-DD');
export const IsIsoDateOrTimestamp = simple(
  'isIsoDateOrTimestamp',
  isIsoDateOrTimestamp,
  'must be an ISO 8601 date (YYYY-MM-DD) or timestamp with a time zone',
);
