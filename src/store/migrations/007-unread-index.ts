/**
 * An index for the message counts. The unread count (visible and not read) read every
 * message row, one page or more each, so at 100,000 messages it took over 100 ms, and the
 * inspector asks for the counts while mail arrives. With this index both message counts
 * read only the index.
 */
export const UNREAD_INDEX_SCHEMA = `
CREATE INDEX messages_read ON messages (staged, read);
`;
