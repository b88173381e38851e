import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Jimp } from 'jimp';
import { MailpitClient } from 'mailpit-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startMailscope, type Mailscope } from './helpers.js';

let mailscope: Mailscope;
let client: MailpitClient;
let links: Server;
let linkBase: string;

beforeAll(async () => {
  mailscope = await startMailscope();
  client = new MailpitClient(mailscope.base);
  // The target of the link check: a loopback server with a found, a missing and a moved page.
  links = createServer((request, response) => {
    if (request.url === '/ok') response.writeHead(200).end('fine');
    else if (request.url === '/moved') response.writeHead(302, { Location: '/ok' }).end();
    else response.writeHead(404).end('missing');
  });
  await new Promise<void>((resolve) => links.listen(0, '127.0.0.1', resolve));
  linkBase = `http://127.0.0.1:${(links.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => links?.close(resolve));
  await mailscope?.close();
});

beforeEach(async () => {
  await client.deleteMessages();
});

async function pngImage(width: number, height: number): Promise<Buffer> {
  const image = new Jimp({ width, height, color: 0x3366ccff });
  return image.getBuffer('image/png');
}

describe('mailpit-api client', () => {
  it('lists, reads and marks messages', async () => {
    const first = await mailscope.send({
      from: 'Sender <sender@example.test>',
      to: 'Ann <ann@example.test>',
      bcc: 'hidden@example.test',
      subject: 'First message',
      text: 'Hello from the first message',
    });
    const second = await mailscope.send({
      from: 'sender@example.test',
      to: 'bob@example.test',
      subject: 'Second message',
      text: 'Hello again',
    });

    const list = await client.listMessages();
    expect(list.total).toBe(2);
    expect(list.unread).toBe(2);
    expect(list.messages_count).toBe(2);
    expect(list.count).toBe(2);
    expect(list.start).toBe(0);
    expect(list.messages.map((message) => message.ID)).toEqual([second, first]);
    const summary = list.messages[1];
    expect(summary?.From).toEqual({ Name: 'Sender', Address: 'sender@example.test' });
    expect(summary?.To).toEqual([{ Name: 'Ann', Address: 'ann@example.test' }]);
    expect(summary?.Bcc).toEqual([{ Name: '', Address: 'hidden@example.test' }]);
    expect(summary?.Cc).toEqual([]);
    expect(summary?.ReplyTo).toEqual([]);
    expect(summary?.Read).toBe(false);
    expect(summary?.Attachments).toBe(0);
    expect(summary?.Snippet).toBe('Hello from the first message');
    expect(Number.isNaN(Date.parse(summary?.Created ?? ''))).toBe(false);

    const page = await client.listMessages(1, 1);
    expect(page.messages.map((message) => message.ID)).toEqual([first]);
    expect(page.start).toBe(1);
    expect(page.messages_count).toBe(2);

    const message = await client.getMessageSummary(first);
    expect(message.ID).toBe(first);
    expect(message.Subject).toBe('First message');
    expect(message.Text.trim()).toBe('Hello from the first message');
    expect(message.HTML).toBe('');
    expect(message.ReturnPath).toBe('sender@example.test');
    expect(message.Bcc).toEqual([{ Name: '', Address: 'hidden@example.test' }]);
    expect((await client.listMessages()).unread).toBe(1);

    const latest = await client.getMessageSummary();
    expect(latest.ID).toBe(second);
    expect((await client.listMessages()).unread).toBe(0);

    expect(await client.setReadStatus({ IDs: [first], Read: false })).toBe('ok');
    expect((await client.listMessages()).messages[1]?.Read).toBe(false);
    expect(await client.setReadStatus({ Read: true })).toBe('ok');
    expect((await client.listMessages()).unread).toBe(0);
    // Without arguments the body is {}: Read is false, so every message becomes unread.
    expect(await client.setReadStatus()).toBe('ok');
    expect((await client.listMessages()).unread).toBe(2);
    expect(await client.setReadStatus({ Search: 'subject:Second', Read: true })).toBe('ok');
    expect((await client.listMessages()).unread).toBe(1);
  });

  it('returns headers and source', async () => {
    const id = await mailscope.send({
      from: 'sender@example.test',
      to: 'ann@example.test',
      subject: 'Headers',
      text: 'Body',
      headers: { 'X-Custom-Thing': 'custom value' },
    });
    const headers = await client.getMessageHeaders(id);
    expect(headers['Subject']).toEqual(['Headers']);
    expect(headers['X-Custom-Thing']).toEqual(['custom value']);
    expect(headers['Message-Id']?.length).toBe(1);
    expect(Object.keys(headers)).toEqual([...Object.keys(headers)].sort());

    const source = await client.getMessageSource(id);
    expect(source).toContain('Subject: Headers\r\n');
    expect(source).toContain('X-Custom-Thing: custom value');
    expect(await client.getMessageSource()).toBe(source);
  });

  it('serves attachments and thumbnails', async () => {
    const png = await pngImage(360, 240);
    const id = await mailscope.send({
      from: 'sender@example.test',
      to: 'ann@example.test',
      subject: 'With files',
      text: 'See the files',
      html: '<p>Logo <img src="cid:logo@example.test"></p>',
      attachments: [
        { filename: 'notes.txt', content: 'note text', contentType: 'text/plain' },
        { filename: 'picture.png', content: png, contentType: 'image/png' },
        { filename: 'logo.png', content: png, cid: 'logo@example.test' },
      ],
    });
    const message = await client.getMessageSummary(id);
    expect(message.Attachments.map((file) => file.FileName)).toEqual(['notes.txt', 'picture.png']);
    expect(message.Inline.map((file) => file.ContentID)).toEqual(['logo@example.test']);
    const notes = message.Attachments[0];
    expect(notes?.Size).toBe(9);
    expect(notes?.ContentType).toBe('text/plain');
    expect(notes?.Checksums.SHA256).toMatch(/^[0-9a-f]{64}$/);
    const summary = (await client.listMessages()).messages[0];
    expect(summary?.Attachments).toBe(2);

    const file = await client.getMessageAttachment(id, notes?.PartID ?? '');
    expect(await file.text()).toBe('note text');
    expect(file.type).toMatch(/^text\/plain/);

    const picture = message.Attachments[1];
    const thumb = await client.getAttachmentThumbnail(id, picture?.PartID ?? '');
    expect(thumb.type).toBe('image/jpeg');
    const decoded = await Jimp.read(Buffer.from(await thumb.arrayBuffer()));
    expect(decoded.bitmap.width).toBe(180);
    expect(decoded.bitmap.height).toBe(120);
    // A part that is not an image still gets a blank JPEG of the same size.
    const blank = await client.getAttachmentThumbnail(id, notes?.PartID ?? '');
    expect((await Jimp.read(Buffer.from(await blank.arrayBuffer()))).bitmap.width).toBe(180);
  });

  it('sends a message through the API', async () => {
    const content = Buffer.from('attached bytes').toString('base64');
    const sent = await client.sendMessage({
      From: { Email: 'api@example.test', Name: 'API' },
      To: [{ Email: 'to@example.test', Name: 'To' }],
      Cc: [{ Email: 'cc@example.test' }],
      Bcc: ['bcc@example.test'],
      ReplyTo: [{ Email: 'reply@example.test' }],
      Subject: 'Sent by API',
      Text: 'Text body',
      HTML: '<p>HTML body</p>',
      Attachments: [{ Content: content, Filename: 'data.bin', ContentType: 'application/x-test' }],
      Tags: ['Alpha', 'beta'],
      Headers: { 'X-Sent-By': 'test' },
    });
    expect(sent.ID).toMatch(/^[0-9A-Za-z]{22}$/);

    const message = await client.getMessageSummary(sent.ID);
    expect(message.From).toEqual({ Name: 'API', Address: 'api@example.test' });
    expect(message.To).toEqual([{ Name: 'To', Address: 'to@example.test' }]);
    expect(message.Cc).toEqual([{ Name: '', Address: 'cc@example.test' }]);
    expect(message.Bcc).toEqual([{ Name: '', Address: 'bcc@example.test' }]);
    expect(message.ReplyTo).toEqual([{ Name: '', Address: 'reply@example.test' }]);
    expect(message.Subject).toBe('Sent by API');
    expect(message.Text.trim()).toBe('Text body');
    expect(message.HTML).toContain('<p>HTML body</p>');
    expect(message.Tags).toEqual(['Alpha', 'beta']);
    expect(message.Attachments.map((file) => [file.FileName, file.ContentType])).toEqual([
      ['data.bin', 'application/x-test'],
    ]);
    expect((await client.getMessageHeaders(sent.ID))['X-Sent-By']).toEqual(['test']);

    await expect(
      client.sendMessage({ From: { Email: 'api@example.test' }, To: [], Subject: 'nobody' }),
    ).rejects.toThrow(/no recipients/);
  });

  it('searches and deletes by search', async () => {
    const alpha = await mailscope.send({
      from: 'a@example.test',
      to: 'x@example.test',
      subject: 'alpha report',
      text: 'one',
    });
    await mailscope.send({
      from: 'b@example.test',
      to: 'y@example.test',
      subject: 'beta report',
      text: 'two',
    });

    const found = await client.searchMessages({ query: 'subject:alpha' });
    expect(found.messages_count).toBe(1);
    expect(found.total).toBe(2);
    expect(found.messages.map((message) => message.ID)).toEqual([alpha]);
    const paged = await client.searchMessages({ query: 'report', start: 1, limit: 1 });
    expect(paged.messages_count).toBe(2);
    expect(paged.messages.map((message) => message.ID)).toEqual([alpha]);

    expect(await client.deleteMessagesBySearch({ query: 'from:b@example.test' })).toBe('ok');
    expect((await client.listMessages()).messages.map((message) => message.ID)).toEqual([alpha]);
    expect(await client.deleteMessages({ IDs: [alpha] })).toBe('ok');
    expect((await client.listMessages()).total).toBe(0);
  });

  it('waits for messages', async () => {
    const waiting = client.waitForMessage(
      { query: 'subject:awaited' },
      { timeout: 5000, interval: 50 },
    );
    setTimeout(() => {
      void mailscope.send({
        from: 'a@example.test',
        to: 'x@example.test',
        subject: 'awaited',
        text: 'here',
      });
    }, 100);
    const message = await waiting;
    expect(message.Subject).toBe('awaited');

    const all = await client.waitForMessages({ count: 1, exact: true }, { timeout: 2000 });
    expect(all.messages_count).toBe(1);
  });

  it('manages tags', async () => {
    const id = await mailscope.send({
      from: 'a@example.test',
      to: 'x@example.test',
      subject: 'tagged',
      text: 'tags',
      headers: { 'X-Tags': 'first, second' },
    });
    expect(await client.getTags()).toEqual(['first', 'second']);
    expect((await client.getMessageSummary(id)).Tags).toEqual(['first', 'second']);

    expect(await client.setTags({ IDs: [id], Tags: ['third'] })).toBe('ok');
    expect(await client.getTags()).toEqual(['third']);
    expect(await client.renameTag('third', 'fourth')).toBe('ok');
    expect((await client.listMessages()).tags).toEqual(['fourth']);
    await expect(client.renameTag('missing', 'other')).rejects.toThrow(/tag not found/);
    expect(await client.deleteTag('fourth')).toBe('ok');
    expect(await client.getTags()).toEqual([]);
    expect((await client.listMessages()).total).toBe(1);
    await client.setTags({ IDs: [id], Tags: ['again'] });
    // With Tags omitted the message's tags are cleared.
    expect(await client.setTags({ IDs: [id] })).toBe('ok');
    expect(await client.getTags()).toEqual([]);
  });

  it('checks HTML and links', async () => {
    const id = await mailscope.send({
      from: 'a@example.test',
      to: 'x@example.test',
      subject: 'links',
      html: `<p><a href="${linkBase}/ok">ok</a> <a href="${linkBase}/missing">missing</a>
        <a href="${linkBase}/moved">moved</a></p>`,
    });
    const html = await client.htmlCheck(id);
    expect(html.Total.Nodes).toBeGreaterThan(0);
    expect(Array.isArray(html.Warnings)).toBe(true);

    const checked = await client.linkCheck(id);
    const statuses = Object.fromEntries(checked.Links.map((link) => [link.URL, link.StatusCode]));
    expect(statuses).toEqual({
      [`${linkBase}/ok`]: 200,
      [`${linkBase}/missing`]: 404,
      [`${linkBase}/moved`]: 302,
    });
    expect(checked.Errors).toBe(1);
    const followed = await client.linkCheck(id, true);
    expect(followed.Links.find((link) => link.URL.endsWith('/moved'))?.StatusCode).toBe(200);
    // The link check marks the message read.
    expect((await client.listMessages()).unread).toBe(0);

    const textOnly = await mailscope.send({
      from: 'a@example.test',
      to: 'x@example.test',
      subject: 'text only',
      text: 'no html',
    });
    await expect(client.htmlCheck(textOnly)).rejects.toThrow(/does not contain HTML/);
  });

  it('renders the HTML and text views', async () => {
    const id = await mailscope.send({
      from: 'a@example.test',
      to: 'x@example.test',
      subject: 'views',
      text: 'plain view',
      html: '<p><a href="https://example.test/">link</a></p>',
    });
    const html = await client.renderMessageHTML(id);
    expect(html).toContain('<a href="https://example.test/">link</a>');
    const embedded = await client.renderMessageHTML(id, 1);
    expect(embedded).toContain('target="_blank" rel="noreferrer noopener"');
    expect(await client.renderMessageText()).toContain('plain view');
  });

  it('reports server information', async () => {
    await mailscope.send({ from: 'a@example.test', to: 'x@example.test', text: 'x' });
    const info = await client.getInfo();
    expect(info.Messages).toBe(1);
    expect(info.Unread).toBe(1);
    expect(typeof info.Version).toBe('string');
    expect(info.Database).toContain('mailscope.db');
    expect(info.DatabaseSize).toBeGreaterThan(0);
    expect(info.RuntimeStats.SMTPAccepted).toBeGreaterThanOrEqual(1);

    const configuration = await client.getConfiguration();
    expect(configuration.SpamAssassin).toBe(false);
    // No relay server is configured; the failure rules behind chaos are always present.
    expect(configuration.MessageRelay.Enabled).toBe(false);
    expect(configuration.MessageRelay.SMTPServer).toBe('');
    expect(configuration.ChaosEnabled).toBe(true);
  });

  it('rejects what the server does not offer', async () => {
    await mailscope.send({ from: 'a@example.test', to: 'x@example.test', text: 'x' });
    // Without a SpamAssassin host the route does not exist, as in Mailpit.
    await expect(client.spamAssassinCheck()).rejects.toThrow(/404/);
    await expect(client.getMessageSummary('NoSuchMessage')).rejects.toThrow(/404/);
    await client.deleteMessages();
    await expect(client.getMessageSummary('latest')).rejects.toThrow(/Message not found/);
  });

  it('answers the chaos and release routes', async () => {
    const id = await mailscope.send({ from: 'a@example.test', to: 'x@example.test', text: 'x' });
    // No relay is configured, so releasing fails with status 400.
    await expect(client.releaseMessage(id, { To: ['y@example.test'] })).rejects.toThrow(/400/);
    // The chaos triggers are failure rules, which Mailscope always has; Mailpit's defaults.
    const initial = await client.getChaosTriggers();
    expect(initial.Sender).toEqual({ ErrorCode: 451, Probability: 0 });
    expect(initial.Authentication).toEqual({ ErrorCode: 535, Probability: 0 });
    const updated = await client.setChaosTriggers({
      Recipient: { ErrorCode: 452, Probability: 50 },
    });
    expect(updated.Recipient).toEqual({ ErrorCode: 452, Probability: 50 });
    expect(updated.Sender).toEqual({ ErrorCode: 451, Probability: 0 });
    // Without triggers, every trigger returns to its default at 0 %.
    const reset = await client.setChaosTriggers();
    expect(reset.Recipient).toEqual({ ErrorCode: 451, Probability: 0 });
  });
});
