import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ReleaseRecord } from '../../src/relay/release-records.js';
import type { RelaySettingsView } from '../../src/relay/settings.js';
import { json, queuedId, sendMessage, startInstance, type Instance } from './helpers.js';

/**
 * A message with what a relay could alter: a line that starts with a dot, 8-bit UTF-8
 * text, a long header folded over two lines, and trailing spaces.
 */
const MESSAGE = Buffer.from(
  [
    'From: App <app@example.test>',
    'To: Customer <customer@example.test>',
    'Subject: Release =?UTF-8?Q?gr=C3=BC=C3=9Fe?=',
    'Message-ID: <release-1@example.test>',
    'Date: Fri, 04 Dec 2026 10:00:00 +0000',
    'X-Long: first part of a long header',
    '\tcontinued on a folded line',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    'Grüße aus Mailscope.',
    '.a line that starts with a dot',
    '..two dots',
    'trailing spaces   ',
    '',
  ].join('\r\n'),
);

let receiver: Instance;
let sender: Instance;
let messageId: string;

beforeAll(async () => {
  // The receiver offers STARTTLS with its self-signed certificate and requires AUTH.
  receiver = await startInstance(['--smtp-auth', 'relay:secret']);
  sender = await startInstance([
    '--no-starttls',
    ...['--relay-server', `127.0.0.1:${receiver.core.smtpAddress.port}`],
    ...['--relay-tls', 'starttls', '--relay-allow-self-signed'],
    ...['--relay-auth', 'relay:secret'],
  ]);
  const sent = await sendMessage(
    sender.core.smtpAddress.port,
    'bounce@example.test',
    ['customer@example.test', 'hidden@example.test'],
    MESSAGE,
  );
  messageId = sent.id;
}, 30_000);

afterAll(async () => {
  await sender?.close();
  await receiver?.close();
});

async function release(body: unknown): Promise<{ status: number; record: ReleaseRecord }> {
  const response = await sender.api(`/messages/${messageId}/release`, json('POST', body));
  return { status: response.status, record: (await response.json()) as ReleaseRecord };
}

async function updateRelay(body: unknown): Promise<Response> {
  return sender.api('/relay', json('PUT', body));
}

describe('release', () => {
  it('arrives byte for byte with the original envelope', async () => {
    const { status, record } = await release({});

    expect(status).toBe(200);
    expect(record.outcome).toBe('sent');
    expect(record.reply).toMatch(/^250 2\.0\.0 Ok: queued as /);
    expect(record.recipients).toEqual(['customer@example.test', 'hidden@example.test']);
    expect(record.mailFrom).toBe('bounce@example.test');
    expect(record.error).toBeNull();

    const arrivedId = queuedId(record.reply ?? '');
    const original = sender.core.store.queries.getRaw(messageId);
    const arrived = receiver.core.store.queries.getRaw(arrivedId);
    expect(original).not.toBeNull();
    expect(arrived?.equals(original as Buffer)).toBe(true);

    const delivery = receiver.core.store.queries.getDelivery(arrivedId);
    expect(delivery?.mailFrom).toBe('bounce@example.test');
    expect(delivery?.recipients.map((recipient) => recipient.address)).toEqual([
      'customer@example.test',
      'hidden@example.test',
    ]);
    expect(delivery?.tls).not.toBeNull();
    expect(delivery?.authUser).toBe('relay');
  });

  it('sends to addresses given at release', async () => {
    const { status, record } = await release({
      to: ['Other <other@example.test>', 'third@example.test, fourth@example.test'],
    });

    expect(status).toBe(200);
    expect(record.recipients).toEqual([
      'other@example.test',
      'third@example.test',
      'fourth@example.test',
    ]);
    const delivery = receiver.core.store.queries.getDelivery(queuedId(record.reply ?? ''));
    expect(delivery?.recipients.map((recipient) => recipient.address)).toEqual([
      'other@example.test',
      'third@example.test',
      'fourth@example.test',
    ]);
  });

  it('rejects a malformed address', async () => {
    const response = await sender.api(
      `/messages/${messageId}/release`,
      json('POST', { to: ['not an address'] }),
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/Invalid recipient/);
  });

  it('returns 404 for an unknown message', async () => {
    const response = await sender.api('/messages/no-such-id/release', json('POST', {}));
    expect(response.status).toBe(404);
  });

  it('records the failure of an unreachable server', async () => {
    const before = sender.core.afterCommit.relay.settings.server;
    // Port 9 (discard) on loopback: nothing listens there in the test environment.
    expect((await updateRelay({ server: { host: '127.0.0.1', port: 9 } })).status).toBe(200);
    try {
      const { status, record } = await release({});
      expect(status).toBe(502);
      expect(record.outcome).toBe('failed');
      expect(record.error).toMatch(/ECONNREFUSED|connect/);
    } finally {
      await updateRelay({ server: before });
    }
  });

  it('fails on a self-signed certificate unless allowed', async () => {
    await updateRelay({ allowSelfSigned: false });
    try {
      const { status, record } = await release({});
      expect(status).toBe(502);
      expect(record.outcome).toBe('failed');
      expect(record.error).toMatch(/certificate/i);
    } finally {
      await updateRelay({ allowSelfSigned: true });
    }
  });
});

