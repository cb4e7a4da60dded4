/**
 * Bounds on what a body may make the server build, checked on the bytes as they arrive,
 * before any parser sees them: JSON nested deeper than `maxDepth` (a stack overflow in any recursive walk), or
 * more than `maxElements` values (array elements in JSON, fields in CSV), which would
 * take far more memory as parsed values than as bytes. One pass over the UTF-8 bytes, a
 * chunk at a time as the body is read (so a large body never holds the event loop for one
 * long scan; every byte of a multi-byte character is ≥ 0x80, so none is taken for a quote,
 * comma or bracket), skipping strings (and quoted CSV fields), allocating nothing per byte.
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

/** Fed a body chunk by chunk; `problem` is the limit it passes, or null while it is within both. */
export interface ShapeScanner {
  feed(chunk: Uint8Array): void;
  readonly problem: ShapeProblem | null;
}

export function jsonShapeScanner(limits: BodyShapeLimits): ShapeScanner {
  // Per open container: whether it is an array (only array elements are counted).
  const inArray: boolean[] = [];
  let elements = 0;
  let inString = false;
  let escaped = false;
  /** an array was opened and no byte but spaces followed yet: its first element is not counted yet */
  let opened = false;
  let problem: ShapeProblem | null = null;
  return {
    get problem() {
      return problem;
    },
    feed(chunk) {
      for (let i = 0; i < chunk.length && problem === null; i++) {
        const code = chunk[i]!;
        if (inString) {
          if (escaped) escaped = false;
          else if (code === BACKSLASH) escaped = true;
          else if (code === QUOTE) inString = false;
          continue;
        }
        if (opened) {
          if (isSpace(code)) continue;
          opened = false;
          if (code !== CLOSE_ARRAY && ++elements > limits.maxElements) problem = tooMany(limits);
        }
        if (code === QUOTE) {
          inString = true;
        } else if (code === OPEN_ARRAY || code === OPEN_OBJECT) {
          if (inArray.length >= limits.maxDepth) problem = tooDeep(limits);
          inArray.push(code === OPEN_ARRAY);
          opened = code === OPEN_ARRAY;
        } else if (code === CLOSE_ARRAY || code === CLOSE_OBJECT) {
          inArray.pop();
        } else if (code === COMMA && inArray[inArray.length - 1] === true && ++elements > limits.maxElements) {
          problem = tooMany(limits);
        }
      }
    },
  };
}

/**
 * `scanner` fed only the first `length` bytes of a body (V2's binary tensor data: the limits
 * apply to the JSON header, the tensors' bytes are bounded by their declared shapes).
 */
export function prefixScanner(scanner: ShapeScanner, length: number): ShapeScanner {
  let left = length;
  return {
    get problem() {
      return scanner.problem;
    },
    feed(chunk) {
      if (!(left > 0)) return; // all of it fed, or no length at all (NaN)
      const part = chunk.length <= left ? chunk : chunk.subarray(0, left);
      left -= part.length;
      scanner.feed(part);
    },
  };
}

/** The same for a CSV body: its fields (commas and line ends outside quotes) are counted. */
export function csvShapeScanner(limits: BodyShapeLimits): ShapeScanner {
  let fields = 1;
  let quoted = false;
  let problem: ShapeProblem | null = null;
  return {
    get problem() {
      return problem;
    },
    feed(chunk) {
      for (let i = 0; i < chunk.length && problem === null; i++) {
        const code = chunk[i]!;
        if (code === QUOTE) quoted = !quoted;
        else if (!quoted && (code === COMMA || code === NEWLINE) && ++fields > limits.maxElements) problem = tooMany(limits);
      }
    },
  };
}
