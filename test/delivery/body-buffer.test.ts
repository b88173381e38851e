import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  BodyWriter,
  FileBodyBuffer,
  MemoryBodyBuffer,
  readInChunks,
} from '../../src/delivery/body-buffer.js';

let spillDir: string;

beforeEach(async () => {
  spillDir = await mkdtemp(path.join(tmpdir(), 'mailscope-body-'));
});

afterEach(async () => {
  await rm(spillDir, { recursive: true, force: true });
});

const chunks = (count: number, size: number): Buffer[] =>
  Array.from({ length: count }, (_, i) => Buffer.alloc(size, 0x41 + (i % 26)));

describe('BodyWriter', () => {
  it('keeps a small body in memory', async () => {
    const writer = new BodyWriter({ spillDir, spillThreshold: 1024, maxBytes: 4096 });
    writer.write(Buffer.from('Subject: x\r\n\r\n'));
    writer.write(Buffer.from('hello\r\n'));
    const body = await writer.finish();

    expect(body).toBeInstanceOf(MemoryBodyBuffer);
    expect((await body.readAll()).toString()).toBe('Subject: x\r\n\r\nhello\r\n');
    expect(await readdir(spillDir)).toEqual([]);
  });

  it('spills to a file past the threshold and keeps every byte in order', async () => {
    const parts = chunks(40, 100);
    const writer = new BodyWriter({ spillDir, spillThreshold: 1000, maxBytes: 10_000 });
    for (const part of parts) writer.write(part);
    const body = await writer.finish();

    expect(body).toBeInstanceOf(FileBodyBuffer);
    expect(body.size).toBe(4000);
    expect((await body.readAll()).equals(Buffer.concat(parts))).toBe(true);
    expect(await text(body.open())).toBe(Buffer.concat(parts).toString());
    expect(await readdir(spillDir)).toHaveLength(1);

    await body.remove();
    expect(await readdir(spillDir)).toEqual([]);
  });

  it('counts bytes past maxBytes without keeping them', async () => {
    const writer = new BodyWriter({ spillDir, spillThreshold: 100, maxBytes: 250 });
    for (const part of chunks(10, 100)) writer.write(part);
    const body = await writer.finish();

    expect(writer.bytesReceived).toBe(1000);
    expect(writer.overflowed).toBe(true);
    expect(body.size).toBe(250);
    await body.remove();
  });

  it('reuses nothing from a chunk the caller changes after write()', async () => {
    const writer = new BodyWriter({ spillDir, spillThreshold: 4, maxBytes: 100 });
    const chunk = Buffer.from('abcdefgh');
    writer.write(chunk);
    chunk.fill(0x7a);
    const body = await writer.finish();

    expect((await body.readAll()).toString()).toBe('abcdefgh');
    await body.remove();
  });

  it('deletes the spill file on discard()', async () => {
    const writer = new BodyWriter({ spillDir, spillThreshold: 10, maxBytes: 1000 });
    for (const part of chunks(5, 100)) writer.write(part);
    await writer.discard();

    expect(await readdir(spillDir)).toEqual([]);
  });

  it('reports a spill folder that cannot be written', async () => {
    const missing = path.join(spillDir, 'missing');
    const writer = new BodyWriter({ spillDir: missing, spillThreshold: 10, maxBytes: 1000 });
    for (const part of chunks(5, 100)) writer.write(part);

    await expect(writer.finish()).rejects.toThrow(/ENOENT/);
  });
});

describe('MemoryBodyBuffer', () => {
  it('keeps its size after remove()', async () => {
    const body = new MemoryBodyBuffer(Buffer.from('twelve bytes'));
    await body.remove();

    expect(body.size).toBe(12);
    expect((await body.readAll()).length).toBe(0);
  });
});

describe('readInChunks', () => {
  async function collect(pieces: Buffer[], size: number): Promise<Buffer[]> {
    const result: Buffer[] = [];
    for await (const chunk of readInChunks(Readable.from(pieces), size)) result.push(chunk);
    return result;
  }

  it('joins and splits at the size', async () => {
    const pieces = [Buffer.from('abc'), Buffer.from('defgh'), Buffer.from('ij')];
    const result = await collect(pieces, 4);
    expect(result.map((chunk) => chunk.toString())).toEqual(['abcd', 'efgh', 'ij']);
  });

  it('ends on an exact multiple', async () => {
    const result = await collect([Buffer.from('abcdefgh')], 4);
    expect(result.map((chunk) => chunk.toString())).toEqual(['abcd', 'efgh']);
  });

  it('yields nothing for an empty stream', async () => {
    expect(await collect([], 4)).toEqual([]);
  });

  it('reads a spilled body', async () => {
    const writer = new BodyWriter({ spillDir, spillThreshold: 10, maxBytes: 1 << 20 });
    for (const chunk of chunks(5, 100_000)) await writer.write(chunk);
    const body = await writer.finish();
    expect(body).toBeInstanceOf(FileBodyBuffer);

    const result: Buffer[] = [];
    for await (const chunk of readInChunks(body.open(), 65_536)) result.push(chunk);
    expect(result.map((chunk) => chunk.length)).toEqual([
      65_536, 65_536, 65_536, 65_536, 65_536, 65_536, 65_536, 41_248,
    ]);
    expect(Buffer.concat(result).equals(Buffer.concat(chunks(5, 100_000)))).toBe(true);
    await body.remove();
  });
});
