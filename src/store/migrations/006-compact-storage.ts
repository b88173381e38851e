/**
 * Stores the large values of a message once each.
 *
 * The raw source moves out of the message row into `message_raw_chunks`, in chunks of at
 * most 1 MiB (RAW_CHUNK_BYTES in src/store/raw-source.ts). Then no statement binds a
 * whole large message, and an UPDATE of a message, such as the one that publishes it, no
 * longer copies its raw source. New chunks are compressed with raw DEFLATE where that
 * saves space. The raw sources already stored are moved in SQL, which has no DEFLATE, so
 * they stay uncompressed (`compression = 'none'`).
 * NOTE: nothing compresses those chunks or drops the duplicate part content of messages
 * stored before this migration later, so an upgraded store shrinks only as they are deleted.
 *
 * `parts.content_source` names the message column that a body part's content is a copy
 * of, in which case `parts.content` is null (see src/store/part-content.ts). Parts stored
 * before keep their content.
 *
 * `message_search` becomes a contentless FTS5 table: it keeps the trigram index but no
 * copy of the search text, which the store builds again from the message where a query
 * needs it. The index entries of the messages already stored are copied over.
 */
export const COMPACT_STORAGE_SCHEMA = `
CREATE TABLE message_raw_chunks (
  message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  compression TEXT NOT NULL CHECK (compression IN ('none', 'deflate-raw')),
  data BLOB NOT NULL,
  PRIMARY KEY (message_id, seq)
);

-- substr() counts bytes on a BLOB, and an empty raw source gets no chunk.
INSERT INTO message_raw_chunks (message_id, seq, compression, data)
WITH RECURSIVE chunk (message_id, seq) AS (
  SELECT id, 0 FROM messages WHERE length(raw) > 0
  UNION ALL
  SELECT chunk.message_id, chunk.seq + 1
  FROM chunk JOIN messages ON messages.id = chunk.message_id
  WHERE (chunk.seq + 1) * 1048576 < length(messages.raw)
)
SELECT chunk.message_id, chunk.seq, 'none', substr(messages.raw, chunk.seq * 1048576 + 1, 1048576)
FROM chunk JOIN messages ON messages.id = chunk.message_id;

ALTER TABLE messages DROP COLUMN raw;

ALTER TABLE parts ADD COLUMN content_source TEXT
  CHECK (content_source IN ('text', 'text-crlf', 'html', 'html-crlf'));

DROP TRIGGER message_search_delete_delivery;
DROP TRIGGER message_search_delete_message;
ALTER TABLE message_search RENAME TO message_search_previous;

CREATE VIRTUAL TABLE message_search USING fts5 (
  search_text,
  subject,
  from_addr,
  to_addr,
  cc_addr,
  bcc_addr,
  reply_to_addr,
  message_id,
  content = '',
  contentless_delete = 1,
  tokenize = 'trigram'
);

INSERT INTO message_search (
  rowid, search_text, subject, from_addr, to_addr, cc_addr, bcc_addr, reply_to_addr, message_id
)
SELECT
  rowid, search_text, subject, from_addr, to_addr, cc_addr, bcc_addr, reply_to_addr, message_id
FROM message_search_previous;

DROP TABLE message_search_previous;

CREATE TRIGGER message_search_delete_delivery AFTER DELETE ON deliveries BEGIN
  DELETE FROM message_search WHERE rowid = old.seq;
END;

CREATE TRIGGER message_search_delete_message AFTER DELETE ON messages BEGIN
  DELETE FROM message_search WHERE rowid = (SELECT seq FROM deliveries WHERE id = old.id);
END;
`;
