/**
 * Failure rules. `definition` contains the rule's JSON without the columns beside it
 * (stage, conditions, action and trigger); `position` orders evaluation.
 */
export const RULES_SCHEMA = `
CREATE TABLE rules (
  id TEXT PRIMARY KEY,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
  definition TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX rules_position ON rules (position);
`;
