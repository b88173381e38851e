import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';

/**
 * Maximum length of a tag name in characters, after cleaning. This limit and
 * MAX_TAGS_PER_MESSAGE are Mailscope's own: they keep the detail pane and every message
 * list response small.
 */
export const MAX_TAG_LENGTH = 100;
/** Maximum number of tags on one message. */
export const MAX_TAGS_PER_MESSAGE = 50;

/** Characters other than these become spaces in a tag name, as in Mailpit 1.2x. */
const INVALID_TAG_CHARACTERS = /[^a-zA-Z0-9\-_. ]/g;

/**
 * Cleans a tag name as Mailpit does: every character other than ASCII letters, digits,
 * `-`, `_`, `.` and space becomes a space, runs of whitespace become one space, and the
 * ends are trimmed. Returns null when nothing is left.
 */
export function cleanTagName(name: string): string | null {
  const cleaned = name.replace(INVALID_TAG_CHARACTERS, ' ').replace(/\s+/g, ' ').trim();
  return cleaned === '' ? null : cleaned;
}

/**
 * Cleans tag names, drops the empty ones and the duplicates (without regard to case,
 * keeping the first spelling), and sorts the rest.
 */
export function cleanTagNames(names: Iterable<string>): string[] {
  return uniqueTagNames(names).sort(compareTagNames);
}

/** Cleans tag names and drops the empty ones and the duplicates, keeping the input order. */
function uniqueTagNames(names: Iterable<string>): string[] {
  const byKey = new Map<string, string>();
  for (const name of names) {
    const cleaned = cleanTagName(name);
    if (cleaned !== null && !byKey.has(cleaned.toLowerCase())) {
      byKey.set(cleaned.toLowerCase(), cleaned);
    }
  }
  return [...byKey.values()];
}

/** Orders tag names as SQLite's NOCASE collation does: ASCII case folded, then by code unit. */
export function compareTagNames(a: string, b: string): number {
  const left = a.toLowerCase();
  const right = b.toLowerCase();
  if (left < right) return -1;
  if (left > right) return 1;
  return 0;
}

/** Returns the tags of a plus address: `user+a+b@host` has the tags `a` and `b`. */
export function plusAddressTags(address: string): string[] {
  // Mailpit reads the text between the first `+` and the first `@` after it.
  const match = /^[^+]*\+([^@]*)@/.exec(address);
  return match?.[1] === undefined ? [] : match[1].split('+');
}

/**
 * Returns the tags a message gets when it is stored: the comma-separated names of its
 * X-Tags header fields, and the plus tags of its From, To, Cc and Bcc addresses. Bcc
 * here includes the envelope recipients, as Mailpit adds them to a Bcc header.
 */
export function automaticTags(source: { xTags: string[]; addresses: string[] }): string[] {
  return limitAutomaticTags(source).tags;
}

/** The automatic tags of a message, with the counts of names left out by the limits. */
export interface AutomaticTags {
  /** Tags to apply, sorted by name. */
  tags: string[];
  /** Names longer than MAX_TAG_LENGTH, which are left out. */
  tooLong: number;
  /** Names past the first MAX_TAGS_PER_MESSAGE, which are left out. */
  overLimit: number;
}

/**
 * Returns the automatic tags (see `automaticTags`) within the limits: names longer than
 * MAX_TAG_LENGTH are left out, and so is every name after the first MAX_TAGS_PER_MESSAGE,
 * in the order of the header fields and then the addresses.
 */
export function limitAutomaticTags(source: {
  xTags: string[];
  addresses: string[];
}): AutomaticTags {
  const names = source.xTags.flatMap((value) => value.trim().split(','));
  for (const address of source.addresses) names.push(...plusAddressTags(address));
  const unique = uniqueTagNames(names);
  const fitting = unique.filter((name) => name.length <= MAX_TAG_LENGTH);
  const applied = fitting.slice(0, MAX_TAGS_PER_MESSAGE);
  return {
    tags: applied.sort(compareTagNames),
    tooLong: unique.length - fitting.length,
    overLimit: fitting.length - applied.length,
  };
}

/** Error for a tag change that would pass MAX_TAG_LENGTH or MAX_TAGS_PER_MESSAGE. */
export class TagLimitError extends Error {
  override name = 'TagLimitError';
}

/** Throws TagLimitError for a cleaned name longer than MAX_TAG_LENGTH. */
function checkTagLength(name: string): void {
  if (name.length <= MAX_TAG_LENGTH) return;
  const start = name.slice(0, 40);
  throw new TagLimitError(
    `Tag "${start}..." has ${name.length} characters, but the maximum is ${MAX_TAG_LENGTH}. ` +
      'Use a shorter tag name.',
  );
}

