import { Readable } from 'node:stream';

import type { BodyBuffer } from '../../delivery/body-buffer.js';
import type { MessageHeader } from '../../message/header.js';

/** Returns a stream over the message bytes, from the start. A parser pass calls it once. */
export type OpenMessage = () => Readable;

/**
 * Maximum chunk size that the parsers receive, in bytes. mailsplit hands each write's body
 * bytes to the transfer decoder in one piece, and libbase64 turns that piece into a string,
 * so smaller chunks keep those strings small and let the event loop run between them.
 */
export const PARSE_CHUNK_SIZE = 64 * 1024;

const SEPARATOR = Buffer.from('\r\n');

/**
 * Opens the message in `body` for parsing: the bytes in chunks of at most
 * PARSE_CHUNK_SIZE, with an empty line inserted where the header block ended without one.
 * This is the streaming form of `withHeaderSeparator`, so that a MIME parser splits header
 * and body where `parseHeader` did. The stored raw source is never changed.
 */
export function messageSource(body: BodyBuffer, header: MessageHeader): OpenMessage {
  const insertAt =
    header.endedByBlankLine || header.bodyOffset >= body.size ? null : header.bodyOffset;
  return () => Readable.from(withSeparator(body.open(), insertAt));
}

/** Opens a message that is already in memory, in chunks of at most PARSE_CHUNK_SIZE. */
export function bufferSource(message: Buffer): OpenMessage {
  return () => Readable.from(inChunks([message]));
}

async function* withSeparator(
  source: AsyncIterable<Buffer>,
  insertAt: number | null,
): AsyncGenerator<Buffer> {
  let offset = 0;
  for await (const chunk of inChunks(source)) {
    const end = offset + chunk.length;
    if (insertAt !== null && insertAt >= offset && insertAt < end) {
      if (insertAt > offset) {
        yield chunk.subarray(0, insertAt - offset);
      }
      yield SEPARATOR;
      yield chunk.subarray(insertAt - offset);
    } else {
      yield chunk;
    }
    offset = end;
  }
}

// Slices are views, so cutting a large chunk copies nothing.
async function* inChunks(source: AsyncIterable<Buffer> | Iterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    for (let start = 0; start < chunk.length; start += PARSE_CHUNK_SIZE) {
      yield chunk.subarray(start, start + PARSE_CHUNK_SIZE);
    }
  }
}
