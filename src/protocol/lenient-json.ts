/**
 * JSON as Python's json.loads reads it: RFC 8259 plus the bare tokens NaN, Infinity and
 * -Infinity (MLflow clients send them; MLflow's own input examples contain them).
 * The fast path is JSON.parse; only bodies it rejects are rescanned.
 */
const NON_FINITE = /NaN|-?Infinity/y;

export function parseJsonLenient(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const marked = markNonFinite(text);
    if (marked === null) throw err;
    return JSON.parse(marked.text, (_key, value) =>
      typeof value === 'string' && value.startsWith(marked.marker) ? Number(value.slice(marked.marker.length)) : value,
    );
  }
}

/** Replaces bare NaN/Infinity tokens outside strings by marked strings, or null when there are none. */
function markNonFinite(text: string): { text: string; marker: string } | null {
  const marker = `\u0000flowgate-${Math.random().toString(36).slice(2)}:`;
  let out = '';
  let last = 0;
  let found = false;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      continue;
    }
    if (ch === 'N' || ch === 'I' || ch === '-') {
      NON_FINITE.lastIndex = i;
      const m = NON_FINITE.exec(text);
      if (m !== null) {
        out += `${text.slice(last, i)}"${marker.replace('\u0000', '\\u0000')}${m[0]}"`;
        i += m[0].length - 1;
        last = i + 1;
        found = true;
      }
    }
  }
  return found ? { text: out + text.slice(last), marker } : null;
}

/** Marks an integer-like object key in parseJsonKeyOrdered's result. */
const INDEX_KEY_MARK = '\u0000';
const INDEX_LIKE = /^(0|[1-9][0-9]*)$/;

/** Whether JavaScript lists this key among an object's integer keys (first, ascending), not in written order. */
export function isIndexLikeKey(key: string): boolean {
  return INDEX_LIKE.test(key);
}

/**
 * The written order of each object's keys, which JSON.parse loses for integer-like keys
 * ("0", "12": JavaScript lists them first, ascending; Python's json keeps the text's order):
 * the text parsed again with those keys marked, then `keys(object)` gives them back in order.
 * For the rare body that needs it (records whose columns include such names).
 */
export function parseJsonKeyOrdered(text: string): { doc: unknown; keys: (o: object) => string[] } {
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '"') continue;
    const start = i;
    for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    let j = i + 1;
    while (j < text.length && (text[j] === ' ' || text[j] === '\n' || text[j] === '\r' || text[j] === '\t')) j++;
    if (text[j] === ':' && INDEX_LIKE.test(text.slice(start + 1, i))) {
      out += `${text.slice(last, start + 1)}\\u0000${text.slice(start + 1, i)}`;
      last = i;
    }
  }
  const doc = parseJsonLenient(out + text.slice(last));
  return { doc, keys: (o) => Object.keys(o).map((k) => (k.startsWith(INDEX_KEY_MARK) ? k.slice(1) : k)) };
}
