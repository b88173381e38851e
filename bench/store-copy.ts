/**
 * Multiplies the deliveries of a Mailscope store with SQL, so that the bench can fill a
 * large store from a few thousand messages imported through the core.
 *
 * The copier reads the schema instead of naming columns: it starts from `deliveries.id`
 * and `sessions.id`, follows every foreign key to them (`PRAGMA foreign_key_list`), and
 * copies every column of every table it reaches (`PRAGMA table_info`). It rewrites only
 * the key columns: the delivery and session ids, each table's own INTEGER PRIMARY KEY
 * (such as `deliveries.seq`, which SQLite assigns anew) and the times. A column is a time
 * when its name is `at` or ends in `_at`, because the store keeps every time in such a
 * column, in milliseconds since the epoch. The copies get no search rows: the caller
 * indexes them with the store's own code.
 *
 * NOTE: text that embeds an id or a time, such as the JSON of the trace events and the
 * Date and Message-ID header fields, keeps those of the delivery that was copied.
 */
import type { Database } from 'better-sqlite3';

import { newId } from '../src/util/id.js';

/** Kind of key that the copy rewrites, and the copy map's columns for it. */
type KeyKind = 'delivery' | 'session';

const MAP_COLUMNS: Record<KeyKind, { old: string; new: string }> = {
  delivery: { old: 'old_delivery', new: 'new_delivery' },
  session: { old: 'old_session', new: 'new_session' },
};

/** Columns where each kind of key is defined. */
const ROOTS: Array<{ table: string; column: string; kind: KeyKind }> = [
  { table: 'sessions', column: 'id', kind: 'session' },
  { table: 'deliveries', column: 'id', kind: 'delivery' },
];

/**
 * Columns that contain a key without a foreign key. `deliveries.session_id` has none,
 * because session events and delivery events come from different emitters.
 */
const UNDECLARED_REFERENCES: Array<{ table: string; column: string; kind: KeyKind }> = [
  { table: 'deliveries', column: 'session_id', kind: 'session' },
];

const MAP_TABLE = 'temp.bench_copy_map';

interface ColumnInfo {
  name: string;
  type: string;
  pk: number;
}

interface ForeignKeyInfo {
  table: string;
  from: string;
  to: string | null;
}

/** Copy plan of one table: its key columns, the column joined to the copy map, its times. */
interface TablePlan {
  name: string;
  joinColumn: string;
  joinKind: KeyKind;
  /** Columns inserted, without the INTEGER PRIMARY KEY that SQLite assigns. */
  columns: string[];
  keyColumns: Map<string, KeyKind>;
  timeColumns: string[];
}

export interface CopyOptions {
  /** Deliveries the store has after the copy, the originals included. */
  total: number;
  /** Time between the starts of two consecutive deliveries after the copy, in milliseconds. */
  intervalMs: number;
  /** Start time of the last delivery, in milliseconds since the epoch. */
  lastStartedAt: number;
}

export interface CopyResult {
  /** Tables copied. */
  tables: string[];
  /** Deliveries in the store before the copy. */
  originals: number;
  /** Ids of the new deliveries, in `seq` order. */
  copyIds: string[];
}

/**
 * Copies the deliveries of `db`, and what hangs off them, until it contains `options.total`
 * deliveries. Copy number `k` (counting the originals as the first ones, in `seq` order)
 * repeats original `k % originals`. Afterwards the deliveries follow each other `intervalMs` apart
 * and end at `lastStartedAt`, in the order of `seq`, originals included: every time of a
 * delivery's rows moves by the same amount, so durations stay as they were. A session that
 * one original delivery alone refers to is copied with it, and any other session is
 * shared by the copies. Each group of copies as large as the originals is one transaction.
 */
export function copyDeliveries(db: Database, options: CopyOptions): CopyResult {
  const plans = planTables(db);
  const originals = db
    .prepare(
      `SELECT d.id, d.session_id AS sessionId, d.started_at AS startedAt,
        (SELECT COUNT(*) FROM deliveries s WHERE s.session_id = d.session_id) AS sharing
      FROM deliveries d ORDER BY d.seq`,
    )
    .all() as Array<{ id: string; sessionId: string | null; startedAt: number; sharing: number }>;
  if (originals.length === 0) throw new Error('the store has no delivery to copy');

  const copyIds = fillCopyMap(db, originals, options);
  try {
    const inserts = plans.map((plan) => db.prepare(insertSql(plan)));
    for (let first = originals.length; first < options.total; first += originals.length) {
      const last = Math.min(options.total, first + originals.length) - 1;
      db.transaction(() => {
        // Foreign keys are checked at commit, so the order of the tables does not matter.
        db.pragma('defer_foreign_keys = ON');
        for (const insert of inserts) insert.run({ first, last });
      })();
    }
    // The copies read the originals' times, so these move last.
    db.transaction(() => {
      for (const plan of plans) shiftOriginals(db, plan, originals.length);
    })();
  } finally {
    db.exec(`DROP TABLE IF EXISTS ${MAP_TABLE}`);
  }
  return { tables: plans.map((plan) => plan.name), originals: originals.length, copyIds };
}