describe('release allowlist', () => {
  it('rejects recipients outside it and sends nothing', async () => {
    await updateRelay({ allowedRecipients: ['*@allowed.test', '/^ops\\+.*@example\\.test$/i'] });
    const countBefore = receiver.core.store.queries.counts().messages;
    try {
      const { status, record } = await release({ to: ['a@allowed.test', 'b@blocked.test'] });
      expect(status).toBe(403);
      expect(record.outcome).toBe('not-allowed');
      expect(record.error).toContain('b@blocked.test');
      expect(record.error).not.toContain('a@allowed.test,');
      expect(record.rejected.map((entry) => entry.address)).toEqual(['b@blocked.test']);
      expect(receiver.core.store.queries.counts().messages).toBe(countBefore);

      const allowed = await release({ to: ['a@allowed.test', 'OPS+alerts@example.test'] });
      expect(allowed.status).toBe(200);
      expect(receiver.core.store.queries.counts().messages).toBe(countBefore + 1);
    } finally {
      await updateRelay({ allowedRecipients: [] });
    }
  });

  it('checks original recipients too', async () => {
    await updateRelay({ allowedRecipients: ['customer@example.test'] });
    try {
      const { status, record } = await release({});
      expect(status).toBe(403);
      expect(record.rejected.map((entry) => entry.address)).toEqual(['hidden@example.test']);
    } finally {
      await updateRelay({ allowedRecipients: [] });
    }
  });

  it('rejects an invalid pattern in the settings', async () => {
    const response = await updateRelay({ allowedRecipients: ['/[unclosed/'] });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/Invalid allowlist/);
  });
});

describe('release records', () => {
  it('lists every release on the message', async () => {
    const response = await sender.api(`/messages/${messageId}/releases`);
    expect(response.status).toBe(200);
    const { releases } = (await response.json()) as { releases: ReleaseRecord[] };
    const outcomes = releases.map((entry) => entry.outcome);
    expect(outcomes).toContain('sent');
    expect(outcomes).toContain('failed');
    expect(outcomes).toContain('not-allowed');
    for (const entry of releases) {
      expect(entry.messageId).toBe(messageId);
      expect(entry.trigger).toBe('manual');
      expect(entry.server).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(typeof entry.at).toBe('number');
    }
    const seqs = releases.map((entry) => entry.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('go with their message when it is deleted', async () => {
    const { id } = await sendMessage(
      sender.core.smtpAddress.port,
      'app@example.test',
      ['customer@example.test'],
      MESSAGE,
    );
    await sender.api(`/messages/${id}/release`, json('POST', {}));
    expect(sender.core.afterCommit.relay.records.list(id)).toHaveLength(1);
    expect((await sender.api(`/messages/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect(sender.core.afterCommit.relay.records.list(id)).toHaveLength(0);
  });
});

describe('relay settings', () => {
  it('hides the password', async () => {
    const response = await sender.api('/relay');
    const view = (await response.json()) as RelaySettingsView;
    expect(view.enabled).toBe(true);
    expect(view.tls).toBe('starttls');
    expect(view.auth).toEqual({ user: 'relay', passwordSet: true });
    expect(JSON.stringify(view)).not.toContain('secret');
  });

  it('rejects an invalid TLS mode', async () => {
    const response = await updateRelay({ tls: 'ssl' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/Invalid relay TLS mode/);
  });

  it('turns release off without a server', async () => {
    const receiverOnly = await startInstance(['--no-starttls']);
    try {
      const { id } = await sendMessage(
        receiverOnly.core.smtpAddress.port,
        'app@example.test',
        ['customer@example.test'],
        MESSAGE,
      );
      const response = await receiverOnly.api(`/messages/${id}/release`, json('POST', {}));
      expect(response.status).toBe(409);
      expect(((await response.json()) as { error: string }).error).toMatch(/--relay-server/);
    } finally {
      await receiverOnly.close();
    }
  });
});

describe('mailpit release route', () => {
  it('releases and returns ok', async () => {
    const countBefore = receiver.core.store.queries.counts().messages;
    const response = await sender.request(
      `/api/v1/message/${messageId}/release`,
      json('POST', { To: ['mailpit@example.test'] }),
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
    expect(receiver.core.store.queries.counts().messages).toBe(countBefore + 1);

    const last = sender.core.afterCommit.relay.records.list(messageId).at(-1);
    expect(last?.trigger).toBe('mailpit');
    expect(last?.recipients).toEqual(['mailpit@example.test']);
  });

  it('returns 400 outside the allowlist', async () => {
    await updateRelay({ allowedRecipients: ['*@allowed.test'] });
    try {
      const response = await sender.request(
        `/api/v1/message/${messageId}/release`,
        json('POST', { To: ['x@blocked.test'] }),
      );
      expect(response.status).toBe(400);
      expect(await response.text()).toBe(
        'Failed: Address do not match the allowlist: x@blocked.test',
      );
    } finally {
      await updateRelay({ allowedRecipients: [] });
    }
  });

  it('requires To', async () => {
    const response = await sender.request(
      `/api/v1/message/${messageId}/release`,
      json('POST', { To: [] }),
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toBe('No valid addresses found');
  });

  it('returns 404 for an unknown message', async () => {
    const response = await sender.request(
      '/api/v1/message/unknown/release',
      json('POST', { To: ['a@example.test'] }),
    );
    expect(response.status).toBe(404);
  });
});
