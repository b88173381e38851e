/**
 * The first schema. Times are milliseconds since the epoch, JSON columns hold text, and
 * every child row is removed with its delivery through ON DELETE CASCADE.
 *
 * Large columns (`text`, `html`, `raw`, `content`) come last in their tables, because
 * SQLite reads a row's columns in order and can then stop before their overflow pages
 * when a list query needs only the small columns.
 */
export const INITIAL_SCHEMA = `
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  remote_address TEXT,
  remote_port INTEGER,
  local_address TEXT,
  local_port INTEGER,
  opened_at INTEGER NOT NULL,
  closed_at INTEGER
);

CREATE TABLE session_lines (
  session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('C', 'S', 'I')),
  text TEXT NOT NULL,
  PRIMARY KEY (session_id, seq)
);

-- session_id has no foreign key: session events and delivery events come from
-- different emitters, and deliveries imported from files have no SMTP session.
CREATE TABLE deliveries (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  session_id TEXT,
  state TEXT NOT NULL DEFAULT 'in-progress'
    CHECK (state IN ('in-progress', 'committed', 'aborted', 'interrupted')),
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  mail_from TEXT NOT NULL,
  mail_from_original TEXT NOT NULL,
  mail_params TEXT NOT NULL DEFAULT '{}',
  declared_size INTEGER,
  body_type TEXT,
  smtp_utf8 INTEGER NOT NULL DEFAULT 0,
  protocol TEXT NOT NULL,
  helo TEXT NOT NULL,
  remote_address TEXT NOT NULL,
  remote_port INTEGER NOT NULL,
  local_address TEXT NOT NULL,
  local_port INTEGER NOT NULL,
  tls_version TEXT,
  tls_cipher TEXT,
  auth_user TEXT,
  size INTEGER,
  header_warnings TEXT,
  abort_kind TEXT,
  abort_detail TEXT
);
CREATE INDEX deliveries_session ON deliveries (session_id);
CREATE INDEX deliveries_state ON deliveries (state);
CREATE INDEX deliveries_started ON deliveries (started_at);

CREATE TABLE delivery_events (
  delivery_id TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (delivery_id, seq)
);

CREATE TABLE recipients (
  delivery_id TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  address TEXT NOT NULL,
  original TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected', 'duplicate')),
  reply_code INTEGER NOT NULL,
  reply_enhanced_code TEXT NOT NULL,
  reply_text TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (delivery_id, position)
);
CREATE INDEX recipients_address ON recipients (address);

-- One row per delivery that reached body(). staged = 1 from body() until commit();
-- readers only ever see rows with staged = 0.
CREATE TABLE messages (
  id TEXT PRIMARY KEY REFERENCES deliveries (id) ON DELETE CASCADE,
  staged INTEGER NOT NULL DEFAULT 1,
  received_at INTEGER NOT NULL,
  message_id TEXT,
  subject TEXT NOT NULL DEFAULT '',
  from_addresses TEXT NOT NULL DEFAULT '[]',
  to_addresses TEXT NOT NULL DEFAULT '[]',
  cc_addresses TEXT NOT NULL DEFAULT '[]',
  reply_to_addresses TEXT NOT NULL DEFAULT '[]',
  envelope_recipients TEXT NOT NULL DEFAULT '[]',
  date INTEGER NOT NULL,
  date_is_received_at INTEGER NOT NULL DEFAULT 0,
  size INTEGER NOT NULL,
  snippet TEXT NOT NULL DEFAULT '',
  has_attachments INTEGER NOT NULL DEFAULT 0,
  attachment_count INTEGER NOT NULL DEFAULT 0,
  read INTEGER NOT NULL DEFAULT 0,
  warnings TEXT NOT NULL DEFAULT '[]',
  text TEXT,
  html TEXT,
  raw BLOB NOT NULL
);
CREATE INDEX messages_visible ON messages (staged, received_at);

CREATE TABLE headers (
  message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  raw_value TEXT NOT NULL,
  PRIMARY KEY (message_id, position)
);

CREATE TABLE parts (
  message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  part_id TEXT NOT NULL,
  parent_part_id TEXT,
  position INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('multipart', 'body', 'inline', 'attachment')),
  content_type TEXT NOT NULL,
  charset TEXT,
  disposition TEXT,
  filename TEXT,
  download_name TEXT,
  content_id TEXT,
  size INTEGER NOT NULL,
  content BLOB,
  PRIMARY KEY (message_id, part_id)
);
`;
