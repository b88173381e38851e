import path from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';

import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { openDatabase } from '../../src/store/index.js';
import { COMMIT_DELAY_MS, MAX_HOLD_MS, TurnTransaction } from '../../src/store/turn-transaction.js';
import { makeTempDir } from './helpers.js';

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let writer: Database.Database;
let reader: Database.Database;
let turn: TurnTransaction;

beforeEach(async () => {
  temp = await makeTempDir();
  const file = path.join(temp.dir, 'turns.db');
  writer = openDatabase(file, { migrations: [] });
  writer.exec('CREATE TABLE notes (text TEXT NOT NULL)');
  reader = openDatabase(file, { migrations: [] });
  turn = TurnTransaction.of(writer);
});

afterEach(async () => {
  turn.commit();
  reader.close();
  writer.close();
  await temp.remove();
});

const write = (text: string): void => {
  turn.enter();
  writer.prepare('INSERT INTO notes (text) VALUES (?)').run(text);
};
const onFile = (): string[] =>
  reader.prepare('SELECT text FROM notes ORDER BY rowid').pluck().all() as string[];

describe('TurnTransaction', () => {
  it('is shared per connection', () => {
    expect(TurnTransaction.of(writer)).toBe(turn);
    expect(TurnTransaction.of(reader)).not.toBe(turn);
  });

  it('keeps several turns in one transaction', async () => {
    write('one');
    await nextTurn();
    write('two');
    expect(onFile()).toEqual([]);

    await turn.durable();
    expect(onFile()).toEqual(['one', 'two']);
    expect(writer.inTransaction).toBe(false);
  });

  it('commits unawaited writes after a delay', async () => {
    write('unawaited');
    await sleep(COMMIT_DELAY_MS * 3);
    expect(onFile()).toEqual(['unawaited']);
  });

  it('rejects durable() after a rollback', async () => {
    write('lost');
    const durable = turn.durable();
    writer.exec('ROLLBACK');

    await expect(durable).rejects.toThrow(/rolled back/);
    expect(onFile()).toEqual([]);
  });

  it('reports a failed commit to earlier marks', async () => {
    const before = turn.mark();
    write('lost');
    const durable = turn.durable();
    writer.exec('ROLLBACK');
    await expect(durable).rejects.toThrow(/rolled back/);
    const after = turn.mark();

    expect(turn.failedSince(before)).toBe(true);
    expect(turn.failedSince(after)).toBe(false);
  });

  it("leaves a caller's transaction to the caller", async () => {
    writer.exec('BEGIN');
    write('inside');
    await turn.durable();
    expect(onFile()).toEqual([]);

    writer.exec('COMMIT');
    expect(onFile()).toEqual(['inside']);
  });

  it('holds a commit while writes are coming', async () => {
    let writing = true;
    const remove = turn.addHold(() => writing);
    write('first');
    let committed = false;
    const durable = turn.durable().then(() => {
      committed = true;
    });
    await nextTurn();
    write('second');
    expect(committed).toBe(false);

    writing = false;
    await durable;
    expect(onFile()).toEqual(['first', 'second']);
    remove();
  });

  it('stops holding after MAX_HOLD_MS', async () => {
    const remove = turn.addHold(() => true);
    write('held');
    const started = performance.now();
    await turn.durable();
    const waited = performance.now() - started;

    expect(onFile()).toEqual(['held']);
    expect(waited).toBeGreaterThanOrEqual(MAX_HOLD_MS - 2);
    remove();
  });
});