/**
 * Writes one row per delivery after the copy: the original it repeats, its new ids, and
 * how far its times move. Returns the ids of the new deliveries.
 */
function fillCopyMap(
  db: Database,
  originals: Array<{ id: string; sessionId: string | null; startedAt: number; sharing: number }>,
  options: CopyOptions,
): string[] {
  const copyIds: string[] = [];
  db.exec(`DROP TABLE IF EXISTS ${MAP_TABLE}`);
  db.exec(`CREATE TABLE ${MAP_TABLE} (
    position INTEGER PRIMARY KEY,
    old_delivery TEXT NOT NULL,
    new_delivery TEXT NOT NULL,
    old_session TEXT,
    new_session TEXT,
    shift_ms INTEGER NOT NULL
  )`);
  const insert = db.prepare(`INSERT INTO ${MAP_TABLE} VALUES (?, ?, ?, ?, ?, ?)`);
  db.transaction(() => {
    for (let position = 0; position < options.total; position += 1) {
      const original = originals[position % originals.length];
      if (original === undefined) throw new Error(`no original for copy ${position}`);
      const isOriginal = position < originals.length;
      const newDelivery = isOriginal ? original.id : newId();
      if (!isOriginal) copyIds.push(newDelivery);
      // Only a session of its own travels with a delivery. Its new id names the new
      // delivery where the old one named the original, as imported sessions do.
      const ownSession = original.sessionId !== null && original.sharing === 1;
      const oldSession = ownSession ? original.sessionId : null;
      let newSession: string | null = null;
      if (oldSession !== null) {
        if (isOriginal) newSession = oldSession;
        else if (oldSession.includes(original.id))
          newSession = oldSession.replace(original.id, newDelivery);
        else newSession = newId();
      }
      const startedAt = options.lastStartedAt - (options.total - 1 - position) * options.intervalMs;
      insert.run(
        position,
        original.id,
        newDelivery,
        oldSession,
        newSession,
        startedAt - original.startedAt,
      );
    }
  })();
  return copyIds;
}

/** Moves the times of the original rows of one table; their keys stay. */
function shiftOriginals(db: Database, plan: TablePlan, originals: number): void {
  if (plan.timeColumns.length === 0) return;
  const assignments = plan.timeColumns
    .map((column) => `${quote(column)} = t.${quote(column)} + c.shift_ms`)
    .join(', ');
  db.prepare(
    `UPDATE ${quote(plan.name)} AS t SET ${assignments}
    FROM ${MAP_TABLE} AS c
    WHERE t.${quote(plan.joinColumn)} = c.${MAP_COLUMNS[plan.joinKind].old}
      AND c.position < @originals`,
  ).run({ originals });
}

/** Builds the INSERT ... SELECT that copies one table's rows for copies @first to @last. */
function insertSql(plan: TablePlan): string {
  const values = plan.columns.map((column) => {
    const kind = plan.keyColumns.get(column);
    // A key that this copy did not renew, such as a shared session, stays as it was.
    if (kind !== undefined) return `COALESCE(c.${MAP_COLUMNS[kind].new}, t.${quote(column)})`;
    if (plan.timeColumns.includes(column)) return `t.${quote(column)} + c.shift_ms`;
    return `t.${quote(column)}`;
  });
  return `INSERT INTO ${quote(plan.name)} (${plan.columns.map(quote).join(', ')})
    SELECT ${values.join(', ')}
    FROM ${MAP_TABLE} AS c
    JOIN ${quote(plan.name)} AS t ON t.${quote(plan.joinColumn)} = c.${MAP_COLUMNS[plan.joinKind].old}
    WHERE c.position BETWEEN @first AND @last
    ORDER BY c.position`;
}

