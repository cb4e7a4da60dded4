/**
 * Bounds on what a body may make the server build, checked on the text before any parser
 * sees it: JSON nested deeper than `maxDepth` (a stack overflow in any recursive walk), or
 * more than `maxElements` values (array elements in JSON, fields in CSV), which would
 * take far more memory as parsed values than as bytes. One pass over the characters,
 * skipping strings (and quoted CSV fields), allocating nothing.
 */
export interface BodyShapeLimits {
  /** deepest nesting of JSON arrays and objects */
  maxDepth: number;
  /** most JSON array elements, or CSV fields, in one request */
  maxElements: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const NEWLINE = 0x0a;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/** Which limit a body passes, and a sentence saying so. */
export interface ShapeProblem {
  reason: 'json_depth' | 'too_many_elements';
  message: string;
}

function tooDeep(limits: BodyShapeLimits): ShapeProblem {
  return { reason: 'json_depth', message: `The JSON body is nested deeper than the limit of ${limits.maxDepth} levels.` };
}

function tooMany(limits: BodyShapeLimits): ShapeProblem {
  return { reason: 'too_many_elements', message: `The request has more than the limit of ${limits.maxElements} values.` };
}

/** The limit `text` passes, or null when it is within both. */
export function jsonShapeProblem(text: string, limits: BodyShapeLimits): ShapeProblem | null {
  // Per open container: whether it is an array (only array elements are counted).
  const inArray: boolean[] = [];
  let elements = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      for (i++; i < text.length; i++) {
        const inner = text.charCodeAt(i);
        if (inner === BACKSLASH) i++;
        else if (inner === QUOTE) break;
      }
    } else if (code === OPEN_ARRAY || code === OPEN_OBJECT) {
      if (inArray.length >= limits.maxDepth) return tooDeep(limits);
      const isArray = code === OPEN_ARRAY;
      inArray.push(isArray);
      if (isArray) {
        let next = i + 1;
        while (next < text.length && isSpace(text.charCodeAt(next))) next++;
        if (next < text.length && text.charCodeAt(next) !== CLOSE_ARRAY) elements++;
      }
    } else if (code === CLOSE_ARRAY || code === CLOSE_OBJECT) {
      inArray.pop();
    } else if (code === COMMA && inArray[inArray.length - 1] === true) {
      elements++;
    } else {
      continue;
    }
    if (elements > limits.maxElements) return tooMany(limits);
  }
  return null;
}

/** The same for a CSV body: its fields (commas and line ends outside quotes) are counted. */
export function csvShapeProblem(text: string, limits: BodyShapeLimits): ShapeProblem | null {
  let fields = 1;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) quoted = !quoted;
    else if (!quoted && (code === COMMA || code === NEWLINE) && ++fields > limits.maxElements) return tooMany(limits);
  }
  return null;
}
