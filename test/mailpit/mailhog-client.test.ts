import { createServer, type AddressInfo, type Server } from 'node:net';

import mailhog from 'mailhog';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startMailscope, waitFor, type Mailscope } from './helpers.js';

let mailscope: Mailscope;
let target: Mailscope;
let client: ReturnType<typeof mailhog>;

beforeAll(async () => {
  // A second Mailscope is the configured relay server: it receives released messages over
  // SMTP on loopback.
  target = await startMailscope();
  mailscope = await startMailscope([
    ...['--relay-server', `127.0.0.1:${target.core.smtpAddress.port}`],
    ...['--relay-allowed-recipients', '*@example.test'],
  ]);
  client = mailhog({ host: '127.0.0.1', port: Number(new URL(mailscope.base).port) });
});

afterAll(async () => {
  await target?.close();
  await mailscope?.close();
});

beforeEach(async () => {
  const response = await client.deleteAll();
  expect(response.statusCode).toBe(200);
  await fetch(`${target.base}/api/v1/messages`, { method: 'DELETE' });
});

/** Fetches the release records of a message from Mailscope's own API. */
async function releasesOf(id: string): Promise<Array<{ outcome: string; trigger: string }>> {
  const response = await fetch(`${mailscope.base}/api/mailscope/messages/${id}/releases`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { releases: Array<{ outcome: string; trigger: string }> })
    .releases;
}

/** POSTs a MailHog release request and returns the status and the parsed JSON error. */
async function postRelease(
  instance: Mailscope,
  id: string,
  body: Record<string, unknown>,
): Promise<{ status: number; error: string }> {
  const response = await fetch(`${instance.base}/api/v1/messages/${id}/release`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    error: text === '' ? '' : ((JSON.parse(text) as { error: string }).error ?? ''),
  };
}

/** Starts a TCP listener on loopback that counts connections and closes each at once. */
async function startProbeTarget(): Promise<{ server: Server; port: number; count(): number }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    count: () => connections,
  };
}

