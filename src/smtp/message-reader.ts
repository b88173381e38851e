import type { Readable } from 'node:stream';

import { BodyWriter, type BodyBuffer } from '../delivery/body-buffer.js';
import { parseHeader, type MessageHeader } from '../message/header.js';

export interface MessageLimits {
  /** Folder for message bodies above `spillThreshold`. It must exist. */
  spillDir: string;
  /** Bodies larger than this many bytes are kept in a temporary file instead of memory. */
  spillThreshold: number;
  /** Maximum message size in bytes, counted after dot-unstuffing. */
  maxMessageSize: number;
  /** Maximum size of the header block in bytes. */
  maxHeaderSize: number;
}

/** Outcome of reading the DATA stream. */
export type ReadResult =
  | { kind: 'complete'; body: BodyBuffer; header: MessageHeader }
  /** The message was read to the final dot but is larger than `maxMessageSize`. */
  | { kind: 'too-large'; size: number }
  /** The header block did not end within `maxHeaderSize` bytes. */
  | { kind: 'header-too-large'; size: number }
  /** The stream failed before the final dot, because the connection closed. */
  | { kind: 'interrupted'; error: unknown };

/**
 * Reads one message from smtp-server's DATA stream as bytes, never as strings. The body
 * goes into a BodyWriter, and a copy of the first `maxHeaderSize` bytes is kept for the
 * header parser, so a large spilled body is never read back to find its header.
 *
 * Throws only when the body could not be written to its temporary file.
 */
export async function readMessage(stream: Readable, limits: MessageLimits): Promise<ReadResult> {
  const writer = new BodyWriter({
    spillDir: limits.spillDir,
    spillThreshold: limits.spillThreshold,
    maxBytes: limits.maxMessageSize,
  });
  const head = new HeadCollector(limits.maxHeaderSize);

  // Awaiting each write pauses the stream while the spill file catches up, so memory
  // keeps about one chunk however slow the disk is.
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      head.add(chunk);
      await writer.write(chunk);
    }
  } catch (error) {
    await writer.discard();
    return { kind: 'interrupted', error };
  }

  if (writer.overflowed) {
    await writer.discard();
    return { kind: 'too-large', size: writer.bytesReceived };
  }

  const body = await writer.finish();
  const header = readHeader(head.bytes(), body.size);
  if (header === null) {
    await body.remove();
    return { kind: 'header-too-large', size: body.size };
  }
  return { kind: 'complete', body, header };
}

/**
 * Parses the header block from the first bytes of a message of `messageSize` bytes.
 * Returns null when the block goes on past those bytes.
 */
export function readHeader(head: Buffer, messageSize: number): MessageHeader | null {
  if (messageSize <= head.length) {
    return parseHeader(head);
  }
  // Parse whole lines only: a field cut in the middle could look like the end of the block.
  const wholeLines = head.lastIndexOf(0x0a) + 1;
  const header = parseHeader(head.subarray(0, wholeLines));
  if (!header.endedByBlankLine && header.bodyOffset >= wholeLines) {
    return null;
  }
  return header;
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
}
