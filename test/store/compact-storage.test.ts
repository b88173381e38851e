import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { openDatabase } from '../../src/store/db.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { StoreQueries } from '../../src/store/queries.js';
import { compressRawChunk, RAW_CHUNK_BYTES } from '../../src/store/raw-source.js';
import { openApiHarness, type ApiHarness } from '../http/helpers.js';
import { crlf, makeTempDir } from './helpers.js';

/** Builds a message of `size` bytes: a text body and a base64 attachment of random bytes. */
function messageOfSize(size: number): Buffer {
  const head = crlf([
    'From: Sender <sender@example.test>',
    'To: receiver@example.test',
    'Subject: Large attachment',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'See the attachment.',
    '--b1',
    'Content-Type: application/octet-stream',
    'Content-Disposition: attachment; filename="data.bin"',
    'Content-Transfer-Encoding: base64',
    '',
  ]);
  const tail = Buffer.from('\r\n--b1--\r\n');
  const base64Length = size - head.length - tail.length;
  const lines = randomBytes(Math.ceil(base64Length * 0.75))
    .toString('base64')
    .replace(/.{76}/g, '$&\r\n')
    .slice(0, base64Length);
  const message = Buffer.concat([head, Buffer.from(lines), tail]);
  expect(message.length).toBe(size);
  return message;
}

function chunkRows(api: ApiHarness, id: string): Array<{ seq: number; compression: string }> {
  return api.store.db
    .prepare('SELECT seq, compression FROM message_raw_chunks WHERE message_id = ? ORDER BY seq')
    .all(id) as Array<{ seq: number; compression: string }>;
}

describe('raw source storage', () => {
  let api: ApiHarness;

  beforeEach(async () => {
    api = await openApiHarness();
  });

  afterEach(async () => {
    await api.close();
  });

  it('returns a 3 MiB message byte-exact', async () => {
    const raw = messageOfSize(3 * 1024 * 1024 + 17);
    const id = await api.deliver(raw);

    const response = await api.api(`/messages/${id}/raw`);
    expect(response.status).toBe(200);
    const served = Buffer.from(await response.arrayBuffer());
    expect(served.length).toBe(raw.length);
    expect(served.equals(raw)).toBe(true);

    const chunks = chunkRows(api, id);
    expect(chunks.map((chunk) => chunk.seq)).toEqual([0, 1, 2, 3]);
    // Base64 compresses to about three quarters with Huffman coding alone, and the last
    // chunk of 17 bytes would grow, so it is stored as it is.
    expect(chunks.map((chunk) => chunk.compression)).toEqual([
      'deflate-raw',
      'deflate-raw',
      'deflate-raw',
      'none',
    ]);
    const stored = api.store.db
      .prepare('SELECT SUM(length(data)) AS bytes FROM message_raw_chunks WHERE message_id = ?')
      .get(id) as { bytes: number };
    expect(stored.bytes).toBeLessThan(raw.length * 0.8);
  });

  it('keeps no raw column in messages', () => {
    const columns = api.store.db
      .prepare("SELECT name FROM pragma_table_info('messages')")
      .all()
      .map((row) => (row as { name: string }).name);
    expect(columns).toContain('text');
    expect(columns).not.toContain('raw');
  });

  it('stores an empty body exactly', async () => {
    const raw = crlf(['Subject: No body', '', '']);
    const id = await api.deliver(raw);
    expect(api.store.queries.getRaw(id)?.equals(raw)).toBe(true);
  });

  it('deletes the chunks with the message', async () => {
    const id = await api.deliver(messageOfSize(1024 * 1024 + 5));
    expect(chunkRows(api, id)).toHaveLength(2);

    const response = await api.api(`/messages/${id}`, { method: 'DELETE' });
    expect(response.status).toBeLessThan(300);
    expect(chunkRows(api, id)).toEqual([]);
    const left = api.store.db.prepare('SELECT COUNT(*) AS n FROM message_raw_chunks').get();
    expect(left).toEqual({ n: 0 });
  });
});

describe('compressRawChunk', () => {
  it('compresses mail text', async () => {
    const text = Buffer.from('line of mail text\r\n'.repeat(RAW_CHUNK_BYTES / 8));
    const chunk = await compressRawChunk(text.subarray(0, RAW_CHUNK_BYTES));
    expect(chunk.compression).toBe('deflate-raw');
    expect(chunk.data.length).toBeLessThan(RAW_CHUNK_BYTES / 10);
    expect(inflateRawSync(chunk.data).equals(text.subarray(0, RAW_CHUNK_BYTES))).toBe(true);
  });

  it('stores a byte that does not shrink as it is', async () => {
    const raw = Buffer.from('x');
    const chunk = await compressRawChunk(raw);
    expect(chunk.compression).toBe('none');
    expect(chunk.data.equals(raw)).toBe(true);
  });

  it('stores random bytes uncompressed', async () => {
    const raw = randomBytes(RAW_CHUNK_BYTES / 2);
    const chunk = await compressRawChunk(raw);
    expect(chunk.compression).toBe('none');
    expect(chunk.data.equals(raw)).toBe(true);
  });
});

