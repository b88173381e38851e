import type { MessageHeader } from '../../message/header.js';
import { loadLibmime } from '../../message/mail-libraries.js';
import type { StoredPart } from './parts.js';

// Charset names seen so far, with whether libmime decodes them. Bounded because the
// names come from senders.
const supportCache = new Map<string, boolean>();
const MAX_CACHED_CHARSETS = 256;

/**
 * Tells whether libmime decodes `charset`. For a name it does not know (or rejects, such
 * as UTF-7) libmime decodes the bytes as UTF-8 instead, and the text may then show
 * replacement characters.
 */
export function isSupportedCharset(charset: string): boolean {
  const key = charset.trim().toLowerCase();
  let supported = supportCache.get(key);
  if (supported === undefined) {
    supported = loadLibmime().createDecodeStream(key).supported;
    if (supportCache.size >= MAX_CACHED_CHARSETS) {
      supportCache.clear();
    }
    supportCache.set(key, supported);
  }
  return supported;
}

// =?charset?encoding?text?= with an optional RFC 2231 language suffix (`*lang`).
const ENCODED_WORD_CHARSET = /=\?([^?*\s]+)(?:\*[^?]*)?\?[bq]\?/gi;

/**
 * Lists a warning for every charset that the message declares and libmime cannot decode:
 * in encoded-words of header fields and in the charset of text body parts. Each
 * warning names where the charset was found and states that UTF-8 was used.
 */
export function charsetWarnings(header: MessageHeader, parts: StoredPart[]): string[] {
  const warnings: string[] = [];

  for (const field of header.fields) {
    const seen = new Set<string>();
    for (const match of field.value.matchAll(ENCODED_WORD_CHARSET)) {
      const charset = match[1] ?? '';
      if (seen.has(charset.toLowerCase()) || isSupportedCharset(charset)) continue;
      seen.add(charset.toLowerCase());
      warnings.push(
        `The ${field.name} header uses the unknown charset "${charset}", ` +
          'so it was decoded as UTF-8.',
      );
    }
  }

  for (const part of parts) {
    if (part.kind !== 'body' || part.charset === null || isSupportedCharset(part.charset)) {
      continue;
    }
    warnings.push(
      `Part ${part.partId} (${part.contentType}) declares the unknown charset ` +
        `"${part.charset}", so its text was decoded as UTF-8.`,
    );
  }
  return warnings;
}
