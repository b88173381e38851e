import { loadIconv } from '../../message/mail-libraries.js';
import type { StoredPart } from './parts.js';

const windows1252 = new TextDecoder('windows-1252');
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The byte behind each character that the header reader's windows-1252 fallback can
 * produce. The WHATWG windows-1252 decoder maps every byte to a different code point,
 * so the mapping can be reversed without loss.
 */
const BYTE_OF_CHARACTER = new Map<string, number>(
  Array.from({ length: 256 }, (_, byte) => [windows1252.decode(Uint8Array.of(byte)), byte]),
);

/**
 * Reads a header value that arrived as raw 8-bit bytes in a legacy charset. The header
 * reader decodes bytes that are not UTF-8 as windows-1252, which turns a Russian or Chinese
 * subject into Latin mojibake. Mail programs then use the charset of the message's first
 * text part, because senders that write raw 8-bit headers write them in that charset.
 *
 * Returns the value decoded in that charset, or null when the value is pure ASCII or valid
 * UTF-8, when no text part names a charset other than UTF-8 or US-ASCII, or when iconv-lite
 * does not know the charset.
 */
export function decodeInBodyCharset(value: string, parts: StoredPart[]): string | null {
  if (!/[\u0080-\uffff]/.test(value)) return null;

  const bytes = toWindows1252Bytes(value);
  if (bytes === null || isUtf8(bytes)) return null;

  const charset = bodyCharset(parts);
  const iconv = loadIconv();
  if (charset === null || !iconv.encodingExists(charset)) return null;
  return iconv.decode(bytes, charset);
}

function toWindows1252Bytes(value: string): Buffer | null {
  const bytes: number[] = [];
  for (const character of value) {
    const byte = BYTE_OF_CHARACTER.get(character);
    if (byte === undefined) return null;
    bytes.push(byte);
  }
  return Buffer.from(bytes);
}

function isUtf8(bytes: Buffer): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function bodyCharset(parts: StoredPart[]): string | null {
  const text = parts.find((part) => part.contentType.startsWith('text/') && part.charset);
  const charset = text?.charset?.trim().toLowerCase() ?? null;
  if (charset === null || ['utf-8', 'utf8', 'us-ascii', 'ascii'].includes(charset)) return null;
  return charset;
}
