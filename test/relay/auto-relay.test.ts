import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createMemoryLogger } from '../support/smtp-harness.js';
import { queuedId, sendMessage, startInstance, type Instance } from './helpers.js';

function message(subject: string): Buffer {
  return Buffer.from(
    `From: app@example.test\r\nTo: user@example.test\r\nSubject: ${subject}\r\n\r\nbody\r\n`,
  );
}

let receiver: Instance;
let sender: Instance;
const senderLog = createMemoryLogger();

beforeAll(async () => {
  receiver = await startInstance(['--no-starttls']);
  sender = await startInstance(
    [
      '--no-starttls',
      ...['--relay-server', `127.0.0.1:${receiver.core.smtpAddress.port}`],
      ...['--relay-matching', 'subject:forward'],
      ...['--relay-allowed-recipients', '*@example.test'],
    ],
    { logger: senderLog.logger },
  );
}, 30_000);

afterAll(async () => {
  await sender?.close();
  await receiver?.close();
});

describe('automatic relay', () => {
  it('relays only matching messages', async () => {
    const matching = await sendMessage(
      sender.core.smtpAddress.port,
      'app@example.test',
      ['user@example.test'],
      message('please forward this'),
    );
    const other = await sendMessage(
      sender.core.smtpAddress.port,
      'app@example.test',
      ['user@example.test'],
      message('keep this here'),
    );
    await sender.core.afterCommit.autoRelay.idle();

    const records = sender.core.afterCommit.relay.records;
    const [record] = records.list(matching.id);
    expect(record?.trigger).toBe('automatic');
    expect(record?.outcome).toBe('sent');
    expect(records.list(other.id)).toEqual([]);

    const arrived = receiver.core.store.queries.getRaw(queuedId(record?.reply ?? ''));
    expect(arrived?.equals(sender.core.store.queries.getRaw(matching.id) as Buffer)).toBe(true);
    expect(receiver.core.store.queries.counts().messages).toBe(1);
  });

  it('records an allowlist rejection', async () => {
    const sent = await sendMessage(
      sender.core.smtpAddress.port,
      'app@example.test',
      ['someone@elsewhere.test'],
      message('forward to elsewhere'),
    );
    await sender.core.afterCommit.autoRelay.idle();

    const [record] = sender.core.afterCommit.relay.records.list(sent.id);
    expect(record?.outcome).toBe('not-allowed');
    expect(record?.rejected.map((entry) => entry.address)).toEqual(['someone@elsewhere.test']);
    expect(senderLog.lines.join('')).toContain('release rejected by the allowlist');
  });

  it('stops when the query is cleared', async () => {
    const response = await sender.api('/relay', {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ relayMatching: null }),
    });
    expect(response.status).toBe(200);
    const sent = await sendMessage(
      sender.core.smtpAddress.port,
      'app@example.test',
      ['user@example.test'],
      message('forward me too'),
    );
    await sender.core.afterCommit.autoRelay.idle();
    expect(sender.core.afterCommit.relay.records.list(sent.id)).toEqual([]);
  });
});
