/**
 * Whether a JSON-like value nests deeper than `maxDepth` levels: `{}` and `[]` are one level, a
 * scalar is none, so `{"a":[1]}` is two. It walks with an explicit stack instead of recursing, so
 * it measures a value nested a million levels deep (JSON.parse builds one without complaint)
 * without overflowing the call stack the way JSON.stringify, zod or a recursive copy would; it
 * stops at the first branch that goes too deep. Meant for parsed JSON and values about to be
 * serialised: a cycle reads as too deep, and a value that shares subtrees is walked once per path,
 * as JSON.stringify would write it.
 */
export function exceedsJsonDepth(value: unknown, maxDepth: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (maxDepth < 1) return true;
  const nodes: object[] = [value];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const depth = depths.pop()!;
    const children: unknown[] = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (child === null || typeof child !== 'object') continue;
      if (depth >= maxDepth) return true;
      nodes.push(child);
      depths.push(depth + 1);
    }
  }
  return false;
}
