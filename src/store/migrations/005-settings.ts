/**
 * Settings changed at run time, such as the relay settings changed through the API. Each
 * row contains one group of settings as a JSON object under its key.
 */
export const SETTINGS_SCHEMA = `
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
`;
