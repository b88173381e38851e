/**
 * A recipient pattern of the relay allowlist. Three forms are accepted:
 * - `/REGEX/` or `/REGEX/i`: a JavaScript regular expression tested against the address;
 * - a pattern with `*`: a wildcard that matches any run of characters, such as `*@example.test`;
 * - anything else: one exact address.
 * Wildcards and exact addresses compare without regard to case.
 */
export interface RecipientPattern {
  /** The pattern as configured. */
  source: string;
  test(address: string): boolean;
}

/** Compiles one allowlist entry; throws an Error that names an invalid regular expression. */
export function compileRecipientPattern(source: string): RecipientPattern {
  const trimmed = source.trim();
  if (trimmed === '') throw new Error('An allowlist pattern is empty.');

  const regex = /^\/(.+)\/([a-z]*)$/s.exec(trimmed);
  if (regex) {
    let expression: RegExp;
    try {
      expression = new RegExp(regex[1] as string, (regex[2] as string).replace(/[gy]/g, ''));
    } catch (error) {
      throw new Error(`Invalid allowlist pattern ${trimmed}: ${(error as Error).message}.`, {
        cause: error,
      });
    }
    return { source: trimmed, test: (address) => expression.test(address) };
  }

  if (trimmed.includes('*')) {
    const escaped = trimmed
      .split('*')
      .map((piece) => piece.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    const wildcard = new RegExp(`^${escaped}$`, 'i');
    return { source: trimmed, test: (address) => wildcard.test(address) };
  }

  const exact = trimmed.toLowerCase();
  return { source: trimmed, test: (address) => address.toLowerCase() === exact };
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
