/** Tags that separate words: a block element's start or end tag, or a line break. */
const BLOCK_TAG =
  /<\/?(?:p|div|br|hr|li|ul|ol|dl|dt|dd|tr|td|th|table|tbody|thead|h[1-6]|blockquote|pre|section|article|header|footer|nav|img)\b[^>]*>/gi;

/**
 * Extracts the words of an HTML body for the search index. The content of `script`,
 * `style`, `head` and comments is dropped. A block tag becomes a space, and an inline tag
 * is removed, so `ma<i>chines</i>` reads as one word. Character references are decoded.
 * It keeps no layout, because only the words are searched.
 */
export function htmlToSearchText(html: string): string {
  return decodeCharacterReferences(
    html
      .replace(/<!--[\s\S]*?-->/g, ' ')
      .replace(/<(script|style|head|title)\b[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(BLOCK_TAG, ' ')
      .replace(/<[^>]*>/g, ''),
  );
}

const NAMED_REFERENCES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  copy: '©',
  reg: '®',
  euro: '€',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  zwnj: '',
  zwj: '',
};

/**
 * Decodes numeric references and the named references above. Other named references stay
 * as written.
 */
function decodeCharacterReferences(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);?/gi, (reference, body: string) => {
    if (body.startsWith('#')) {
      const code =
        body[1] === 'x' || body[1] === 'X'
          ? Number.parseInt(body.slice(2), 16)
          : Number.parseInt(body.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : ' ';
    }
    return NAMED_REFERENCES[body.toLowerCase()] ?? reference;
  });
}
