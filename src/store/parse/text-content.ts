import type { MessageText } from 'mailparser';
import { pipeline } from 'node:stream/promises';

import { loadMailparser } from '../../message/mail-libraries.js';
import { bufferSource, type OpenMessage } from './message-source.js';
import { MAX_HTML_TO_TEXT_LENGTH, SPLITTER_OPTIONS } from './parser-options.js';

/** The readable content of a message, as mailparser decodes it. */
export interface TextContent {
  /** Every text/plain body part, or the HTML converted to text when there is none. */
  text: string | null;
  /** Every text/html body part, with `cid:` links left as they are. */
  html: string | null;
  /** Reason the HTML could not be converted to text, or null when it was converted. */
  conversionError: string | null;
  /**
   * Subject of the top-level header, decoded. libmime unfolds a line break together with
   * the whitespace after it into one space, which reads better than the RFC 5322
   * unfolding of the header reader, which keeps every whitespace character.
   */
  subject: string | null;
}

/**
 * Reads the text and HTML bodies with mailparser's streaming parser. Attachments are
 * drained without being kept, because the MIME tree pass stores their content.
 *
 * `skipTextToHtml` leaves plain text out of the HTML, so that the viewer shows a text
 * body as text and mailparser's link markup never reaches it. Rejects when mailparser
 * reports an error.
 */
export async function readTextContent(open: OpenMessage): Promise<TextContent> {
  const content = await runMailParser(open);
  if (content.text !== null || content.html === null) {
    return content;
  }
  // mailparser 3 converts HTML to text only for a message that is a single HTML part, or
  // for HTML outside multipart/alternative next to a text part. For any other HTML-only
  // message (HTML inside multipart/related or multipart/mixed) it returns no text, so the
  // HTML is parsed again as a message of its own to get the same conversion, with the
  // same length and nesting limits.
  const converted = await runMailParser(
    bufferSource(Buffer.concat([HTML_ONLY_HEADER, Buffer.from(content.html, 'utf8')])),
  );
  return { ...content, text: converted.text, conversionError: converted.conversionError };
}

const HTML_ONLY_HEADER = Buffer.from('Content-Type: text/html; charset=utf-8\r\n\r\n');

function runMailParser(open: OpenMessage): Promise<TextContent> {
  const { MailParser } = loadMailparser();
  const parser = new MailParser({
    ...SPLITTER_OPTIONS,
    skipTextToHtml: true,
    skipTextLinks: true,
    skipImageLinks: true,
    checksumAlgo: false,
    maxHtmlLengthToParse: MAX_HTML_TO_TEXT_LENGTH,
  });

  return new Promise((resolve, reject) => {
    let content: MessageText | null = null;
    let settled = false;
    const settle = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      if (error) {
        reject(error);
        return;
      }
      resolve({
        text: content?.text ?? null,
        html: content?.html ?? null,
        conversionError: content?.textConversionError?.message ?? null,
        subject: parser.subject ?? null,
      });
    };

    parser.on('data', (data) => {
      if (data.type === 'attachment') {
        // release() lets the parser continue, and the content stream must still be read to its end.
        data.content.resume();
        data.release?.();
      } else {
        content = data;
      }
    });
    // mailparser may report an error and still end, so the first outcome wins.
    parser.once('error', (error: Error) => settle(error));
    parser.once('end', () => settle(null));
    // A read error ends the parse too. pipeline() destroys the source when the parser fails.
    pipeline(open(), parser).catch((error: Error) => settle(error));
  });
}
