// Bounds on a JSON body, checked by one pass over its bytes before JSON.parse
// builds anything. JSON.parse itself has no limits: a 4 MiB body of `[[[[…` or
// `[{},{},…` becomes millions of objects (hundreds of MiB) and holds the event
// loop while it does. The scan allocates nothing per byte, skips string contents
// with a native search for the closing quote, and costs less than the parse it
// guards (measured in docs/BENCHMARKS.md, "Reliability"). No npm parser enforces
// depth, member, value and string limits while parsing, and a JavaScript
// streaming parser is several times slower than JSON.parse, hence a pre-scan.
//
// The scan does not validate JSON: it only follows its structure. For a valid
// document it sees exactly what JSON.parse will build; anything it cannot follow
// is invalid JSON, which JSON.parse then refuses.

export interface JsonLimits {
  /** Deepest nesting of arrays and objects (the top-level value is depth 1). */
  readonly maxDepth: number;
  /** Most elements in one array, or members in one object. */
  readonly maxMembers: number;
  /** Most values in the whole document (objects, arrays, strings, numbers, literals; keys not counted). */
  readonly maxValues: number;
  /** Longest string, object key or number, in bytes as sent (escapes count as written). */
  readonly maxStringBytes: number;
}

/** A limit the document goes beyond: which one, its value, and where the scan noticed. */
export interface JsonLimitViolation {
  readonly limit: keyof JsonLimits;
  readonly max: number;
  /** Byte offset in the body. */
  readonly offset: number;
  readonly reason: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

const IN_ARRAY = 1;
const IN_OBJECT = 2;

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isStructural(c: number): boolean {
  return c === COMMA || c === COLON || c === OPEN_ARRAY || c === CLOSE_ARRAY || c === OPEN_OBJECT || c === CLOSE_OBJECT || c === QUOTE;
}

/** Offset of the quote closing the string whose opening quote is at `open`, or -1. */
function closingQuote(body: Uint8Array, open: number): number {
  let from = open + 1;
  for (;;) {
    const q = body.indexOf(QUOTE, from);
    if (q < 0) return -1;
    let slashes = 0;
    while (body[q - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q;
    from = q + 1;
  }
}

/** The first limit `body` goes beyond, or undefined when it is within all of them. */
export function findJsonLimitViolation(body: Uint8Array, limits: JsonLimits): JsonLimitViolation | undefined {
  const violation = (limit: keyof JsonLimits, offset: number, what: string): JsonLimitViolation => ({
    limit, max: limits[limit], offset, reason: `${what} (limit ${limits[limit]}, at byte ${offset})`,
  });
  // Per open container: its kind and the commas seen in it (members = commas + 1).
  const kinds: number[] = [0];
  const commas: number[] = [0];
  let depth = 0;
  let values = 0;
  let expectKey = false; // in an object, after `{` or `,`: the next string is a key
  const n = body.length;
  let i = 0;
  while (i < n) {
    const c = body[i];
    if (c === QUOTE) {
      const end = closingQuote(body, i);
      if (end < 0) return undefined; // unterminated: invalid JSON
      if (end - i - 1 > limits.maxStringBytes) return violation('maxStringBytes', i, `a string of ${end - i - 1} bytes`);
      if (expectKey) expectKey = false;
      else if (++values > limits.maxValues) return violation('maxValues', i, 'too many values');
      i = end + 1;
      continue;
    }
    if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > limits.maxDepth) return violation('maxDepth', i, `nesting deeper than ${limits.maxDepth}`);
      if (++values > limits.maxValues) return violation('maxValues', i, 'too many values');
      kinds[depth] = c === OPEN_ARRAY ? IN_ARRAY : IN_OBJECT;
      commas[depth] = 0;
      expectKey = c === OPEN_OBJECT;
      i++;
      continue;
    }
    if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      if (depth === 0) return undefined; // unbalanced: invalid JSON
      depth--;
      expectKey = false;
      i++;
      continue;
    }
    if (c === COMMA) {
      if (depth === 0) return undefined;
      if (++commas[depth] >= limits.maxMembers) {
        return violation('maxMembers', i, `more than ${limits.maxMembers} ${kinds[depth] === IN_ARRAY ? 'elements in an array' : 'members in an object'}`);
      }
      expectKey = kinds[depth] === IN_OBJECT;
      i++;
      continue;
    }
    if (c === COLON || isWhitespace(c)) {
      i++;
      continue;
    }
    // A number or literal: runs to the next structural or whitespace byte.
    const start = i;
    while (i < n && !isStructural(body[i]) && !isWhitespace(body[i])) i++;
    if (i - start > limits.maxStringBytes) return violation('maxStringBytes', start, `a number or literal of ${i - start} bytes`);
    if (++values > limits.maxValues) return violation('maxValues', start, 'too many values');
  }
  return undefined;
}