/**
 * Finds the tables to copy: the roots, then every table with a foreign key to a key
 * column of a table found before, until no table is added. Throws when a foreign key
 * refers to a column that the copy renumbers without knowing the new value.
 */
function planTables(db: Database): TablePlan[] {
  const tables = (
    db
      .prepare(
        `SELECT name, sql FROM sqlite_schema
        WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
          AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'`,
      )
      .all() as Array<{ name: string; sql: string }>
  ).map((table) => ({
    name: table.name,
    withoutRowid: /\bWITHOUT\s+ROWID\b/i.test(table.sql),
    columns: db.prepare(`SELECT * FROM pragma_table_info(?)`).all(table.name) as ColumnInfo[],
    foreignKeys: db
      .prepare(`SELECT "table", "from", "to" FROM pragma_foreign_key_list(?)`)
      .all(table.name) as ForeignKeyInfo[],
  }));
  const byName = new Map(tables.map((table) => [table.name, table]));

  // Key columns of every table in the copy, by table name.
  const keys = new Map<string, Map<string, KeyKind>>();
  const joins = new Map<string, { column: string; kind: KeyKind }>();
  for (const root of ROOTS) {
    if (!byName.has(root.table)) throw new Error(`the store has no table ${root.table}`);
    keys.set(root.table, new Map([[root.column, root.kind]]));
    joins.set(root.table, { column: root.column, kind: root.kind });
  }
  for (const reference of UNDECLARED_REFERENCES) {
    keys.get(reference.table)?.set(reference.column, reference.kind);
  }

  // Each pass follows the foreign keys to the key columns found so far, until a pass
  // finds no new one.
  for (let added = true; added;) {
    added = false;
    for (const table of tables) {
      for (const foreignKey of table.foreignKeys) {
        const parent = byName.get(foreignKey.table);
        const target = foreignKey.to ?? primaryKeyOf(parent?.columns ?? []);
        const kind = target === null ? undefined : keys.get(foreignKey.table)?.get(target);
        const tableKeys = keys.get(table.name) ?? new Map<string, KeyKind>();
        if (kind === undefined || tableKeys.has(foreignKey.from)) continue;
        tableKeys.set(foreignKey.from, kind);
        keys.set(table.name, tableKeys);
        added = true;
        // Deliveries are the unit of the copy, so a table joins on a delivery key if it has one.
        const join = joins.get(table.name);
        if (join === undefined || (join.kind !== 'delivery' && kind === 'delivery')) {
          joins.set(table.name, { column: foreignKey.from, kind });
        }
      }
    }
  }

  const plans: TablePlan[] = [];
  const renumbered = new Map<string, string>();
  const order = [...joins.keys()];
  for (const name of order) {
    const table = byName.get(name);
    const join = joins.get(name);
    if (table === undefined || join === undefined) continue;
    const rowidAlias = table.withoutRowid ? null : rowidAliasOf(table.columns);
    if (rowidAlias !== null) renumbered.set(name, rowidAlias);
    plans.push({
      name,
      joinColumn: join.column,
      joinKind: join.kind,
      columns: table.columns.map((column) => column.name).filter((column) => column !== rowidAlias),
      keyColumns: keys.get(name) ?? new Map(),
      timeColumns: table.columns
        .map((column) => column.name)
        .filter((column) => column === 'at' || column.endsWith('_at')),
    });
  }

  for (const table of tables) {
    for (const foreignKey of table.foreignKeys) {
      const column = renumbered.get(foreignKey.table);
      const parent = byName.get(foreignKey.table);
      const target = foreignKey.to ?? primaryKeyOf(parent?.columns ?? []);
      if (column !== undefined && target === column) {
        throw new Error(
          `${table.name}.${foreignKey.from} refers to ${foreignKey.table}.${column}, which ` +
            'the copy renumbers; map that column in bench/store-copy.ts before copying',
        );
      }
    }
  }
  return plans;
}

/** Returns the single primary key column, or null for none or a composite key. */
function primaryKeyOf(columns: ColumnInfo[]): string | null {
  const keys = columns.filter((column) => column.pk > 0);
  return keys.length === 1 ? (keys[0]?.name ?? null) : null;
}

/** Returns the INTEGER PRIMARY KEY column, which is the rowid, or null. */
function rowidAliasOf(columns: ColumnInfo[]): string | null {
  const key = primaryKeyOf(columns);
  const column = columns.find((candidate) => candidate.name === key);
  return column !== undefined && column.type.toUpperCase() === 'INTEGER' ? column.name : null;
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
