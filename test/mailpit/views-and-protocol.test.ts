import { MailpitClient } from 'mailpit-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startMailscope, type Mailscope } from './helpers.js';

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

function sendPlain(subject: string, extra: Record<string, unknown> = {}): Promise<string> {
  return mailscope.send({
    from: 'a@example.test',
    to: 'b@example.test',
    subject,
    text: `${subject} text`,
    ...extra,
  });
}

async function unread(): Promise<number> {
  const list = (await (await fetch(`${base}/api/v1/messages`)).json()) as { unread: number };
  return list.unread;
}

describe('/view routes', () => {
  it('serves HTML with cid links pointing at parts', async () => {
    const id = await sendPlain('inline image', {
      html: '<p><img src="cid:logo@example.test"></p><script>alert(1)</script>',
      attachments: [
        { filename: 'logo.png', content: Buffer.from('png'), cid: 'logo@example.test' },
      ],
    });
    const response = await fetch(`${base}/view/${id}.html`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=UTF-8');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'none'");
    const html = await response.text();
    const partUrl = /src="(\/api\/v1\/message\/[^"]+)"/.exec(html)?.[1];
    expect(partUrl).toMatch(new RegExp(`^/api/v1/message/${id}/part/[0-9.]+$`));
    const part = await fetch(`${base}${partUrl}`);
    expect(await part.text()).toBe('png');
    expect(part.headers.get('content-disposition')).toBe('inline; filename="logo.png"');
    expect(await unread()).toBe(0);
  });

  it('answers 404 as Mailpit does', async () => {
    const id = await sendPlain('text only');
    const noHtml = await fetch(`${base}/view/${id}.html`);
    expect(noHtml.status).toBe(404);
    expect(await noHtml.text()).toBe('This message does not contain a HTML part');
    const unknown = await fetch(`${base}/view/Unknown123.txt`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe('Message not found');
  });

  it('marks read and redirects latest', async () => {
    const older = await sendPlain('older');
    const newer = await sendPlain('newer');
    const text = await fetch(`${base}/view/latest.txt`);
    expect((await text.text()).trim()).toBe('newer text');
    expect(await unread()).toBe(1);

    const redirect = await fetch(`${base}/view/latest`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe(`/view/${newer}`);
    const query = encodeURIComponent('subject:older');
    const matching = await fetch(`${base}/view/latest?query=${query}`, { redirect: 'manual' });
    expect(matching.headers.get('location')).toBe(`/view/${older}`);

    const page = await fetch(`${base}/view/${older}`, { redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe(`/#/deliveries/${older}`);
  });
});

describe('Mailpit protocol details', () => {
  it('redirects repeated slashes with 301', async () => {
    const response = await fetch(`${base}//api/v1//messages?start=0`, { redirect: 'manual' });
    expect(response.status).toBe(301);
    expect(response.headers.get('location')).toBe('/api/v1/messages?start=0');
  });

  it('applies the CORS rule', async () => {
    const own = await fetch(`${base}/api/v1/messages`, { headers: { Origin: base } });
    expect(own.status).toBe(200);
    expect(own.headers.get('access-control-allow-origin')).toBe(base);
    const foreign = await fetch(`${base}/api/v1/messages`, {
      headers: { Origin: 'http://other.example' },
    });
    expect(foreign.status).toBe(403);
    expect(await foreign.text()).toBe('Blocked due to CORS violation');
    const preflight = await fetch(`${base}/api/v1/messages`, { method: 'OPTIONS' });
    expect(preflight.status).toBe(200);
    expect(await preflight.text()).toBe('');
  });

  it('reads JSON keys without regard to case', async () => {
    const id = await sendPlain('case');
    const put = await fetch(`${base}/api/v1/messages`, {
      method: 'PUT',
      body: JSON.stringify({ ids: [id], READ: true }),
    });
    expect(await put.text()).toBe('ok');
    expect(await unread()).toBe(0);

    const sent = await fetch(`${base}/api/v1/send`, {
      method: 'POST',
      body: JSON.stringify({
        from: { email: 'lower@example.test' },
        to: [{ email: 'x@example.test', name: 'X' }],
        subject: 'lower-case keys',
        attachments: [{ content: Buffer.from('a').toString('base64'), filename: 'a.txt' }],
      }),
    });
    expect(sent.status).toBe(200);
    const { ID } = (await sent.json()) as { ID: string };
    const message = (await (await fetch(`${base}/api/v1/message/${ID}`)).json()) as {
      Subject: string;
      Attachments: Array<{ FileName: string }>;
    };
    expect(message.Subject).toBe('lower-case keys');
    expect(message.Attachments.map((file) => file.FileName)).toEqual(['a.txt']);
  });

  it('rejects invalid read-state requests', async () => {
    const empty = await fetch(`${base}/api/v1/messages`, { method: 'PUT' });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toBe('EOF');
    const both = await fetch(`${base}/api/v1/messages`, {
      method: 'PUT',
      body: JSON.stringify({ IDs: ['x'], Search: 'y', Read: true }),
    });
    expect(both.status).toBe(400);
    expect(await both.text()).toBe('You may specify either IDs or a search query, not both');
    const noQuery = await fetch(`${base}/api/v1/search`);
    expect(noQuery.status).toBe(400);
    expect(await noQuery.text()).toBe('Error: no search query');
  });

  it('treats limit=0 differently in list and search', async () => {
    await sendPlain('one');
    await sendPlain('two');
    const list = (await (await fetch(`${base}/api/v1/messages?limit=0`)).json()) as {
      messages: unknown[];
    };
    expect(list.messages.length).toBe(2);
    const search = (await (await fetch(`${base}/api/v1/search?query=text&limit=0`)).json()) as {
      messages: unknown[];
      messages_count: number;
    };
    expect(search.messages.length).toBe(0);
    expect(search.messages_count).toBe(2);
  });

  it('ignores start and limit out of range', async () => {
    await sendPlain('paging');
    const huge = '99999999999999999999';
    const before = `before=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`;
    const urls = [
      '/api/v1/messages',
      '/api/v1/search?query=paging',
      `/api/v1/messages?${before}`,
      `/api/v1/search?query=paging&${before}`,
    ];
    for (const url of urls) {
      const separator = url.includes('?') ? '&' : '?';
      for (const query of [`start=${huge}`, `limit=${huge}`, `start=-${huge}&limit=1.5`]) {
        const response = await fetch(`${base}${url}${separator}${query}`);
        expect(response.status, `${url} ${query}`).toBe(200);
        const page = (await response.json()) as { start: number; messages: unknown[] };
        expect(page.start, `${url} ${query}`).toBe(0);
        expect(page.messages.length, `${url} ${query}`).toBe(1);
      }
      // Within Go's 64-bit range, a start beyond the last message returns an empty page.
      const response = await fetch(`${base}${url}${separator}start=9007199254740993`);
      expect(response.status, url).toBe(200);
      expect(((await response.json()) as { messages: unknown[] }).messages, url).toEqual([]);
    }
  });

  it('generates the MessageID of a message without one', async () => {
    const id = await mailscope.send({
      envelope: { from: 'a@example.test', to: ['b@example.test'] },
      raw: 'From: a@example.test\r\nTo: b@example.test\r\nSubject: no id\r\n\r\nbody\r\n',
    });
    const list = (await (await fetch(`${base}/api/v1/messages`)).json()) as {
      messages: Array<{ ID: string; MessageID: string }>;
    };
    expect(list.messages[0]?.ID).toBe(id);
    expect(list.messages[0]?.MessageID).toBe(`${id}@mailpit`);
    const message = (await (await fetch(`${base}/api/v1/message/${id}`)).json()) as {
      MessageID: string;
    };
    expect(message.MessageID).toBe(`${id}@mailpit`);
    // The stored source stays as received.
    const raw = await (await fetch(`${base}/api/v1/message/${id}/raw`)).text();
    expect(raw).not.toMatch(/^Message-ID:/im);
  });

  it('serves swagger.json', async () => {
    const response = await fetch(`${base}/api/v1/swagger.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const document = (await response.json()) as {
      swagger: string;
      paths: Record<string, Record<string, { responses: object }>>;
    };
    expect(document.swagger).toBe('2.0');
    expect(Object.keys(document.paths['/api/v1/messages'] ?? {}).sort()).toEqual([
      'delete',
      'get',
      'put',
    ]);
    expect(document.paths['/api/v1/message/{ID}/release']?.['post']).toBeDefined();
    expect(document.paths['/view/{ID}.html']?.['get']).toBeDefined();
    // Mailscope offers no SpamAssassin check, so the description leaves it out.
    expect(document.paths['/api/v1/message/{ID}/sa-check']).toBeUndefined();
  });

  it('pages with the before parameter', async () => {
    const oldest = await sendPlain('before one');
    await new Promise((resolve) => setTimeout(resolve, 10));
    const middle = await sendPlain('before two');
    await new Promise((resolve) => setTimeout(resolve, 10));
    await sendPlain('before three');
    const all = (await (await fetch(`${base}/api/v1/messages`)).json()) as {
      messages: Array<{ ID: string; Created: string }>;
    };
    const created = all.messages.find((message) => message.ID === middle)?.Created ?? '';

    const before = encodeURIComponent(created);
    const list = (await (await fetch(`${base}/api/v1/messages?before=${before}`)).json()) as {
      messages_count: number;
      messages: Array<{ ID: string }>;
    };
    expect(list.messages.map((message) => message.ID)).toEqual([oldest]);
    expect(list.messages_count).toBe(3);

    const query = encodeURIComponent('subject:before');
    const search = (await (
      await fetch(`${base}/api/v1/search?query=${query}&before=${before}`)
    ).json()) as {
      messages_count: number;
      messages_unread: number;
      messages: Array<{ ID: string }>;
    };
    expect(search.messages.map((message) => message.ID)).toEqual([oldest]);
    expect(search.messages_count).toBe(3);
    expect(search.messages_unread).toBe(1);
  });

  it('returns headers, raw download and dates as Mailpit does', async () => {
    const raw = [
      'From: a@example.test',
      'To: b@example.test',
      'Subject: folded',
      'Date: Tue, 01 Oct 2024 10:00:00 +0200',
      'X-Folded: first',
      '  second',
      'received: one',
      'received: two',
      '',
      'body',
      '',
    ].join('\r\n');
    const id = await mailscope.send({
      envelope: { from: 'a@example.test', to: ['b@example.test'] },
      raw,
    });
    const headers = (await (await fetch(`${base}/api/v1/message/${id}/headers`)).json()) as Record<
      string,
      string[]
    >;
    expect(headers['X-Folded']).toEqual(['first second']);
    expect(headers['Received']).toEqual(['one', 'two']);

    const message = (await (await fetch(`${base}/api/v1/message/${id}`)).json()) as {
      Date: string;
    };
    expect(message.Date).toBe('2024-10-01T10:00:00+02:00');

    const download = await fetch(`${base}/api/v1/message/${id}/raw?dl=1`);
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="${id}.eml"`);
    expect(await download.text()).toBe(raw);
  });

  it('answers unknown parts and thumbnails', async () => {
    const id = await sendPlain('parts');
    expect((await fetch(`${base}/api/v1/message/${id}/part/9`)).status).toBe(404);
    expect((await fetch(`${base}/api/v1/message/${id}/part/9/thumb`)).status).toBe(400);
    const missing = await fetch(`${base}/api/v1/message/NoSuchId/headers`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('404 page not found');
  });

  it('cuts the snippet at 200 characters', async () => {
    await sendPlain('long', { text: 'word '.repeat(100) });
    const list = (await (await fetch(`${base}/api/v1/messages`)).json()) as {
      messages: Array<{ Snippet: string }>;
    };
    const snippet = list.messages[0]?.Snippet ?? '';
    expect(snippet.endsWith('...')).toBe(true);
    expect(snippet.length).toBeLessThanOrEqual(203);
  });

  it('rejects invalid send requests with a JSON error', async () => {
    const post = (body: string) => fetch(`${base}/api/v1/send`, { method: 'POST', body });
    const noFrom = await post(JSON.stringify({ To: [{ Email: 'x@example.test' }] }));
    expect(noFrom.status).toBe(400);
    expect(await noFrom.json()).toEqual({ Error: 'error building message: from not set' });
    const reserved = await post(
      JSON.stringify({
        From: { Email: 'a@example.test' },
        To: [{ Email: 'x@example.test' }],
        Headers: { Subject: 'override' },
      }),
    );
    expect(await reserved.json()).toEqual({ Error: 'cannot overwrite header: "Subject"' });
    const invalid = await post('{');
    expect(invalid.status).toBe(400);
    expect(Object.keys((await invalid.json()) as object)).toEqual(['Error']);
  });

  it('accepts a send request larger than the API body limit', async () => {
    const content = Buffer.alloc(1536 * 1024, 7).toString('base64');
    const response = await fetch(`${base}/api/v1/send`, {
      method: 'POST',
      body: JSON.stringify({
        From: { Email: 'a@example.test' },
        To: [{ Email: 'x@example.test' }],
        Attachments: [{ Content: content, Filename: 'big.bin' }],
      }),
    });
    expect(response.status).toBe(200);
  });

  it('renames onto an existing tag with an error', async () => {
    await sendPlain('tags', { headers: { 'X-Tags': 'one, two' } });
    const rename = await fetch(`${base}/api/v1/tags/one`, {
      method: 'PUT',
      body: JSON.stringify({ Name: 'two' }),
    });
    expect(rename.status).toBe(400);
    expect(await rename.text()).toBe('tag already exists: two');
    const remove = await fetch(`${base}/api/v1/tags/absent`, { method: 'DELETE' });
    expect(await remove.text()).toBe('tag not found: absent');
  });
});

describe('Mailpit API with basic auth', () => {
  let secured: Mailscope;

  beforeAll(async () => {
    secured = await startMailscope(['--http-auth', 'user:secret']);
  });

  afterAll(async () => {
    await secured?.close();
  });

  it('requires the credentials', async () => {
    const denied = await fetch(`${secured.base}/api/v1/messages`);
    expect(denied.status).toBe(401);
    const client = new MailpitClient(secured.base, {
      auth: { username: 'user', password: 'secret' },
    });
    expect((await client.listMessages()).total).toBe(0);
  });
});
