/**
 * Where a request's sticky key comes from: a header, or a field of the JSON body named by a
 * dotted path (`params.user_id`, `inputs.0.id`), split once when the config is read.
 */

export type StickySource = { readonly header: string } | { readonly json: readonly string[] };

/** The value at `path` in a parsed JSON body as a key; null when absent or not a scalar. */
export function keyAtPath(doc: unknown, path: readonly string[]): string | null {
  let node = doc;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null) return null;
    node = Array.isArray(node) ? node[Number(segment)] : (node as Record<string, unknown>)[segment];
  }
  if (typeof node === 'string') return node;
  if (typeof node === 'number' || typeof node === 'boolean') return String(node);
  return null;
}
