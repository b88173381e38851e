import { headerValue, parseHeader } from '../../message/header.js';
import { loadLibmime } from '../../message/mail-libraries.js';
import { decodeWords } from './header-summary.js';

/** Maximum length of a download name in characters. Longer names are cut before the extension. */
export const MAX_DOWNLOAD_NAME_LENGTH = 200;

// Characters that separate path segments on any platform the download may land on.
const PATH_SEPARATORS = /[/\\]/g;
// C0 controls and DEL: never useful in a name, and unsafe in a Content-Disposition value.
// eslint-disable-next-line no-control-regex -- the pattern matches control characters on purpose
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;

/**
 * Returns `name` made safe to offer as a download name: each path separator (`/` or `\`)
 * becomes `_`, control characters are removed, surrounding whitespace is trimmed and an
 * overlong name is shortened with its extension kept. Returns null when nothing usable
 * is left (an empty name, `.` or `..`).
 *
 * The store never uses a name as a path: parts are addressed by message id and part id.
 */
export function cleanFileName(name: string): string | null {
  let cleaned = name.replace(PATH_SEPARATORS, '_').replace(CONTROL_CHARACTERS, '').trim();
  if (cleaned === '' || cleaned === '.' || cleaned === '..') {
    return null;
  }
  const characters = Array.from(cleaned);
  if (characters.length > MAX_DOWNLOAD_NAME_LENGTH) {
    const dot = cleaned.lastIndexOf('.');
    const extension = dot > 0 && cleaned.length - dot <= 16 ? cleaned.slice(dot) : '';
    const keep = MAX_DOWNLOAD_NAME_LENGTH - Array.from(extension).length;
    cleaned = characters.slice(0, keep).join('') + extension;
  }
  return cleaned;
}

/** The part fields that `downloadNameFor` reads. */
export interface NamedPart {
  partId: string;
  contentType: string;
  filename: string | null;
  content: Buffer | null;
}

/**
 * Returns the name to offer when a part is downloaded: the sender's file name cleaned by
 * `cleanFileName`, or else a name made from the part. An embedded message is named after
 * its subject (`Inner report.eml`), or `message.eml` when it has none. Any other part
 * becomes `part-<part id>.<extension for its type>`.
 */
export function downloadNameFor(part: NamedPart): string {
  const fromSender = part.filename === null ? null : cleanFileName(part.filename);
  if (fromSender !== null) {
    return fromSender;
  }
  if (isEmbeddedMessage(part.contentType)) {
    return embeddedMessageName(part.content);
  }
  const extension = loadLibmime().detectExtension(part.contentType);
  return `part-${part.partId}.${extension}`;
}

/** True for a part that contains a whole message (RFC 2046 message/rfc822, RFC 6532 message/global). */
export function isEmbeddedMessage(contentType: string): boolean {
  return contentType === 'message/rfc822' || contentType === 'message/global';
}

function embeddedMessageName(content: Buffer | null): string {
  if (content === null) {
    return 'message.eml';
  }
  const subject = headerValue(parseHeader(content), 'subject');
  if (subject === undefined) {
    return 'message.eml';
  }
  const name = cleanFileName(`${decodeWords(subject)}.eml`);
  return name === null || name === '.eml' ? 'message.eml' : name;
}