/** Throws TagLimitError when a message would get more than MAX_TAGS_PER_MESSAGE tags. */
function checkTagCount(count: number): void {
  if (count <= MAX_TAGS_PER_MESSAGE) return;
  throw new TagLimitError(
    `A message can have at most ${MAX_TAGS_PER_MESSAGE} tags, and this change would give it ` +
      `${count}. Remove some tags first.`,
  );
}

/** Error for a tag name that cannot be used as a new name. */
export class TagNameError extends Error {
  constructor(
    readonly reason: 'invalid' | 'exists',
    readonly tagName: string,
  ) {
    // The messages follow Mailpit's, which clients may show or compare.
    super(reason === 'invalid' ? `invalid tag name: ${tagName}` : `tag already exists: ${tagName}`);
    this.name = 'TagNameError';
  }
}

/** A visible message: tags are only read and written for these. */
const VISIBLE = 'SELECT id FROM messages WHERE staged = 0';

/**
 * Reads and writes the tags of visible messages. A tag without messages counts as absent:
 * it is never listed, and it is deleted whenever tags change.
 */
export class TagStore {
  private readonly statements: ReturnType<typeof prepareTagStatements>;

  /** `logger` receives a warning for the automatic tags the limits leave out. */
  constructor(
    private readonly db: Database,
    private readonly logger?: Pick<Logger, 'warn'>,
  ) {
    this.statements = prepareTagStatements(db);
  }

  /** Lists every tag of at least one visible message, sorted by name. */
  list(): string[] {
    return (this.statements.list.all() as Array<{ name: string }>).map((row) => row.name);
  }

  /** Lists every tag with its number of visible messages, sorted by name. */
  counts(): Array<{ name: string; messages: number }> {
    return this.statements.counts.all() as Array<{ name: string; messages: number }>;
  }

  /** Lists the tags of one visible message, sorted by name; none for an unknown id. */
  get(messageId: string): string[] {
    const rows = this.statements.messageTags.all(messageId) as Array<{ name: string }>;
    return rows.map((row) => row.name);
  }

  /**
   * Replaces the tags of each visible message in `ids`. Unknown ids are skipped. Throws
   * TagLimitError, changing nothing, when a name or the number of names passes a limit.
   */
  set(ids: readonly string[], names: readonly string[]): void {
    const cleaned = cleanTagNames(names);
    cleaned.forEach(checkTagLength);
    checkTagCount(cleaned.length);
    this.db.transaction(() => {
      for (const id of ids) {
        this.statements.clearMessage.run(id);
        for (const name of cleaned) this.addOne(id, name);
      }
      this.statements.pruneUnused.run();
    })();
  }

  /**
   * Adds tags to each visible message in `ids`, keeping the ones it has. Throws
   * TagLimitError, changing nothing, when a name is too long or a message would get more
   * than MAX_TAGS_PER_MESSAGE tags.
   */
  add(ids: readonly string[], names: readonly string[]): void {
    const cleaned = cleanTagNames(names);
    cleaned.forEach(checkTagLength);
    this.db.transaction(() => {
      for (const id of ids) {
        for (const name of cleaned) this.addOne(id, name);
        checkTagCount((this.statements.countMessageTags.get(id) as { count: number }).count);
      }
    })();
  }

  /** Removes tags, compared without regard to case, from each message in `ids`. */
  remove(ids: readonly string[], names: readonly string[]): void {
    const cleaned = cleanTagNames(names);
    this.db.transaction(() => {
      for (const id of ids) {
        for (const name of cleaned) this.statements.removeFromMessage.run(id, name);
      }
      this.statements.pruneUnused.run();
    })();
  }

  /**
   * Renames a tag on every message. Returns false when no message has the tag `from`.
   * The new name is cleaned first (see `cleanTagName`). Throws TagNameError when it cleans
   * to nothing, or when another tag already has that name, and TagLimitError when it is
   * longer than MAX_TAG_LENGTH. A change of case only is a rename too.
   */
  rename(from: string, to: string): boolean {
    const cleaned = cleanTagName(to);
    if (cleaned === null) throw new TagNameError('invalid', to);
    checkTagLength(cleaned);
    return this.db.transaction(() => {
      this.statements.pruneUnused.run();
      const tag = this.statements.findTag.get(from) as { id: number } | undefined;
      if (tag === undefined) return false;
      const other = this.statements.findTag.get(cleaned) as { id: number } | undefined;
      if (other !== undefined && other.id !== tag.id) {
        throw new TagNameError('exists', cleaned);
      }
      this.statements.renameTag.run(cleaned, tag.id);
      return true;
    })();
  }

