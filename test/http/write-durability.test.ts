import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { TurnTransaction } from '../../src/store/turn-transaction.js';
import { crlf } from '../store/helpers.js';
import { jsonRequest, openApiHarness, type ApiHarness } from './helpers.js';

let harness: ApiHarness;
let reader: Database.Database;

beforeEach(async () => {
  harness = await openApiHarness();
  reader = new Database(harness.store.path, { readonly: true });
});

afterEach(async () => {
  reader.close();
  await harness.close();
});

const readFlag = (id: string): unknown =>
  reader.prepare('SELECT read FROM messages WHERE id = ?').pluck().get(id);

describe('API writes', () => {
  it('answer once the change is on file', async () => {
    const id = await harness.deliver(crlf(['Subject: durable', '', 'body']));
    // A delivery that is writing keeps the store's shared transaction open.
    TurnTransaction.of(harness.store.db).enter();

    const response = await harness.request(
      '/api/v1/messages',
      jsonRequest('PUT', { IDs: [id], Read: true }),
    );

    expect(response.status).toBe(200);
    expect(readFlag(id)).toBe(1);
  });

  it('answer reads without a commit', async () => {
    const id = await harness.deliver(crlf(['Subject: read only', '', 'body']));
    const turn = TurnTransaction.of(harness.store.db);
    turn.enter();

    const response = await harness.request(`/api/v1/message/${id}`);

    expect(response.status).toBe(200);
    expect(harness.store.db.inTransaction).toBe(true);
    turn.commit();
  });
});
