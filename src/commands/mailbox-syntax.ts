/**
 * Characters of an RFC 5321 Atom: ASCII letters, digits and the atext symbols, plus any
 * non-ASCII character from U+00A0 up, which RFC 6531 (SMTPUTF8) allows. Whitespace, control characters
 * and the specials ()<>[]:;@\,." are excluded.
 */
const ATOM = "[A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~\\u00a0-\\u{10FFFF}]+";
const DOT_STRING = `${ATOM}(?:\\.${ATOM})*`;
/** RFC 5321 Quoted-string: printable ASCII, with `"` and `\` only as quoted pairs. */
const QUOTED_STRING =
  '"(?:[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e\\u00a0-\\u{10FFFF}]|\\\\[\\x20-\\x7e])*"';
/** A domain name label of letters, digits and inner hyphens; U-labels may be non-ASCII. */
const LABEL =
  '[A-Za-z0-9\\u00a0-\\u{10FFFF}](?:[A-Za-z0-9\\-\\u00a0-\\u{10FFFF}]*[A-Za-z0-9\\u00a0-\\u{10FFFF}])?';
const DOMAIN = `${LABEL}(?:\\.${LABEL})*`;
/** An address literal such as [192.0.2.1] or [IPv6:2001:db8::1]. */
const ADDRESS_LITERAL = '\\[[\\x21-\\x5a\\x5e-\\x7e]+\\]';

const MAILBOX = new RegExp(
  `^(?:${DOT_STRING}|${QUOTED_STRING})(?:@(?:${DOMAIN}|${ADDRESS_LITERAL}))?$`,
  'u',
);

/**
 * Returns true when `address` is a mailbox that MAIL FROM or RCPT TO can carry: an RFC 5321
 * local part, then `@` and a domain or address literal. The domain may be left out, as in
 * `root`, because sendmail delivers such local names, which cron uses.
 */
export function isMailbox(address: string): boolean {
  return MAILBOX.test(address);
}
