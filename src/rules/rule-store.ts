import type { Database } from 'better-sqlite3';

import type { RuleDefinition, RuleInput } from './types.js';

interface RuleRow {
  id: string;
  position: number;
  name: string;
  enabled: number;
  definition: string;
  created_at: number;
  updated_at: number;
}

type StoredFields = Pick<RuleDefinition, 'stage' | 'match' | 'action' | 'trigger'>;

/** Reads and writes the `rules` table. Every method runs one statement or transaction. */
export class RuleStore {
  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {}

  list(): RuleDefinition[] {
    const rows = this.db.prepare('SELECT * FROM rules ORDER BY position, id').all() as RuleRow[];
    return rows.map(toDefinition);
  }

  get(id: string): RuleDefinition | null {
    const row = this.db.prepare('SELECT * FROM rules WHERE id = ?').get(id) as RuleRow | undefined;
    return row === undefined ? null : toDefinition(row);
  }

  /**
   * Inserts a rule at the end of the list, or replaces the rule with the same id in place,
   * keeping its position and creation time. Returns the stored rule.
   */
  upsert(rule: Required<RuleInput>): RuleDefinition {
    const at = this.now();
    const fields: StoredFields = {
      stage: rule.stage,
      match: rule.match,
      action: rule.action,
      trigger: rule.trigger,
    };
    this.db
      .prepare(
        `INSERT INTO rules (id, position, name, enabled, definition, created_at, updated_at)
         VALUES (@id, (SELECT COALESCE(MAX(position), 0) + 1 FROM rules), @name, @enabled,
           @definition, @at, @at)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, enabled = excluded.enabled,
           definition = excluded.definition, updated_at = excluded.updated_at`,
      )
      .run({
        id: rule.id,
        name: rule.name,
        enabled: rule.enabled ? 1 : 0,
        definition: JSON.stringify(fields),
        at,
      });
    return this.get(rule.id) as RuleDefinition;
  }

  /** Switches a rule on or off; returns null when there is no such rule. */
  setEnabled(id: string, enabled: boolean): RuleDefinition | null {
    this.db
      .prepare('UPDATE rules SET enabled = ?, updated_at = ? WHERE id = ?')
      .run(enabled ? 1 : 0, this.now(), id);
    return this.get(id);
  }

  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM rules WHERE id = ?').run(id).changes === 1;
  }
}

function toDefinition(row: RuleRow): RuleDefinition {
  const fields = JSON.parse(row.definition) as StoredFields;
  return {
    id: row.id,
    name: row.name,
    enabled: row.enabled === 1,
    stage: fields.stage,
    match: fields.match,
    action: fields.action,
    trigger: fields.trigger,
    position: row.position,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
