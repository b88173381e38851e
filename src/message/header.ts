/** One header field in the order it appeared. */
export interface HeaderField {
  /** Field name as written, without the colon. */
  name: string;
  /**
   * Field value unfolded (RFC 5322 section 2.2.3: line breaks before whitespace
   * removed), with encoded-words still encoded. Bytes that are not valid UTF-8 are read
   * as windows-1252, because 8-bit header text in the wild is mostly Latin.
   */
  value: string;
}

/** The header block of a message and where it ends. */
export interface MessageHeader {
  fields: HeaderField[];
  /** Byte offset of the first body byte. */
  bodyOffset: number;
  /**
   * True when an empty line ended the header block. False when the block ran into a
   * line that is not a header field, or the message had no body at all.
   */
  endedByBlankLine: boolean;
  /** Problems found while reading the block, for people to read. */
  warnings: string[];
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const latinDecoder = new TextDecoder('windows-1252');

/** A field name is printable US-ASCII except the colon (RFC 5322 section 3.6.8). */
const FIELD_LINE = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/;

/**
 * Reads the header block at the start of a message.
 *
 * Like common mail programs, it never fails. The first line that is neither a field nor
 * a continuation ends the block and counts as body. A leading mbox `From ` line and a
 * UTF-8 byte order mark are skipped. Each such repair is listed in `warnings`.
 */
export function parseHeader(message: Buffer): MessageHeader {
  const fields: HeaderField[] = [];
  const warnings: string[] = [];
  let current: { name: string; parts: Buffer[] } | null = null;
  let offset = 0;

  if (message[0] === 0xef && message[1] === 0xbb && message[2] === 0xbf) {
    offset = 3;
    warnings.push('The message starts with a UTF-8 byte order mark, which was skipped.');
  }

  const flush = (): void => {
    if (current) {
      fields.push({ name: current.name, value: decodeText(Buffer.concat(current.parts)).trim() });
      current = null;
    }
  };

  let lineNumber = 0;
  while (offset < message.length) {
    const { line, next } = readLine(message, offset);
    lineNumber += 1;

    if (line.length === 0) {
      flush();
      return { fields, bodyOffset: next, endedByBlankLine: true, warnings };
    }

    const first = line[0];
    if (first === 0x20 || first === 0x09) {
      if (current) {
        current.parts.push(line);
      } else {
        warnings.push(
          `Line ${lineNumber} is a continuation line with no field before it; skipped.`,
        );
      }
      offset = next;
      continue;
    }

    const text = line.toString('latin1');
    if (lineNumber === 1 && text.startsWith('From ')) {
      warnings.push('The message starts with an mbox "From " line, which was skipped.');
      offset = next;
      continue;
    }

    const match = FIELD_LINE.exec(text);
    if (!match) {
      flush();
      warnings.push(
        `Line ${lineNumber} is not a header field, so the header block ends before it ` +
          'without the blank line that should separate it from the body.',
      );
      return { fields, bodyOffset: offset, endedByBlankLine: false, warnings };
    }

    flush();
    const name = match[1] as string;
    current = { name, parts: [line.subarray(match[0].length)] };
    offset = next;
  }

  flush();
  return { fields, bodyOffset: message.length, endedByBlankLine: false, warnings };
}

/**
 * Returns the message with an empty line inserted where the header block ended without
 * one, so that a MIME parser gets the same header/body split as `parseHeader`. The
 * stored raw source is never changed; this copy is only for parsing.
 */
export function withHeaderSeparator(message: Buffer, header: MessageHeader): Buffer {
  if (header.endedByBlankLine || header.bodyOffset >= message.length) {
    return message;
  }
  return Buffer.concat([
    message.subarray(0, header.bodyOffset),
    Buffer.from('\r\n'),
    message.subarray(header.bodyOffset),
  ]);
}

/** Returns the first value of a field, matching the name case-insensitively. */
export function headerValue(header: MessageHeader, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return header.fields.find((field) => field.name.toLowerCase() === wanted)?.value;
}

function readLine(buffer: Buffer, start: number): { line: Buffer; next: number } {
  const lf = buffer.indexOf(0x0a, start);
  const end = lf === -1 ? buffer.length : lf;
  const next = lf === -1 ? buffer.length : lf + 1;
  const contentEnd = end > start && buffer[end - 1] === 0x0d ? end - 1 : end;
  return { line: buffer.subarray(start, contentEnd), next };
}

function decodeText(bytes: Buffer): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return latinDecoder.decode(bytes);
  }
}
