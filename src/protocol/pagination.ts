import { z } from 'zod';

/**
 * Every list route answers one page: at most `limit` rows and `nextCursor`, the opaque cursor of
 * the next page (null on the last one). A cursor is the base64url of the last row's sort key, so
 * pages are keyset pages: a row inserted between two pages never makes another row repeat or go
 * missing. The gateway refuses, with a 400 naming `cursor`, a cursor that is not one it gave for
 * that list.
 */
export const PAGE_LIMITS = { default: 50, max: 500 } as const;

export const PageLimitSchema = z.coerce
  .number<number>()
  .int()
  .min(1)
  .max(PAGE_LIMITS.max)
  .describe(`rows per page: 1 to ${PAGE_LIMITS.max}, default ${PAGE_LIMITS.default}`);

export const PageCursorSchema = z
  .string()
  .max(1024)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be the nextCursor of a page of this list')
  .describe('the nextCursor of the previous page');

/** `?limit=&cursor=`: what every list route takes, beside its own filters. */
export const PageQuerySchema = z.object({
  limit: PageLimitSchema.optional(),
  cursor: PageCursorSchema.optional(),
});
export type PageQuery = z.infer<typeof PageQuerySchema>;

/** The cursor of the next page; null on the last page. */
export const NextCursorSchema = z.string().nullable();

/** A name filter: rows whose name contains it, ignoring ASCII case. */
export const NameFilterSchema = z.string().trim().min(1).max(200);
