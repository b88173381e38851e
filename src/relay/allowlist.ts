import { RE2JS } from 're2js';

import { compileRegex, type PatternTest } from '../rules/pattern.js';

/**
 * A recipient pattern of the relay allowlist. Three forms are accepted:
 * - `/REGEX/` or `/REGEX/FLAGS`: an RE2 regular expression tested against the address, with
 *   the flags `i` (ignore case), `m` (multiline) and `s` (`.` matches a line break);
 * - a pattern with `*`: a wildcard that matches any run of characters, such as `*@example.test`;
 * - anything else: one exact address.
 * Wildcards and exact addresses compare without regard to case. Regular expressions and
 * wildcards run on RE2JS with the size limits of rule patterns, so matching time grows
 * linearly with the address and a pattern such as `/^(a+)+$/` cannot stall the server.
 */
export interface RecipientPattern {
  /** The pattern as configured. */
  source: string;
  test(address: string): boolean;
}

/** RE2JS flags for the JavaScript-style flags of a `/REGEX/` entry. */
const REGEX_FLAGS: Record<string, number> = {
  i: RE2JS.CASE_INSENSITIVE,
  m: RE2JS.MULTILINE,
  s: RE2JS.DOTALL,
  // `g` and `y` change only how JavaScript iterates over matches, and RE2 is always Unicode.
  g: 0,
  y: 0,
  u: 0,
};

/**
 * Compiles one allowlist entry. Throws an Error that names an invalid or too large regular
 * expression, or an unsupported flag.
 */
export function compileRecipientPattern(source: string): RecipientPattern {
  const trimmed = source.trim();
  if (trimmed === '') throw new Error('An allowlist pattern is empty.');

  const regex = /^\/(.+)\/([a-z]*)$/s.exec(trimmed);
  if (regex) {
    const test = compileChecked(
      trimmed,
      regex[1] as string,
      regexFlags(trimmed, regex[2] as string),
    );
    return { source: trimmed, test };
  }

  if (trimmed.includes('*')) {
    const wildcard = trimmed
      .split('*')
      .map((piece) => RE2JS.quote(piece))
      .join('.*');
    const test = compileChecked(trimmed, `^${wildcard}$`, RE2JS.CASE_INSENSITIVE | RE2JS.DOTALL);
    return { source: trimmed, test };
  }

  const exact = trimmed.toLowerCase();
  return { source: trimmed, test: (address) => address.toLowerCase() === exact };
}

function regexFlags(entry: string, letters: string): number {
  let flags = 0;
  for (const letter of letters) {
    const flag = REGEX_FLAGS[letter];
    if (flag === undefined) {
      throw new Error(
        `Invalid allowlist pattern ${entry}: unsupported flag "${letter}", expected i, m or s.`,
      );
    }
    flags |= flag;
  }
  return flags;
}

function compileChecked(entry: string, expression: string, flags: number): PatternTest {
  try {
    return compileRegex(expression, flags);
  } catch (error) {
    throw new Error(`Invalid allowlist pattern ${entry}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Returns the addresses that no pattern matches. An empty pattern list allows every
 * address, as Mailpit's relay does when no allowlist is configured.
 */
export function rejectedByAllowlist(
  addresses: readonly string[],
  patterns: readonly RecipientPattern[],
): string[] {
  if (patterns.length === 0) return [];
  return addresses.filter((address) => !patterns.some((pattern) => pattern.test(address)));
}
