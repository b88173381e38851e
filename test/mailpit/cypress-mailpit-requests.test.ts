import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startMailscope, type Mailscope } from './helpers.js';

// The requests of cypress-mailpit 2.0.0, replayed with fetch: the same paths (its view
// URLs start with a double slash), bodies and key casing. cy.request fails a test on a
// status outside 2xx and 3xx, follows redirects, and parses a body as JSON only when the
// response declares application/json.

let mailscope: Mailscope;
let base: string;

beforeAll(async () => {
  mailscope = await startMailscope();
  base = mailscope.base;
});

afterAll(async () => {
  await mailscope?.close();
});

beforeEach(async () => {
  await fetch(`${base}/api/v1/messages`, { method: 'DELETE' });
});

async function json(response: Response): Promise<Record<string, unknown>> {
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return (await response.json()) as Record<string, unknown>;
}

/** Builds the body of mailpitSendMail() with its defaults, attachment keys as the plugin writes them. */
function sendBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Attachments: [],
    Bcc: ['bcc@example.com'],
    Cc: [{ Email: 'cc@example.com', Name: 'CC' }],
    From: { Email: 'from@example.com', Name: 'From' },
    HTML: '<p>Hello from Mailpit!</p>',
    Headers: {},
    ReplyTo: [{ Email: 'reply@example.com', Name: 'Reply' }],
    Subject: 'Hello Mailpit',
    Tags: [],
    Text: 'Hello from Mailpit!',
    To: [{ Email: 'jane@example.com', Name: 'Jane' }],
    ...overrides,
  };
}

async function sendMail(overrides: Record<string, unknown> = {}): Promise<string> {
  const response = await fetch(`${base}/api/v1/send`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(sendBody(overrides)),
  });
  const body = await json(response);
  expect(body.ID).toMatch(/^[0-9A-Za-z]{22}$/);
  return body.ID as string;
}

describe('cypress-mailpit requests', () => {
  it('mailpitSendMail and mailpitGetMail', async () => {
    const attachment = {
      Content: Buffer.from('attachment text').toString('base64'),
      FileName: 'notes.txt',
      ContentType: 'text/plain',
    };
    const id = await sendMail({ Attachments: [attachment] });

    const message = await json(await fetch(`${base}/api/v1/message/latest`));
    expect(message.ID).toBe(id);
    expect(message.Subject).toBe('Hello Mailpit');
    // mailpitGetRecipientAddress maps over To; mailpitGetFromAddress reads From.Address.
    expect((message.To as Array<{ Address: string }>).map((to) => to.Address)).toEqual([
      'jane@example.com',
    ]);
    expect((message.From as { Address: string }).Address).toBe('from@example.com');
    // mailpitGetAttachments reads Attachments[].FileName; the request wrote `FileName`.
    expect((message.Attachments as Array<{ FileName: string }>).map((a) => a.FileName)).toEqual([
      'notes.txt',
    ]);
    expect(message.Bcc).toEqual([{ Name: '', Address: 'bcc@example.com' }]);
    expect(await json(await fetch(`${base}/api/v1/message/${id}`))).toEqual(message);
  });

  it('mailpitGetAllMails', async () => {
    const id = await sendMail();
    const list = await json(await fetch(`${base}/api/v1/messages?start=0&limit=50`));
    expect(list.messages_count).toBe(1);
    expect((list.messages as Array<{ ID: string }>)[0]?.ID).toBe(id);
  });

  it('mailpitHasEmailsBySubject with a multi-word subject', async () => {
    await sendMail();
    await sendMail({ Subject: 'Other subject' });
    // The plugin writes subject:${subject} without quotes: `subject:Hello` AND `Mailpit`.
    const query = encodeURIComponent('subject:Hello Mailpit');
    const found = await json(await fetch(`${base}/api/v1/search?query=${query}&start=0&limit=50`));
    expect(found.messages_count).toBe(1);

    const to = encodeURIComponent('to:jane@example.com');
    const byTo = await json(await fetch(`${base}/api/v1/search?query=${to}&start=0&limit=50`));
    expect(byTo.messages_count).toBe(2);

    const none = encodeURIComponent('subject:Absent');
    const notFound = await json(await fetch(`${base}/api/v1/search?query=${none}`));
    expect(notFound.messages_count).toBe(0);
  });

  it('mailpitSetAllEmailStatusAsRead and UnRead', async () => {
    await sendMail();
    await sendMail();
    const put = (body: unknown) =>
      fetch(`${base}/api/v1/messages`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const read = await put({ IDs: [], Read: true });
    expect(read.status).toBe(200);
    expect(await read.text()).toBe('ok');
    expect((await json(await fetch(`${base}/api/v1/messages`))).unread).toBe(0);

    expect((await put({ IDs: [], Read: false })).status).toBe(200);
    expect((await json(await fetch(`${base}/api/v1/messages`))).unread).toBe(2);
  });

  it('mailpitSetStatusAsRead for chosen messages', async () => {
    const first = await sendMail();
    await sendMail();
    const response = await fetch(`${base}/api/v1/messages`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ IDs: [first], Read: true }),
    });
    expect(await response.text()).toBe('ok');
    const list = await json(await fetch(`${base}/api/v1/messages`));
    const states = (list.messages as Array<{ ID: string; Read: boolean }>).map((m) => [
      m.ID,
      m.Read,
    ]);
    expect(states).toContainEqual([first, true]);
    expect(list.unread).toBe(1);
  });

  it('mailpitDeleteEmailsBySearch and mailpitDeleteAllEmails', async () => {
    await sendMail();
    const kept = await sendMail({ Subject: 'Keep me' });
    const query = encodeURIComponent('subject:Hello');
    const deleted = await fetch(`${base}/api/v1/search?query=${query}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    const list = await json(await fetch(`${base}/api/v1/messages`));
    expect((list.messages as Array<{ ID: string }>).map((m) => m.ID)).toEqual([kept]);

    // No body at all: Mailpit deletes every message.
    const all = await fetch(`${base}/api/v1/messages`, { method: 'DELETE' });
    expect(all.status).toBe(200);
    expect(await all.text()).toBe('ok');
    expect((await json(await fetch(`${base}/api/v1/messages`))).total).toBe(0);
  });

  it('mailpitGetMailHTMlBody and mailpitGetMailTextBody through //view', async () => {
    const id = await sendMail();
    const html = await fetch(`${base}//view/${id}.html`);
    expect(html.status).toBe(200);
    expect(html.redirected).toBe(true);
    expect(new URL(html.url).pathname).toBe(`/view/${id}.html`);
    expect(await html.text()).toContain('<p>Hello from Mailpit!</p>');

    const text = await fetch(`${base}//view/${id}.txt`);
    expect(text.status).toBe(200);
    expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect((await text.text()).trim()).toBe('Hello from Mailpit!');
  });

  it('mailpitGetMailSpamAssassinSummary without SpamAssassin', async () => {
    const id = await sendMail();
    // Mailpit registers no sa-check route without a SpamAssassin host.
    const response = await fetch(`${base}/api/v1/message/${id}/sa-check`);
    expect(response.status).toBe(404);
  });
});
