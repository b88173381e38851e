import type { Database, Statement } from 'better-sqlite3';
import { promisify } from 'node:util';
import { constants, deflateRaw, deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * Size of one stored chunk of a raw source before compression, in bytes. No statement
 * binds more than one chunk, so a large message never passes through SQLite whole.
 */
export const RAW_CHUNK_BYTES = 1024 * 1024;

/**
 * Compression of one chunk in `message_raw_chunks.compression`: `none` stores the bytes
 * as they are, `deflate-raw` as a raw DEFLATE stream (RFC 1951, no zlib header).
 */
export type RawChunkCompression = 'none' | 'deflate-raw';

/** One stored piece of a raw source, a row of `message_raw_chunks`. */
export interface RawChunk {
  compression: RawChunkCompression;
  data: Buffer;
}

/**
 * Size of the sample of a chunk that is compressed first to choose the strategy for the
 * whole chunk, in bytes.
 */
const PROBE_BYTES = 64 * 1024;

/**
 * Compressed-to-original ratio of the sample above which a chunk counts as base64 or
 * binary. Base64 of random bytes compresses to about 0.76 and mail text to 0.25 to 0.45.
 */
const DENSE_RATIO = 0.7;

/**
 * Largest chunk compressed on the event loop, in bytes: at the fastest level that takes
 * about 0.1 ms, less than handing the chunk to the thread pool and back.
 */
const SYNC_COMPRESS_BYTES = 16 * 1024;

const deflateRawAsync = promisify(deflateRaw);

/**
 * Compresses one chunk of a raw source, of at most RAW_CHUNK_BYTES, at the fastest zlib
 * level, on the libuv thread pool so that the event loop stays free. A chunk whose sample
 * barely compresses, such as a base64 or binary attachment, gets Huffman coding only,
 * which saves as much on base64 in about a quarter of the time. A chunk that does not
 * shrink is stored as it is.
 */
export async function compressRawChunk(chunk: Buffer): Promise<RawChunk> {
  const dense = await isDense(chunk);
  const options = {
    level: constants.Z_BEST_SPEED,
    strategy: dense ? constants.Z_HUFFMAN_ONLY : constants.Z_DEFAULT_STRATEGY,
  };
  // A small chunk compresses in less time than a trip through the thread pool costs.
  const compressed =
    chunk.length <= SYNC_COMPRESS_BYTES
      ? deflateRawSync(chunk, options)
      : await deflateRawAsync(chunk, options);
  return compressed.length < chunk.length
    ? { compression: 'deflate-raw', data: compressed }
    : { compression: 'none', data: chunk };
}

/** Returns true when a sample from the middle of `chunk` compresses poorly with LZ77. */
async function isDense(chunk: Buffer): Promise<boolean> {
  if (chunk.length <= PROBE_BYTES) return false;
  const middle = Math.floor((chunk.length - PROBE_BYTES) / 2);
  const sample = chunk.subarray(middle, middle + PROBE_BYTES);
  const compressed = await deflateRawAsync(sample, { level: constants.Z_BEST_SPEED });
  return compressed.length > sample.length * DENSE_RATIO;
}

/** Returns the bytes of one stored chunk. */
export function decompressRawChunk(chunk: RawChunk): Buffer {
  if (chunk.compression === 'deflate-raw') return inflateRawSync(chunk.data);
  if (chunk.compression === 'none') return chunk.data;
  throw new Error(
    `Invalid raw chunk compression ${String(chunk.compression)}: expected 'none' or 'deflate-raw'`,
  );
}

/** Joins decompressed chunks in order without copying a single one. */
function joinChunks(parts: Buffer[]): Buffer {
  if (parts.length === 1) return parts[0] as Buffer;
  return Buffer.concat(parts);
}

/** SQL aggregate that joins a message's chunks, in the order it receives them, into one BLOB. */
export const RAW_SOURCE_AGGREGATE = 'mailscope_raw_source';

/**
 * Registers RAW_SOURCE_AGGREGATE on one connection, for queries that compare the raw
 * source in SQL. `rawSourceSql` builds the expression that calls it.
 */
export function registerRawSourceFunctions(db: Database): void {
  db.aggregate(RAW_SOURCE_AGGREGATE, {
    // The types of better-sqlite3 allow a step function of one argument only, so the two
    // arguments arrive as rest parameters, which needs `varargs`.
    varargs: true,
    start: () => [] as Buffer[],
    step: (parts: Buffer[], ...[compression, data]: unknown[]) => {
      parts.push(decompressRawChunk({ compression, data } as RawChunk));
      return parts;
    },
    result: (parts: Buffer[]) => joinChunks(parts),
  });
}

/**
 * Returns an SQL expression for the raw source of the message whose id is `idColumn`,
 * as a BLOB. It needs RAW_SOURCE_AGGREGATE on the connection. The subquery reads the
 * chunks in `seq` order through the primary key.
 */
export function rawSourceSql(idColumn: string): string {
  return `(SELECT ${RAW_SOURCE_AGGREGATE}(c.compression, c.data)
    FROM (SELECT compression, data FROM message_raw_chunks
      WHERE message_id = ${idColumn} ORDER BY seq) AS c)`;
}

/** Reads the raw source of visible messages from `message_raw_chunks`. */
export class RawSourceReader {
  private readonly chunks: Statement;

  constructor(db: Database) {
    // One statement, so that the check for a visible message and the chunks it reads come
    // from one snapshot. The LEFT JOIN returns one row without a chunk for an empty source.
    this.chunks = db.prepare(`
      SELECT c.compression, c.data
      FROM messages m LEFT JOIN message_raw_chunks c ON c.message_id = m.id
      WHERE m.id = ? AND m.staged = 0
      ORDER BY c.seq`);
  }

  /** Returns the raw source of the visible message `id`, or null when there is none. */
  read(id: string): Buffer | null {
    let found = false;
    const parts: Buffer[] = [];
    const rows = this.chunks.iterate(id) as Iterable<RawChunk | { compression: null; data: null }>;
    for (const row of rows) {
      found = true;
      if (row.data !== null) parts.push(decompressRawChunk(row));
    }
    if (!found) return null;
    return parts.length === 0 ? Buffer.alloc(0) : joinChunks(parts);
  }
}
