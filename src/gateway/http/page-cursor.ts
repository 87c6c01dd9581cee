import { OpenViberError } from '../../core/errors.ts';
import { PAGE_LIMITS, type PageQuery } from '../../protocol/index.ts';
import type { Page } from '../store/index.ts';

/**
 * The opaque cursors of the list routes: the base64url of `[list, ...sort key]`, the sort key of a
 * page's last row as the store gave it (store-page.ts). A cursor names its list, so one list's
 * cursor given to another is told apart from a malformed one; either is a 400 naming `cursor`.
 */

type KeyPart = 'string' | 'integer';
type KeyOf<S extends readonly KeyPart[]> = {
  readonly [I in keyof S]: S[I] extends 'string' ? string : number;
};

/** One list's cursors: its name, and the types of its sort key's parts. */
export interface CursorKind<S extends readonly KeyPart[]> {
  list: string;
  parts: S;
}

export const cursorKind = <const S extends readonly KeyPart[]>(list: string, parts: S): CursorKind<S> => ({
  list,
  parts,
});

export function encodeCursor<S extends readonly KeyPart[]>(kind: CursorKind<S>, key: KeyOf<S>): string {
  return Buffer.from(JSON.stringify([kind.list, ...key])).toString('base64url');
}

/** The sort key a cursor of this list carries; a 400 `validation_failed` naming `cursor` otherwise. */
export function decodeCursor<S extends readonly KeyPart[]>(kind: CursorKind<S>, cursor: string): KeyOf<S> {
  const malformed = () =>
    new OpenViberError(
      'validation_failed',
      `cursor: not a cursor of the ${kind.list} list; pass the nextCursor of a page as it came`,
      400,
    );
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw malformed();
  }
  if (!Array.isArray(decoded) || typeof decoded[0] !== 'string') throw malformed();
  const [list, ...key] = decoded as [string, ...unknown[]];
  if (list !== kind.list) {
    throw new OpenViberError(
      'validation_failed',
      `cursor: a cursor of the ${list.slice(0, 40)} list, not of the ${kind.list} list`,
      400,
    );
  }
  const fits =
    key.length === kind.parts.length &&
    kind.parts.every((part, index) =>
      part === 'string' ? typeof key[index] === 'string' : Number.isSafeInteger(key[index]),
    );
  if (!fits) throw malformed();
  return key as unknown as KeyOf<S>;
}

/** What a store's page query takes from `?limit=&cursor=`: the limit (default 50) and the key. */
export function pageRequest<S extends readonly KeyPart[]>(
  kind: CursorKind<S>,
  query: PageQuery,
): { limit: number; after?: KeyOf<S> } {
  const limit = query.limit ?? PAGE_LIMITS.default;
  return query.cursor === undefined ? { limit } : { limit, after: decodeCursor(kind, query.cursor) };
}

/** The `nextCursor` of a page: null on the last one. */
export function nextCursor<S extends readonly KeyPart[]>(
  kind: CursorKind<S>,
  page: Pick<Page<unknown, KeyOf<S>>, 'next'>,
): string | null {
  return page.next === null ? null : encodeCursor(kind, page.next);
}

/** The lists' cursors, one kind each. */
export const CURSORS = {
  vibers: cursorKind('vibers', ['string', 'string']),
  tasks: cursorKind('tasks', ['integer']),
  environments: cursorKind('environments', ['string', 'string']),
  devices: cursorKind('devices', ['integer', 'string', 'string']),
} as const;
