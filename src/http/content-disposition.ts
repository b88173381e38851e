// Path separators on any platform the file may be saved on.
const PATH_SEPARATORS = /[/\\]/g;
// Everything outside printable ASCII, which the plain `filename` parameter cannot carry.
const NOT_PRINTABLE_ASCII = /[^\u0020-\u007e]/gu;
// A UTF-16 surrogate without its pair, which encodeURIComponent rejects with a URIError.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// RFC 6266 appendix D: some user agents percent-decode `filename`, so `%` followed by two
// hex digits must not reach them.
const PERCENT_ESCAPE = /%(?=[0-9a-f]{2})/gi;

/**
 * Builds a Content-Disposition header value (RFC 6266) that offers `filename` to every
 * user agent: an ASCII `filename` parameter in which each character outside printable
 * ASCII becomes `_`, and the exact name as UTF-8 in `filename*` (RFC 8187). Path
 * separators become `_` in both forms, so that the name cannot point into a folder.
 */
export function contentDisposition(type: 'attachment' | 'inline', filename: string): string {
  const name = filename.replace(PATH_SEPARATORS, '_').replace(LONE_SURROGATE, '\uFFFD');
  const fallback = name
    .replace(NOT_PRINTABLE_ASCII, '_')
    .replace(PERCENT_ESCAPE, '_')
    .replace(/"/g, '\\"');
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encodeExtendedValue(name)}`;
}

/**
 * Percent-encodes UTF-8 text for an RFC 8187 extended parameter value. encodeURIComponent
 * leaves `'`, `(`, `)` and `*` as they are, but RFC 8187 allows them only encoded.
 */
function encodeExtendedValue(text: string): string {
  return encodeURIComponent(text).replace(
    /['()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
