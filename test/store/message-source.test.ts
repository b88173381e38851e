import { describe, expect, it } from 'vitest';

import { MemoryBodyBuffer } from '../../src/delivery/body-buffer.js';
import { parseHeader, withHeaderSeparator } from '../../src/message/header.js';
import { messageSource, PARSE_CHUNK_SIZE } from '../../src/store/parse/message-source.js';

async function readChunks(stream: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(chunk);
  }
  return chunks;
}

/** Builds a message whose header block runs into the body `headerLength` bytes in. */
function headerRunningIntoBody(headerLength: number, bodyLength: number): Buffer {
  const prefix = 'Subject: x\r\nX-Fill: ';
  const fill = 'f'.repeat(headerLength - prefix.length - 2);
  const body = 'b'.repeat(bodyLength);
  return Buffer.from(`${prefix}${fill}\r\n${body}`);
}

describe('messageSource', () => {
  it.each([
    ['inside the first chunk', 100],
    ['at the start of the second chunk', PARSE_CHUNK_SIZE],
    ['inside the second chunk', PARSE_CHUNK_SIZE + 10],
  ])('inserts the blank line %s', async (_label, headerLength) => {
    const message = headerRunningIntoBody(headerLength, 3 * PARSE_CHUNK_SIZE);
    const header = parseHeader(message);
    expect(header.endedByBlankLine).toBe(false);
    expect(header.bodyOffset).toBe(headerLength);

    const open = messageSource(new MemoryBodyBuffer(message), header);
    const chunks = await readChunks(open());

    expect(Buffer.concat(chunks).equals(withHeaderSeparator(message, header))).toBe(true);
    expect(chunks.every((chunk) => chunk.length > 0)).toBe(true);
    expect(Math.max(...chunks.map((chunk) => chunk.length))).toBe(PARSE_CHUNK_SIZE);
  });

  it('passes a message with a blank line unchanged', async () => {
    const message = Buffer.from(`Subject: x\r\n\r\n${'b'.repeat(2 * PARSE_CHUNK_SIZE + 5)}`);
    const header = parseHeader(message);

    const open = messageSource(new MemoryBodyBuffer(message), header);
    const first = await readChunks(open());
    const second = await readChunks(open());

    expect(Buffer.concat(first).equals(message)).toBe(true);
    expect(first.map((chunk) => chunk.length)).toEqual([PARSE_CHUNK_SIZE, PARSE_CHUNK_SIZE, 19]);
    expect(Buffer.concat(second).equals(message)).toBe(true);
  });
});
