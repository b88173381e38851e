/**
 * Full-text search and tags.
 *
 * `message_search` holds the search text of each visible message, prepared by the store
 * at commit, with the rowid of its delivery (`deliveries.seq`, which unlike the rowid of
 * `messages` survives a VACUUM). The trigram tokenizer matches any substring of three or
 * more characters, ignoring case, which is how Mailpit's `LIKE '%word%'` search behaves.
 * The triggers remove a message's row when its message or its delivery is deleted.
 * Messages stored before this migration are indexed when the store opens.
 *
 * Tag names are unique without regard to ASCII case, as in Mailpit. A tag without
 * messages is not listed, and the store deletes such tags when it changes tags.
 */
export const SEARCH_AND_TAGS_SCHEMA = `
CREATE VIRTUAL TABLE message_search USING fts5 (
  search_text,
  subject,
  from_addr,
  to_addr,
  cc_addr,
  bcc_addr,
  reply_to_addr,
  message_id,
  tokenize = 'trigram'
);

CREATE TRIGGER message_search_delete_delivery AFTER DELETE ON deliveries BEGIN
  DELETE FROM message_search WHERE rowid = old.seq;
END;

CREATE TRIGGER message_search_delete_message AFTER DELETE ON messages BEGIN
  DELETE FROM message_search WHERE rowid = (SELECT seq FROM deliveries WHERE id = old.id);
END;

CREATE TABLE tags (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE
);

CREATE TABLE message_tags (
  message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  PRIMARY KEY (message_id, tag_id)
);
CREATE INDEX message_tags_tag ON message_tags (tag_id);
`;