  /** Removes a tag from every message. Returns false when no message has it. */
  delete(name: string): boolean {
    return this.db.transaction(() => {
      this.statements.pruneUnused.run();
      return this.statements.deleteTag.run(name).changes > 0;
    })();
  }

  /**
   * Adds the tags a visible message gets when it is stored (see `limitAutomaticTags`), and
   * returns them. Names past the limits are left out with a warning, so the message is
   * still stored. The commit calls it in the transaction that makes the message visible.
   */
  applyAutomatic(messageId: string): string[] {
    const row = this.statements.automaticSource.get(messageId) as
      | { from_addresses: string; to_addresses: string; cc_addresses: string; envelope: string }
      | undefined;
    if (row === undefined) return [];
    const xTags = (this.statements.xTagsHeaders.all(messageId) as Array<{ value: string }>).map(
      (header) => header.value,
    );
    const addresses = [
      ...addressesOf(row.from_addresses),
      ...addressesOf(row.to_addresses),
      ...addressesOf(row.cc_addresses),
      ...(JSON.parse(row.envelope) as string[]),
    ];
    const { tags, tooLong, overLimit } = limitAutomaticTags({ xTags, addresses });
    if (tooLong + overLimit > 0) {
      this.logger?.warn(
        { messageId, tooLong, overLimit, maxLength: MAX_TAG_LENGTH, maxTags: MAX_TAGS_PER_MESSAGE },
        'automatic tags past the limits were ignored',
      );
    }
    for (const name of tags) this.addOne(messageId, name);
    return tags;
  }

  /** Adds one cleaned tag, reusing an existing tag whose name differs in case only. */
  private addOne(messageId: string, name: string): void {
    if (this.statements.isVisible.get(messageId) === undefined) return;
    this.statements.insertTag.run(name);
    const tag = this.statements.findTag.get(name) as { id: number };
    this.statements.linkTag.run(messageId, tag.id);
  }
}

function addressesOf(json: string): string[] {
  return (JSON.parse(json) as Array<{ address: string }>).map((entry) => entry.address);
}

function prepareTagStatements(db: Database) {
  return {
    list: db.prepare(`
      SELECT t.name FROM tags t
      WHERE EXISTS (SELECT 1 FROM message_tags mt WHERE mt.tag_id = t.id
        AND mt.message_id IN (${VISIBLE}))
      ORDER BY t.name`),
    counts: db.prepare(`
      SELECT t.name, COUNT(*) AS messages FROM tags t JOIN message_tags mt ON mt.tag_id = t.id
      WHERE mt.message_id IN (${VISIBLE})
      GROUP BY t.id ORDER BY t.name`),
    messageTags: db.prepare(`
      SELECT t.name FROM tags t JOIN message_tags mt ON mt.tag_id = t.id
      WHERE mt.message_id = ? AND mt.message_id IN (${VISIBLE})
      ORDER BY t.name`),
    isVisible: db.prepare(`SELECT 1 FROM messages WHERE id = ? AND staged = 0`),
    countMessageTags: db.prepare('SELECT COUNT(*) AS count FROM message_tags WHERE message_id = ?'),
    clearMessage: db.prepare(`DELETE FROM message_tags WHERE message_id = ?`),
    insertTag: db.prepare('INSERT INTO tags (name) VALUES (?) ON CONFLICT (name) DO NOTHING'),
    findTag: db.prepare('SELECT id FROM tags WHERE name = ?'),
    linkTag: db.prepare(
      'INSERT INTO message_tags (message_id, tag_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
    ),
    removeFromMessage: db.prepare(`
      DELETE FROM message_tags
      WHERE message_id = ? AND tag_id = (SELECT id FROM tags WHERE name = ?)`),
    renameTag: db.prepare('UPDATE tags SET name = ? WHERE id = ?'),
    deleteTag: db.prepare('DELETE FROM tags WHERE name = ?'),
    pruneUnused: db.prepare(`
      DELETE FROM tags WHERE NOT EXISTS (
        SELECT 1 FROM message_tags mt WHERE mt.tag_id = tags.id
          AND mt.message_id IN (${VISIBLE}))`),
    automaticSource: db.prepare(`
      SELECT from_addresses, to_addresses, cc_addresses, envelope_recipients AS envelope
      FROM messages WHERE id = ?`),
    xTagsHeaders: db.prepare(`
      SELECT value FROM headers WHERE message_id = ? AND name = 'x-tags' COLLATE NOCASE
      ORDER BY position`),
  };
}