describe('mailhog client', () => {
  it('lists messages with decoded fields', async () => {
    const id = await mailscope.send({
      from: 'Sender <sender@example.test>',
      to: 'Ann <ann@example.test>',
      cc: 'cc@example.test',
      bcc: 'hidden@example.test',
      replyTo: 'reply@example.test',
      subject: 'Grüße aus Köln',
      text: 'Plain text with ümlauts',
      html: '<p>HTML with ümlauts</p>',
      attachments: [{ filename: 'report.txt', content: 'report body' }],
    });
    await mailscope.send({ from: 'other@example.test', to: 'bob@example.test', text: 'second' });

    const result = await client.messages();
    expect(result?.total).toBe(2);
    expect(result?.count).toBe(2);
    expect(result?.start).toBe(0);
    const message = result?.items[1];
    expect(message?.ID).toBe(id);
    // The client decodes Q-encoded words but leaves `_` for spaces, against MailHog too.
    const content = (message as unknown as { Content: { Headers: Record<string, string[]> } })
      .Content;
    expect(content.Headers['Subject']?.[0]).toMatch(/^=\?UTF-8\?Q\?/);
    expect(message?.subject).toBe('Grüße_aus_Köln');
    expect(message?.from).toBe('Sender <sender@example.test>');
    expect(message?.to).toBe('Ann <ann@example.test>');
    expect(message?.cc).toBe('cc@example.test');
    expect(message?.replyTo).toBe('reply@example.test');
    expect(message?.text?.trim()).toBe('Plain text with ümlauts');
    expect(message?.html).toBe('<p>HTML with ümlauts</p>');
    expect(message?.attachments.map((file) => file.name)).toEqual(['report.txt']);
    expect(client.decode(message?.attachments[0]?.Body ?? '', 'base64')).toBe('report body');
    expect(message?.deliveryDate.getTime()).toBeGreaterThan(Date.now() - 60_000);

    const page = await client.messages(1, 1);
    expect(page?.count).toBe(1);
    expect(page?.items[0]?.ID).toBe(id);
  });

  it('searches by sender, recipient and content', async () => {
    const first = await mailscope.send({
      from: 'alice@example.test',
      to: 'zed@example.test',
      bcc: 'secret@example.test',
      subject: 'first',
      text: 'needle in a haystack',
    });
    const second = await mailscope.send({
      from: 'bob@example.test',
      to: 'yan@example.test',
      subject: 'second',
      text: 'nothing here',
    });

    expect((await client.latestFrom('alice@'))?.ID).toBe(first);
    expect((await client.latestTo('yan@example.test'))?.ID).toBe(second);
    // The envelope recipient matches although no header names it.
    expect((await client.latestTo('secret@example.test'))?.ID).toBe(first);
    expect((await client.latestContaining('NEEDLE'))?.ID).toBe(first);
    const search = await client.search('example.test', 'from');
    expect(search?.total).toBe(2);
    // The client returns the count, 0, when nothing matches.
    expect(await client.latestContaining('absent words')).toBeFalsy();
  });

  it('deletes one message', async () => {
    const id = await mailscope.send({ from: 'a@example.test', to: 'b@example.test', text: 'x' });
    const response = await client.deleteMessage(id);
    expect(response.statusCode).toBe(200);
    expect((await client.messages())?.total).toBe(0);
  });

  it('releases through the configured relay', async () => {
    const id = await mailscope.send({
      from: 'a@example.test',
      to: 'b@example.test',
      subject: 'to release',
      text: 'released body',
    });
    const response = await client.releaseMessage(id, {
      host: '127.0.0.1',
      port: String(target.core.smtpAddress.port),
      email: 'receiver@example.test',
    });
    expect(response.statusCode).toBe(200);

    const released = await waitFor(() => target.core.store.queries.listMessages()[0]);
    expect(released.subject).toBe('to release');
    const detail = target.core.store.queries.getMessage(released.id);
    expect(detail?.envelopeRecipients).toEqual(['receiver@example.test']);
    const releases = await releasesOf(id);
    expect(releases).toHaveLength(1);
    expect(releases[0]?.outcome).toBe('sent');
    expect(releases[0]?.trigger).toBe('mailpit');
  });

  it('releases without Host and Port', async () => {
    const id = await mailscope.send({ from: 'a@example.test', to: 'b@example.test', text: 'x' });
    const result = await postRelease(mailscope, id, { Email: 'receiver@example.test' });
    expect(result.status).toBe(200);
    expect(result.error).toBe('');
    await waitFor(() => target.core.store.queries.listMessages()[0]);
    expect((await releasesOf(id))[0]?.outcome).toBe('sent');
  });

  it('rejects another server without connecting', async () => {
    const probe = await startProbeTarget();
    try {
      const id = await mailscope.send({ from: 'a@example.test', to: 'b@example.test', text: 'x' });
      const cases = [
        { Host: '127.0.0.1', Port: String(probe.port) },
        { Host: 'localhost', Port: String(target.core.smtpAddress.port) },
        { Host: '127.0.0.1', Port: 'smtp' },
      ];
      for (const server of cases) {
        const result = await postRelease(mailscope, id, { ...server, Email: 'r@example.test' });
        expect(result.status).toBe(400);
        expect(result.error).toContain(`127.0.0.1:${target.core.smtpAddress.port}`);
        expect(result.error).not.toMatch(/ECONNREFUSED|ECONNRESET|closed/i);
      }
      expect(probe.count()).toBe(0);
      expect(await releasesOf(id)).toEqual([]);
      expect(target.core.store.queries.listMessages()).toEqual([]);
    } finally {
      probe.server.close();
    }
  });

  it('applies the relay allowlist', async () => {
    const id = await mailscope.send({ from: 'a@example.test', to: 'b@example.test', text: 'x' });
    const response = await client.releaseMessage(id, {
      host: '127.0.0.1',
      port: String(target.core.smtpAddress.port),
      email: 'someone@elsewhere.test',
    });
    // The client resolves with the parsed body when there is one: here the JSON error.
    expect((response as unknown as { error: string }).error).toMatch(/relay allowlist/);
    const releases = await releasesOf(id);
    expect(releases).toHaveLength(1);
    expect(releases[0]?.outcome).toBe('not-allowed');
    expect(target.core.store.queries.listMessages()).toEqual([]);
  });

  it('rejects release while release is off', async () => {
    // The relay target itself has no relay server configured.
    const id = await target.send({ from: 'a@example.test', to: 'b@example.test', text: 'x' });
    const result = await postRelease(target, id, {
      Host: '127.0.0.1',
      Port: String(mailscope.core.smtpAddress.port),
      Email: 'r@example.test',
    });
    expect(result.status).toBe(400);
    expect(result.error).toMatch(/Release is off/);
    expect(mailscope.core.store.queries.listMessages()).toEqual([]);
  });

  it('returns 404 for an unknown message', async () => {
    const result = await postRelease(mailscope, 'NoSuchMessage', { Email: 'r@example.test' });
    expect(result.status).toBe(404);
  });

  it('ignores start and limit out of range', async () => {
    await mailscope.send({ from: 'a@example.test', to: 'b@example.test', text: 'needle' });
    const huge = '99999999999999999999';
    for (const path of ['/api/v2/messages', '/api/v2/search?kind=containing&query=needle']) {
      const separator = path.includes('?') ? '&' : '?';
      for (const query of [`start=${huge}`, `limit=${huge}`, `start=${huge}&limit=${huge}`]) {
        const response = await fetch(`${mailscope.base}${path}${separator}${query}`);
        expect(response.status, `${path} ${query}`).toBe(200);
        const page = (await response.json()) as { start: number; count: number };
        expect(page.start, `${path} ${query}`).toBe(0);
        expect(page.count, `${path} ${query}`).toBe(1);
      }
      // Within Go's 64-bit range, a start beyond the last message returns an empty page.
      const response = await fetch(`${mailscope.base}${path}${separator}start=9007199254740993`);
      expect(response.status, path).toBe(200);
      expect(((await response.json()) as { count: number }).count, path).toBe(0);
    }
  });
});