describe('body part content', () => {
  let api: ApiHarness;

  beforeEach(async () => {
    api = await openApiHarness();
  });

  afterEach(async () => {
    await api.close();
  });

  const alternative = crlf([
    'From: sender@example.test',
    'Subject: Alternative',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="mixed"',
    '',
    '--mixed',
    'Content-Type: multipart/alternative; boundary="alt"',
    '',
    '--alt',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Gr=C3=BC=C3=9Fe aus K=C3=B6ln,',
    'zwei Zeilen.',
    '--alt',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<p>Gr\u00fc\u00dfe</p>',
    '<p>aus K\u00f6ln</p>',
    '--alt--',
    '--mixed',
    'Content-Type: text/plain; charset=iso-8859-1',
    'Content-Disposition: attachment; filename="latin1.txt"',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'K=F6ln',
    '--mixed--',
  ]);

  async function partBytes(id: string, partId: string): Promise<Buffer> {
    const response = await api.api(`/messages/${id}/parts/${partId}`);
    expect(response.status).toBe(200);
    return Buffer.from(await response.arrayBuffer());
  }

  it('stores the text bodies once', async () => {
    const id = await api.deliver(alternative);
    const rows = api.store.db
      .prepare(
        `SELECT part_id, content_source, content IS NULL AS empty
         FROM parts WHERE message_id = ? AND content_type LIKE 'text/%' ORDER BY position`,
      )
      .all(id);
    expect(rows).toEqual([
      { part_id: '1.1', content_source: 'text-crlf', empty: 1 },
      { part_id: '1.2', content_source: 'html-crlf', empty: 1 },
      { part_id: '2', content_source: null, empty: 0 },
    ]);
  });

  it('serves each part content exactly', async () => {
    const id = await api.deliver(alternative);
    expect((await partBytes(id, '1.1')).toString('utf8')).toBe('Grüße aus Köln,\r\nzwei Zeilen.');
    expect((await partBytes(id, '1.2')).toString('utf8')).toBe('<p>Grüße</p>\r\n<p>aus Köln</p>');
    expect((await partBytes(id, '2')).equals(Buffer.from('K\xf6ln', 'latin1'))).toBe(true);
  });
});

describe('upgrade to the compact schema', () => {
  let dir: string;
  let remove: () => Promise<void>;

  beforeEach(async () => {
    ({ dir, remove } = await makeTempDir());
  });

  afterEach(async () => {
    await remove();
  });

  it('keeps raw sources, parts and search', () => {
    const dbPath = path.join(dir, 'old.db');
    const old = openDatabase(dbPath, { migrations: MIGRATIONS.filter((m) => m.version <= 5) });
    const raw = Buffer.concat([
      Buffer.from('Subject: Old message\r\n\r\n'),
      randomBytes(2 * RAW_CHUNK_BYTES + 100),
    ]);
    try {
      old
        .prepare(
          `INSERT INTO deliveries (id, state, started_at, mail_from, mail_from_original,
             protocol, helo, remote_address, remote_port, local_address, local_port)
           VALUES (?, 'committed', 1, 'a@example.test', 'a@example.test', 'ESMTP', 'client',
             '127.0.0.1', 40000, '127.0.0.1', 1025)`,
        )
        .run('old-1');
      old
        .prepare(
          `INSERT INTO messages (id, staged, received_at, subject, date, size, text, raw)
           VALUES (?, 0, 1, 'Old message', 1, ?, 'kept text', ?)`,
        )
        .run('old-1', raw.length, raw);
      old
        .prepare(
          `INSERT INTO parts (message_id, part_id, position, kind, content_type, size, content)
           VALUES ('old-1', '1', 1, 'body', 'text/plain', 9, ?)`,
        )
        .run(Buffer.from('kept text'));
      old
        .prepare('INSERT INTO message_search (rowid, search_text, subject) VALUES (?, ?, ?)')
        .run(1, 'old message kept text zq', 'old message');
      expect(old.pragma('user_version', { simple: true })).toBe(5);
    } finally {
      old.close();
    }

    const db = openDatabase(dbPath);
    try {
      const queries = new StoreQueries(db);
      expect(queries.getRaw('old-1')?.equals(raw)).toBe(true);
      const chunks = db
        .prepare('SELECT seq, compression, length(data) AS bytes FROM message_raw_chunks')
        .all();
      expect(chunks).toEqual([
        { seq: 0, compression: 'none', bytes: RAW_CHUNK_BYTES },
        { seq: 1, compression: 'none', bytes: RAW_CHUNK_BYTES },
        { seq: 2, compression: 'none', bytes: raw.length - 2 * RAW_CHUNK_BYTES },
      ]);
      expect(queries.getPart('old-1', '1')?.content.toString()).toBe('kept text');
      // The index entry moved over, while the table no longer keeps the text.
      expect(queries.searchMessages('kept text').ids).toEqual(['old-1']);
      expect(db.prepare('SELECT search_text FROM message_search').all()).toEqual([
        { search_text: null },
      ]);
    } finally {
      db.close();
    }
  });
});
