import { RE2JS } from 're2js';

import type { TextPattern } from './types.js';

/** Maximum pattern length, in characters. */
export const MAX_PATTERN_LENGTH = 1000;

/**
 * Maximum length of a compared value, in characters. A longer value (a huge header field, say) is
 * compared on its first MAX_VALUE_LENGTH characters only, which bounds the time a match
 * takes together with MAX_PROGRAM_SIZE.
 */
export const MAX_VALUE_LENGTH = 1000;

/**
 * Maximum size of a compiled regular expression, in RE2 program instructions
 * (`RE2JS.programSize()`). Matching runs on the main thread, and RE2JS 2.10 costs up to about
 * program size times value length. Counted repetition inflates the program: `[a-z]{1,1000}`
 * alone compiles to about 2,000 instructions, and 76 of them held the server for 53 s on one
 * 2,000-character subject. With 200 instructions and MAX_VALUE_LENGTH, the slowest shape in
 * `node --import tsx bench/regex-cost.ts` took a median of 6 to 9 ms per match (about 45 ms on
 * the first, unoptimized run) on a 2-core machine under a load average of 4 to 6.
 */
export const MAX_PROGRAM_SIZE = 200;

/** RE2JS flags of rule patterns: case-insensitive, and `.` also matches a line break. */
export const RULE_REGEX_FLAGS = RE2JS.CASE_INSENSITIVE | RE2JS.DOTALL;

/** A valid regular expression whose RE2 program is larger than MAX_PROGRAM_SIZE. */
export class PatternTooLargeError extends Error {
  override name = 'PatternTooLargeError';
}

/** Tests one value against a compiled pattern. */
export type PatternTest = (value: string) => boolean;

/**
 * Compiles a pattern, case-insensitive. Regular expressions and wildcards run on RE2JS,
 * whose matching time grows linearly with the input, so a pattern such as `(a+)+$` cannot
 * stall the SMTP endpoint on hostile input the way a backtracking engine would. RE2 syntax
 * has no backreferences or lookaround. Throws when the regular expression is invalid.
 */
export function compilePattern(pattern: TextPattern): PatternTest {
  switch (pattern.type) {
    case 'exact': {
      const expected = fold(pattern.value);
      return (value) => fold(value.slice(0, MAX_VALUE_LENGTH)) === expected;
    }
    case 'wildcard': {
      const source = pattern.value
        .split(/([*?])/)
        .map(wildcardPart)
        .join('');
      return compileRegex(`^${source}$`);
    }
    case 'regex':
      return compileRegex(pattern.value);
  }
}

/** Translates one piece of a wildcard pattern into RE2 syntax. */
function wildcardPart(part: string): string {
  if (part === '*') return '.*';
  if (part === '?') return '.';
  return RE2JS.quote(part);
}

/**
 * Compiles an RE2 regular expression into an unanchored test of the first MAX_VALUE_LENGTH
 * characters of a value. Throws an RE2JS error when the expression is invalid, and
 * PatternTooLargeError when its program is larger than MAX_PROGRAM_SIZE instructions,
 * because such a program can hold the event loop for seconds on one long value.
 */
export function compileRegex(source: string, flags = RULE_REGEX_FLAGS): PatternTest {
  // RE2 writes out m copies of x for `x{n,m}`, so the sum of the upper bounds is about a
  // lower bound of the program size. Checking it first skips compiling a huge program: the
  // largest one RE2JS accepts from 1,000 characters took 0.4 to 1.4 s to compile on a
  // loaded 2-core machine.
  const repetitions = sumRepetitionBounds(source);
  if (repetitions > MAX_PROGRAM_SIZE) {
    throw new PatternTooLargeError(
      `its counted repetitions such as {1,1000} add up to ${repetitions}, more than the ` +
        `maximum of ${MAX_PROGRAM_SIZE}. Use fewer or smaller counted repetitions.`,
    );
  }
  const regex = RE2JS.compile(source, flags);
  const size = regex.programSize();
  if (size > MAX_PROGRAM_SIZE) {
    throw new PatternTooLargeError(
      `the pattern compiles to ${size} RE2 instructions, more than the maximum of ` +
        `${MAX_PROGRAM_SIZE}. Use fewer or smaller counted repetitions such as {1,1000}, or ` +
        'a shorter pattern.',
    );
  }
  return (value) => regex.matcher(value.slice(0, MAX_VALUE_LENGTH)).find();
}

/**
 * Adds up the upper bounds (the lower bound for `{n,}`) of the counted repetitions in an RE2
 * expression, skipping escapes, `\Q...\E` quotes and character classes. Nested repetitions
 * are added, not multiplied, so the sum understates their size.
 */
export function sumRepetitionBounds(source: string): number {
  let sum = 0;
  let index = 0;
  while (index < source.length) {
    const char = source[index];
    if (char === '\\') {
      const next = source[index + 1] ?? '';
      if (next === 'Q') {
        const end = source.indexOf('\\E', index + 2);
        index = end === -1 ? source.length : end + 2;
      } else if ('xpP'.includes(next) && source[index + 2] === '{') {
        // `\x{41}` and `\p{Greek}` are single characters, not repetitions.
        const end = source.indexOf('}', index + 3);
        index = end === -1 ? source.length : end + 1;
      } else {
        index += 2;
      }
    } else if (char === '[') {
      index = classEnd(source, index);
    } else if (char === '{') {
      const repeat = /^\{(\d+)(?:,(\d*))?\}/.exec(source.slice(index, index + 24));
      if (repeat) {
        const max = repeat[2] === undefined || repeat[2] === '' ? repeat[1] : repeat[2];
        sum += Number(max);
        index += repeat[0].length;
      } else {
        index += 1;
      }
    } else {
      index += 1;
    }
  }
  return sum;
}

/** Returns the index after the `]` that closes the character class opened at `start`. */
function classEnd(source: string, start: number): number {
  let index = start + 1;
  if (source[index] === '^') index += 1;
  // A `]` right after `[` or `[^` is a literal member of the class.
  if (source[index] === ']') index += 1;
  while (index < source.length) {
    const char = source[index];
    if (char === '\\') {
      index += 2;
    } else if (source.startsWith('[:', index)) {
      const end = source.indexOf(':]', index + 2);
      index = end === -1 ? index + 1 : end + 2;
    } else if (char === ']') {
      return index + 1;
    } else {
      index += 1;
    }
  }
  return index;
}

function fold(text: string): string {
  return text.normalize('NFC').toLowerCase();
}
