import fc from 'fast-check';
import type { z } from 'zod';

/**
 * fast-check arbitraries from the zod schemas of src/protocol, for the shapes those schemas use
 * (objects, unions, literals, enums, strings, numbers, arrays, records, optionals, pipes, lazies),
 * and mutations that make a valid value invalid in the ways a broken or hostile peer would.
 * Checks (min/max lengths, formats) are read only for numbers' integer-ness: the values aim at the
 * shape, and the mutations at everything else.
 */

interface Def {
  type: string;
  [key: string]: unknown;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

const shortString = fc.string({ maxLength: 24 });

export function arbitraryOf(schema: z.ZodType, depth = 0): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  if (depth > 8) return fc.constant(null);
  const inner = (child: unknown) => arbitraryOf(child as z.ZodType, depth + 1);
  switch (def.type) {
    case 'string':
      return shortString;
    case 'number': {
      const checks =
        (def.checks as Array<{ _zod: { def: { check?: string; format?: string } } }> | undefined) ?? [];
      const isInt = checks.some((check) => check._zod.def.format?.includes('int'));
      return isInt
        ? fc.integer({ min: -5, max: 1_000_000 })
        : fc.double({ noNaN: true, noDefaultInfinity: true });
    }
    case 'int':
      return fc.integer({ min: -5, max: 1_000_000 });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'undefined':
    case 'void':
      return fc.constant(undefined);
    case 'literal':
      return fc.constantFrom(...(def.values as unknown[]));
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries as Record<string, unknown>));
    case 'object': {
      const shape = def.shape as Record<string, z.ZodType>;
      const required: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, child] of Object.entries(shape)) required[key] = inner(child);
      const optional = Object.entries(shape)
        .filter(([, child]) => ['optional', 'default', 'prefault'].includes(defOf(child).type))
        .map(([key]) => key);
      return fc.record(required, {
        requiredKeys: Object.keys(shape).filter((key) => !optional.includes(key)),
      });
    }
    case 'array':
      return fc.array(inner(def.element), { maxLength: 4 });
    case 'tuple':
      return fc.tuple(...(def.items as z.ZodType[]).map(inner));
    case 'union':
      return fc.oneof(...(def.options as z.ZodType[]).map(inner));
    case 'intersection':
      return fc
        .tuple(inner(def.left), inner(def.right))
        .map(([left, right]) =>
          typeof left === 'object' && typeof right === 'object' ? { ...left, ...right } : left,
        );
    case 'record':
      return fc.dictionary(shortString, inner(def.valueType), { maxKeys: 4 });
    case 'optional':
      return fc.option(inner(def.innerType), { nil: undefined });
    case 'nullable':
      return fc.option(inner(def.innerType), { nil: null });
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
      return inner(def.innerType);
    case 'pipe':
      return inner(def.in);
    case 'lazy':
      return inner((def.getter as () => z.ZodType)());
    default:
      // unknown, any, custom, transform, ...: any JSON value.
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** One case: the text to send and how it was made. */
export interface FuzzCase {
  text: string;
  mutation: string;
}

function deep(levels: number): unknown {
  let value: unknown = 'bottom';
  for (let level = 0; level < levels; level++) value = level % 2 ? [value] : { d: value };
  return value;
}

/**
 * Valid values of `schema` and mutations of them: a field of the wrong type, a missing field, a
 * huge string, deep nesting, invalid JSON, a scalar or array instead of an object.
 */
export function fuzzCases(schema: z.ZodType, hugeMaxBytes: number): fc.Arbitrary<FuzzCase> {
  const valid = arbitraryOf(schema);
  const pickKey = (value: unknown, index: number): string | undefined => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const keys = Object.keys(value);
    return keys.length ? keys[index % keys.length] : undefined;
  };
  const withKey = (
    value: unknown,
    index: number,
    set: (object: Record<string, unknown>, key: string) => void,
  ) => {
    const key = pickKey(value, index);
    if (key === undefined) return value;
    const copy = { ...(value as Record<string, unknown>) };
    set(copy, key);
    return copy;
  };
  const json =
    (mutation: string) =>
    (value: unknown): FuzzCase => ({ text: JSON.stringify(value) ?? 'null', mutation });
  return fc.oneof(
    { weight: 3, arbitrary: valid.map(json('valid')) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          valid,
          fc.nat(),
          fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 2 })),
        )
        .map(([value, index, wrong]) => withKey(value, index, (object, key) => (object[key] = wrong)))
        .map(json('wrong type')),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(valid, fc.nat())
        .map(([value, index]) => withKey(value, index, (object, key) => delete object[key]))
        .map(json('missing field')),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(valid, fc.nat(), fc.integer({ min: 10_000, max: Math.max(10_000, hugeMaxBytes) }))
        .map(([value, index, size]) =>
          withKey(value, index, (object, key) => (object[key] = 'x'.repeat(size))),
        )
        .map(json('huge string')),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(valid, fc.nat(), fc.integer({ min: 50, max: 3_000 }))
        .map(([value, index, levels]) => withKey(value, index, (object, key) => (object[key] = deep(levels))))
        .map(json('deep nesting')),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(valid, fc.nat()).map(([value, cut]) => {
        const text = JSON.stringify(value) ?? '{}';
        return {
          text: text.slice(0, Math.max(1, cut % text.length)) + (cut % 3 === 0 ? '}}' : ''),
          mutation: 'invalid JSON',
        };
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .oneof(fc.string(), fc.integer(), fc.array(fc.jsonValue({ maxDepth: 1 })), fc.constant(null))
        .map(json('not an object')),
    },
  );
}
