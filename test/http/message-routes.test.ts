import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { HeaderRecord, MessageView, StoreCounts } from '../../src/http/api-types.js';
import { MemoryBodyBuffer } from '../../src/delivery/body-buffer.js';
import { parseHeader } from '../../src/message/header.js';
import { crlf, makeMeta } from '../store/helpers.js';
import { jsonRequest, openApiHarness, type ApiHarness } from './helpers.js';

let api: ApiHarness;

beforeEach(async () => {
  api = await openApiHarness();
});

afterEach(async () => {
  await api.close();
});

const HELLO = crlf([
  'From: Ann <ann@example.test>',
  'To: Bob <bob@example.test>',
  'Subject: Quarterly report: Q3/Q4',
  'Message-ID: <hello@example.test>',
  '',
  'Hello Bob',
]);

async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

/** Starts a delivery and stages its message, leaving it in progress. */
async function stagedDelivery(): Promise<string> {
  const meta = makeMeta();
  const delivery = await api.pipeline.start(meta, 'sender@example.test');
  await delivery.addRcpt('bob@example.test');
  await delivery.body(parseHeader(HELLO), new MemoryBodyBuffer(HELLO));
  return meta.id;
}

describe('message routes', () => {
  describe('GET /messages/:id', () => {
    it('returns the message view', async () => {
      const id = await api.deliver(HELLO, { recipients: ['bob@example.test'] });

      const response = await api.api(`/messages/${id}`);
      expect(response.status).toBe(200);
      const message = await json<MessageView>(response);
      expect(message).toMatchObject({
        id,
        subject: 'Quarterly report: Q3/Q4',
        from: [{ name: 'Ann', address: 'ann@example.test' }],
        to: [{ name: 'Bob', address: 'bob@example.test' }],
        messageId: '<hello@example.test>',
        envelopeRecipients: ['bob@example.test'],
        read: false,
        html: null,
        htmlUrl: null,
        rawUrl: `/api/mailscope/messages/${id}/raw`,
      });
      expect(message.text?.trim()).toBe('Hello Bob');
    });

    it('hides a message that is still staged', async () => {
      const id = await stagedDelivery();

      expect((await api.api(`/messages/${id}`)).status).toBe(404);
      expect((await api.api(`/messages/${id}/raw`)).status).toBe(404);
    });
  });

  describe('GET /messages/:id/headers', () => {
    it('lists the header fields in order', async () => {
      const id = await api.deliver(HELLO);

      const { headers } = await json<{ headers: HeaderRecord[] }>(
        await api.api(`/messages/${id}/headers`),
      );
      expect(headers.map((header) => [header.position, header.name, header.value])).toEqual([
        [1, 'From', 'Ann <ann@example.test>'],
        [2, 'To', 'Bob <bob@example.test>'],
        [3, 'Subject', 'Quarterly report: Q3/Q4'],
        [4, 'Message-ID', '<hello@example.test>'],
      ]);
    });
  });

  describe('GET /messages/:id/raw', () => {
    it('returns the source byte for byte', async () => {
      const id = await api.deliver(HELLO);

      const response = await api.api(`/messages/${id}/raw`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('message/rfc822');
      expect(response.headers.get('content-disposition')).toBeNull();
      expect(Buffer.from(await response.arrayBuffer()).equals(HELLO)).toBe(true);
    });

    it('names the download after the subject', async () => {
      const id = await api.deliver(HELLO);

      const response = await api.api(`/messages/${id}/raw?download=1`);
      expect(response.headers.get('content-disposition')).toBe(
        'attachment; filename="Quarterly report: Q3_Q4.eml"; ' +
          "filename*=UTF-8''Quarterly%20report%3A%20Q3_Q4.eml",
      );
    });

    it('names the download message.eml without a subject', async () => {
      const id = await api.deliver(crlf(['From: a@example.test', '', 'no subject']));

      const response = await api.api(`/messages/${id}/raw?download=1`);
      expect(response.headers.get('content-disposition')).toBe(
        `attachment; filename="message.eml"; filename*=UTF-8''message.eml`,
      );
    });
  });

  describe('GET /messages/:id/parts/:partId', () => {
    it('answers 404 for an unknown part and for a container', async () => {
      const id = await api.deliver(
        crlf([
          'Subject: Two parts',
          'Content-Type: multipart/mixed; boundary="b"',
          '',
          '--b',
          'Content-Type: text/plain',
          '',
          'one',
          '--b--',
        ]),
      );

      const missing = await api.api(`/messages/${id}/parts/9`);
      expect(missing.status).toBe(404);
      expect(await json(missing)).toEqual({ error: `Part 9 of message ${id} not found.` });

      const container = await api.api(`/messages/${id}/parts/0`);
      expect(container.status).toBe(404);
      expect(await json(container)).toEqual({
        error: 'Part 0 is a multipart container and has no content.',
      });

      expect((await api.api(`/messages/${id}/parts/1`)).status).toBe(200);
    });
  });

  describe.each([
    ['GET', '/messages/nope'],
    ['GET', '/messages/nope/headers'],
    ['GET', '/messages/nope/raw'],
    ['GET', '/messages/nope/parts'],
    ['GET', '/messages/nope/parts/1'],
    ['GET', '/messages/nope/html'],
    ['DELETE', '/messages/nope'],
  ])('%s %s', (method, route) => {
    it('answers 404 with an error body', async () => {
      const response = await api.api(route, { method });

      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect((await json<{ error: string }>(response)).error).toMatch(/not found/);
    });
  });

  it('answers 404 for a route the API does not have', async () => {
    const response = await api.api('/mailboxes');

    expect(response.status).toBe(404);
    expect(await json(response)).toEqual({
      error: 'No API route matches GET /api/mailscope/mailboxes.',
    });
  });

  describe('PUT /messages/:id/read', () => {
    it('sets the read flag and sends message.read', async () => {
      const id = await api.deliver(HELLO);
      const before = api.liveEvents.length;

      const response = await api.api(`/messages/${id}/read`, jsonRequest('PUT', { read: true }));
      expect(response.status).toBe(200);
      expect((await json<MessageView>(response)).read).toBe(true);
      expect(await json(await api.api('/counts'))).toMatchObject({ messages: 1, unread: 0 });

      const events = api.liveEvents.slice(before);
      expect(events).toEqual([
        {
          id: expect.any(Number),
          type: 'message.read',
          deliveryId: id,
          at: expect.any(Number),
          read: true,
        },
      ]);

      const unread = await api.api(`/messages/${id}/read`, jsonRequest('PUT', { read: false }));
      expect((await json<MessageView>(unread)).read).toBe(false);
      expect(api.liveEvents.at(-1)).toMatchObject({ type: 'message.read', read: false });
    });

    it.each([
      ['a body that is not JSON', { method: 'PUT', body: 'read' }],
      ['a read flag that is not a boolean', jsonRequest('PUT', { read: 'yes' })],
      ['a missing read flag', jsonRequest('PUT', {})],
    ])('rejects %s with 400', async (_case, init) => {
      const id = await api.deliver(HELLO);
      const before = api.liveEvents.length;

      const response = await api.api(`/messages/${id}/read`, init);
      expect(response.status).toBe(400);
      expect((await json<{ error: string }>(response)).error).toContain('{"read": true}');
      expect(api.liveEvents.length).toBe(before);
    });

    it('answers 404 for an unknown message', async () => {
      const response = await api.api('/messages/nope/read', jsonRequest('PUT', { read: true }));

      expect(response.status).toBe(404);
    });
  });

  describe('DELETE /messages/:id', () => {
    it('deletes the message and sends message.deleted', async () => {
      const id = await api.deliver(HELLO);
      const other = await api.deliver(HELLO);
      const before = api.liveEvents.length;

      const response = await api.api(`/messages/${id}`, { method: 'DELETE' });
      expect(response.status).toBe(204);
      expect(await response.text()).toBe('');
      expect((await api.api(`/messages/${id}`)).status).toBe(404);
      expect((await api.api(`/deliveries/${id}`)).status).toBe(404);
      expect((await api.api(`/messages/${other}`)).status).toBe(200);

      expect(api.liveEvents.slice(before)).toEqual([
        { id: expect.any(Number), type: 'message.deleted', deliveryId: id, at: expect.any(Number) },
      ]);
    });

    it('leaves a delivery in progress alone', async () => {
      const id = await stagedDelivery();

      expect((await api.api(`/messages/${id}`, { method: 'DELETE' })).status).toBe(404);
      expect((await api.api(`/deliveries/${id}`)).status).toBe(200);
    });
  });

  describe('DELETE /messages', () => {
    it('deletes every finished delivery and sends messages.cleared', async () => {
      await api.deliver(HELLO);
      await api.deliver(HELLO);
      const open = await stagedDelivery();
      const before = api.liveEvents.length;

      const response = await api.api('/messages', { method: 'DELETE' });
      expect(response.status).toBe(200);
      expect(await json(response)).toEqual({ deleted: 2 });
      expect(api.liveEvents.slice(before)).toEqual([
        { id: expect.any(Number), type: 'messages.cleared', at: expect.any(Number) },
      ]);

      const counts = await json<StoreCounts>(await api.api('/counts'));
      expect(counts).toEqual({ messages: 0, unread: 0, deliveries: 1, inProgress: 1 });
      expect((await api.api(`/deliveries/${open}`)).status).toBe(200);
    });
  });
});
