import type { Readable } from 'node:stream';

import { BodyWriter, type BodyBuffer } from '../delivery/body-buffer.js';
import { parseHeader, type MessageHeader } from '../message/header.js';
import { LimitScanner, type LimitViolation, type LineLimits } from './limit-scanner.js';

export interface MessageLimits extends LineLimits {
  /** Folder for message bodies above `spillThreshold`. It must exist. */
  spillDir: string;
  /** Bodies larger than this many bytes are kept in a temporary file instead of memory. */
  spillThreshold: number;
  /** Maximum message size in bytes, counted after dot-unstuffing. */
  maxMessageSize: number;
}

/** Outcome of reading the DATA stream. */
export type ReadResult =
  | { kind: 'complete'; body: BodyBuffer; header: MessageHeader }
  /** The message was read to the final dot but is larger than `maxMessageSize`. */
  | { kind: 'too-large'; size: number }
  /** The message broke a header or line limit; nothing of it was kept past that point. */
  | { kind: 'limit-exceeded'; violation: LimitViolation; size: number }
  /** The stream failed before the final dot, because the connection closed. */
  | { kind: 'interrupted'; error: unknown };

/**
 * Reads one message from smtp-server's DATA stream as bytes, never as strings. The body
 * goes into a BodyWriter, and a copy of the first bytes, as many as a header block within
 * the limits takes, is kept for the header parser, so a large spilled body is never read
 * back to find its header.
 *
 * The header and line limits are checked as the bytes arrive. From the first violation
 * on, nothing more is kept: the rest of the stream is only counted, up to the final dot.
 *
 * Throws only when the body could not be written to its temporary file.
 */
export async function readMessage(stream: Readable, limits: MessageLimits): Promise<ReadResult> {
  const writer = new BodyWriter({
    spillDir: limits.spillDir,
    spillThreshold: limits.spillThreshold,
    maxBytes: limits.maxMessageSize,
  });
  const scanner = new LimitScanner(limits);
  // A header block within the limit and its blank line (CRLF), or the header block and the
  // start of the first body line up to the byte that is not allowed in a field.
  const head = new HeadCollector(limits.maxHeaderSize + 2);
  let size = 0;

  // Awaiting each write pauses the stream while the spill file catches up, so memory
  // keeps about one chunk however slow the disk is.
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (scanner.exceeded !== null) {
        continue;
      }
      if (scanner.add(chunk) !== null) {
        await writer.discard();
        head.clear();
        continue;
      }
      head.add(chunk);
      await writer.write(chunk);
    }
  } catch (error) {
    await writer.discard();
    return { kind: 'interrupted', error };
  }

  if (scanner.exceeded !== null) {
    return { kind: 'limit-exceeded', violation: scanner.exceeded, size };
  }
  if (writer.overflowed) {
    await writer.discard();
    return { kind: 'too-large', size: writer.bytesReceived };
  }

  const body = await writer.finish();
  // The parser gets the bytes up to where the scanner found the end of the header block,
  // so the two agree, whatever the size of the whole message. A message that ended inside
  // its header block is in the head whole.
  const headBytes = head.bytes();
  const header = parseHeader(headBytes.subarray(0, scanner.headerParseLength ?? headBytes.length));
  return { kind: 'complete', body, header };
}

/** Copies the first `limit` bytes of a stream. */
class HeadCollector {
  private readonly chunks: Buffer[] = [];
  private length = 0;

  constructor(private readonly limit: number) {}

  add(chunk: Buffer): void {
    const room = this.limit - this.length;
    if (room <= 0) {
      return;
    }
    // Copy, so that the head does not keep alive the larger socket buffers it was cut from.
    const part = Buffer.from(chunk.subarray(0, room));
    this.chunks.push(part);
    this.length += part.length;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }

  clear(): void {
    this.chunks.length = 0;
    this.length = 0;
  }
}
