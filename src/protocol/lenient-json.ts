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
