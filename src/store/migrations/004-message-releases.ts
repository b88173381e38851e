/**
 * One row per release of a stored message to an SMTP server, successful or not. The rows
 * go with their message through ON DELETE CASCADE.
 */
export const MESSAGE_RELEASES_SCHEMA = `
CREATE TABLE message_releases (
  seq INTEGER PRIMARY KEY,
  message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  trigger TEXT NOT NULL CHECK (trigger IN ('manual', 'automatic', 'mailpit')),
  server TEXT NOT NULL,
  mail_from TEXT NOT NULL,
  recipients TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('sent', 'not-allowed', 'failed')),
  reply TEXT,
  rejected TEXT NOT NULL DEFAULT '[]',
  error TEXT
);
CREATE INDEX message_releases_message ON message_releases (message_id, seq);
`;
