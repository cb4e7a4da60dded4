/**
 * JSON as XGBoost and Python write it: both emit bare NaN / Infinity tokens (XGBoost for the
 * split condition of a categorical node, Python's json for `"missing": NaN` in the sklearn
 * attributes), which JSON.parse rejects.
 */

const MARK = '__flowgate_nonfinite__:';

export function parseJsonAllowingNonFinite(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (!/NaN|Infinity/.test(text)) throw err;
  }
  // Quote the bare tokens (strings are matched first so tokens inside them stay as they are),
  // then turn them back into numbers.
  const quoted = text.replace(/"(?:[^"\\]|\\.)*"|(-?(?:NaN|Infinity))/g, (match, token?: string) =>
    token === undefined ? match : `"${MARK}${token}"`,
  );
  return JSON.parse(quoted, (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith(MARK) ? Number(value.slice(MARK.length)) : value,
  );
}
