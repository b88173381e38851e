import { RE2JS } from 're2js';

import type { TextPattern } from './types.js';

/** Maximum pattern length, in characters. */
export const MAX_PATTERN_LENGTH = 1000;

/**
 * Maximum length of a compared value, in characters. A longer value (a huge header field, say) is
 * compared on its first MAX_VALUE_LENGTH characters only, which bounds the time a match
 * takes.
 */
export const MAX_VALUE_LENGTH = 10_000;

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

function compileRegex(source: string): PatternTest {
  const regex = RE2JS.compile(source, RE2JS.CASE_INSENSITIVE | RE2JS.DOTALL);
  return (value) => regex.matcher(value.slice(0, MAX_VALUE_LENGTH)).find();
}

function fold(text: string): string {
  return text.normalize('NFC').toLowerCase();
}
