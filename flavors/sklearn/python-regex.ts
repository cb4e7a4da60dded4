/**
 * A Python `re` pattern (as scikit-learn's token_pattern holds it) as a JavaScript RegExp with
 * the same matches on str: `\w` is Python's Unicode word class (letters, numbers, `_`; not
 * marks), `\b` its boundary, `\s` Python's str.isspace set, `\d` decimal digits, `.` anything
 * but `\n`, `$` the end or before a final newline. Named groups and `{,n}` are rewritten; inline
 * flags other than (?u), (?i) and (?a) at the start, and constructs JavaScript reads differently,
 * are refused rather than guessed.
 */

/** Python's str.isspace characters (JavaScript's \s minus U+FEFF, plus U+001C–U+001F and U+0085). */
export const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

export class UnsupportedPattern extends Error {}

export interface PythonRegex {
  readonly regex: RegExp;
  readonly groups: number;
}

export function pythonRegex(pattern: string): PythonRegex {
  let src = pattern;
  let ascii = false;
  let flags = 'gu';
  const inline = /^\(\?([a-zA-Z]+)\)/.exec(src);
  if (inline) {
    for (const f of inline[1]!) {
      if (f === 'u') continue;
      if (f === 'i') flags += 'i';
      else if (f === 'a') ascii = true;
      else throw new UnsupportedPattern(`inline flag (?${f})`);
    }
    src = src.slice(inline[0].length);
  }
  const word = ascii ? 'A-Za-z0-9_' : '\\p{L}\\p{N}_';
  const digit = ascii ? '0-9' : '\\p{Nd}';
  const space = ascii ? ' \\t\\n\\r\\f\\v' : PY_SPACE;
  const boundary = `(?:(?<=[${word}])(?![${word}])|(?<![${word}])(?=[${word}]))`;
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      const e = src[++i];
      if (e === undefined) throw new UnsupportedPattern('a trailing backslash');
      const classes: Record<string, string> = { w: word, d: digit, s: space };
      const lower = e.toLowerCase();
      if (lower in classes) {
        const negated = e !== lower;
        if (inClass) {
          if (negated) throw new UnsupportedPattern(`\\${e} inside a character class`);
          out += classes[lower];
        } else out += `[${negated ? '^' : ''}${classes[lower]}]`;
      } else if (e === 'b' && !inClass) out += boundary;
      else if (e === 'B' && !inClass) out += `(?!${boundary})`;
      else if (e === 'A' && !inClass) out += '(?<![\\s\\S])';
      else if (e === 'Z' && !inClass) out += '(?![\\s\\S])';
      else if ('tnrfv'.includes(e)) out += `\\${e}`;
      else if (e === 'x' || e === 'u' || e === 'U') {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = src.slice(i + 1, i + 1 + len);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) throw new UnsupportedPattern(`\\${e}${hex}`);
        out += `\\u{${parseInt(hex, 16).toString(16)}}`;
        i += len;
      } else if (/[0-9]/.test(e)) throw new UnsupportedPattern(`back-reference \\${e}`);
      else if (/[A-Za-z]/.test(e)) throw new UnsupportedPattern(`escape \\${e}`);
      else out += `\\u{${e.codePointAt(0)!.toString(16)}}`;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      if (c === '[') out += '\\[';
      else out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (src[i + 1] === '^') out += src[++i];
      if (src[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '.') out += '[^\\n]';
    else if (c === '$') out += '(?=\\n?(?![\\s\\S]))';
    else if (c === '(' && src[i + 1] === '?') {
      const rest = src.slice(i);
      const named = /^\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      const ref = /^\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/.exec(rest);
      if (named) {
        out += `(?<${named[1]}>`;
        i += named[0].length - 1;
      } else if (ref) {
        out += `\\k<${ref[1]}>`;
        i += ref[0].length - 1;
      } else if (/^\(\?(:|=|!|<=|<!)/.test(rest)) out += '(';
      else throw new UnsupportedPattern(`group ${rest.slice(0, 4)}`);
    } else if (c === '{' || c === '}') {
      // a quantifier {m,n} ({,n} is {0,n} in Python) stays; a literal brace (Python allows it bare) is escaped
      const q = c === '{' ? /^\{(\d*)(,(\d*))?\}/.exec(src.slice(i)) : null;
      if (q && (q[1] !== '' || (q[2] !== undefined && q[3] !== ''))) {
        out += `{${q[1] || '0'}${q[2] ?? ''}}`;
        i += q[0].length - 1;
      } else out += `\\${c}`;
    } else out += c;
  }
  let regex: RegExp;
  try {
    regex = new RegExp(out, flags);
  } catch (err) {
    throw new UnsupportedPattern((err as Error).message);
  }
  const groups = new RegExp(`${out}|`, flags.replace('g', '')).exec('')!.length - 1;
  return { regex, groups };
}

/** re.findall: every non-overlapping match (its one group when the pattern has one). */
export function findAll(p: PythonRegex, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(p.regex)) out.push(p.groups === 1 ? (m[1] ?? '') : m[0]);
  return out;
}
