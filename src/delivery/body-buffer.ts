import { createReadStream } from 'node:fs';
import { open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';

/**
 * The bytes of one message, re-readable any number of times. The bytes are never
 * decoded into a JS string here, so the buffer returns exactly what the client sent
 * (after dot-unstuffing).
 */
export interface BodyBuffer {
  /** Length in bytes. */
  readonly size: number;
  /** Opens a new stream over the bytes from the start. */
  open(): Readable;
  /** Reads every byte into one Buffer. */
  readAll(): Promise<Buffer>;
  /** Frees the memory or deletes the file behind the buffer. Safe to call twice. */
  remove(): Promise<void>;
}

/** A body held in memory. */
export class MemoryBodyBuffer implements BodyBuffer {
  /** Length in bytes, which stays the message's size after `remove`. */
  readonly size: number;

  constructor(private bytes: Buffer) {
    this.size = bytes.length;
  }

  open(): Readable {
    return Readable.from([this.bytes]);
  }

  async readAll(): Promise<Buffer> {
    return this.bytes;
  }

  async remove(): Promise<void> {
    this.bytes = Buffer.alloc(0);
  }
}

/** A body spilled to a temporary file. */
export class FileBodyBuffer implements BodyBuffer {
  private removed = false;

  constructor(
    readonly filePath: string,
    readonly size: number,
  ) {}

  open(): Readable {
    return createReadStream(this.filePath);
  }

  readAll(): Promise<Buffer> {
    return readFile(this.filePath);
  }

  async remove(): Promise<void> {
    if (this.removed) return;
    this.removed = true;
    await rm(this.filePath, { force: true });
  }
}

/**
 * Reads `stream` in pieces of exactly `size` bytes, the last one shorter, and none for an
 * empty stream. Only one piece is held at a time, besides what the stream buffers.
 */
export async function* readInChunks(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const data of stream) {
    let rest = data as Buffer;
    while (pendingBytes + rest.length >= size) {
      const take = size - pendingBytes;
      pending.push(rest.subarray(0, take));
      rest = rest.subarray(take);
      yield pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, size);
      pending = [];
      pendingBytes = 0;
    }
    if (rest.length > 0) {
      pending.push(rest);
      pendingBytes += rest.length;
    }
  }
  if (pendingBytes > 0) {
    yield pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
  }
}

export interface BodyWriterOptions {
  /** Folder for spilled bodies. It must exist. */
  spillDir: string;
  /** Bodies larger than this many bytes move from memory to a file. */
  spillThreshold: number;
  /**
   * Bytes past this count are counted but not kept, so that an oversized message cannot
   * exhaust memory or disk while the SMTP endpoint reads it to the final dot.
   */
  maxBytes: number;
}

/**
 * Collects a message as it streams in. Chunks stay in memory up to the spill threshold
 * and then go to a temporary file; `finish` returns the resulting BodyBuffer.
 */
export class BodyWriter {
  private chunks: Buffer[] = [];
  private kept = 0;
  private received = 0;
  private file: FileHandle | null = null;
  private filePath: string | null = null;
  private pending: Promise<void> = Promise.resolve();
  private failure: unknown = null;

  constructor(private readonly options: BodyWriterOptions) {}

  /** Bytes received so far, including any past `maxBytes`. */
  get bytesReceived(): number {
    return this.received;
  }

  /** True once more than `maxBytes` arrived. */
  get overflowed(): boolean {
    return this.received > this.options.maxBytes;
  }

  /**
   * Takes one chunk. The returned promise settles once the chunk is in memory or on
   * disk, so a caller that awaits it reads no faster than the disk writes. A failed
   * write surfaces in `finish`, not here.
   */
  write(chunk: Buffer): Promise<void> {
    this.received += chunk.length;
    const room = this.options.maxBytes - this.kept;
    if (room <= 0) return Promise.resolve();
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.kept += part.length;

    if (this.filePath === null && this.kept <= this.options.spillThreshold) {
      this.chunks.push(part);
      return Promise.resolve();
    }
    if (this.filePath === null) {
      this.startSpill();
    }
    // Copy, because the caller may reuse its chunk once write() returns.
    const copy = Buffer.from(part);
    this.pending = this.pending.then(() => this.appendToFile(copy)).catch(this.recordFailure);
    return this.pending;
  }

  /** Waits for queued writes and returns the buffer. Throws if a file write failed. */
  async finish(): Promise<BodyBuffer> {
    await this.pending;
    if (this.file) {
      await this.file.close();
      this.file = null;
    }
    if (this.failure) {
      await this.discard();
      throw this.failure;
    }
    if (this.filePath !== null) {
      return new FileBodyBuffer(this.filePath, this.kept);
    }
    return new MemoryBodyBuffer(Buffer.concat(this.chunks, this.kept));
  }

  /** Drops what was collected and deletes the spill file, if any. */
  async discard(): Promise<void> {
    this.chunks = [];
    await this.pending;
    if (this.file) {
      await this.file.close().catch(() => undefined);
      this.file = null;
    }
    if (this.filePath !== null) {
      await rm(this.filePath, { force: true });
    }
  }

  private startSpill(): void {
    const name = `body-${process.pid}-${randomBytes(8).toString('hex')}.eml`;
    this.filePath = path.join(this.options.spillDir, name);
    const head = this.chunks;
    this.chunks = [];
    const filePath = this.filePath;
    this.pending = this.pending
      .then(async () => {
        this.file = await open(filePath, 'wx', 0o600);
        for (const chunk of head) {
          await this.file.write(chunk);
        }
      })
      .catch(this.recordFailure);
  }

  private async appendToFile(chunk: Buffer): Promise<void> {
    if (this.failure || !this.file) return;
    await this.file.write(chunk);
  }

  private recordFailure = (error: unknown): void => {
    this.failure ??= error;
  };
}
