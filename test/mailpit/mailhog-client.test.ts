import mailhog from 'mailhog';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startMailscope, waitFor, type Mailscope } from './helpers.js';

let mailscope: Mailscope;
let target: Mailscope;
let client: ReturnType<typeof mailhog>;

beforeAll(async () => {
  mailscope = await startMailscope();
  // A second Mailscope receives released messages over SMTP on loopback.
  target = await startMailscope();
  client = mailhog({ host: '127.0.0.1', port: Number(new URL(mailscope.base).port) });
});

afterAll(async () => {
  await target?.close();
  await mailscope?.close();
});

beforeEach(async () => {
  const response = await client.deleteAll();
  expect(response.statusCode).toBe(200);
});

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

  it('releases a message over SMTP', async () => {
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
  });
});
