import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { startMailscope, waitFor, type Mailscope } from './helpers.js';

let mailscope: Mailscope;
let wsBase: string;

beforeAll(async () => {
  mailscope = await startMailscope();
  wsBase = mailscope.base.replace('http://', 'ws://');
});

afterAll(async () => {
  await mailscope?.close();
});

interface Frame {
  Type: string;
  Data: Record<string, unknown> | null;
}

/** Opens a websocket client on /api/events and collects every frame it receives. */
async function connect(): Promise<{ socket: WebSocket; frames: Frame[] }> {
  const socket = new WebSocket(`${wsBase}/api/events`);
  const frames: Frame[] = [];
  socket.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString()) as Frame));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return { socket, frames };
}

function frameOf(frames: Frame[], type: string, id?: string): Frame | undefined {
  return frames.find((frame) => frame.Type === type && (id === undefined || frame.Data?.ID === id));
}

describe('/api/events websocket', () => {
  it('sends new, update, delete and truncate events', async () => {
    const { socket, frames } = await connect();
    try {
      const id = await mailscope.send({
        from: 'Sender <sender@example.test>',
        to: 'ann@example.test',
        bcc: 'hidden@example.test',
        subject: 'live',
        text: 'live body',
        headers: { 'X-Tags': 'live-tag' },
      });
      const created = await waitFor(() => frameOf(frames, 'new', id));
      expect(created.Data).toMatchObject({
        ID: id,
        Read: false,
        Subject: 'live',
        From: { Name: 'Sender', Address: 'sender@example.test' },
        To: [{ Name: '', Address: 'ann@example.test' }],
        Cc: [],
        Bcc: [{ Name: '', Address: 'hidden@example.test' }],
        ReplyTo: [],
        Tags: ['live-tag'],
        Attachments: 0,
      });
      // A stats event follows the connection and each change; the last one counts the message.
      const stats = await waitFor(() =>
        frames.find((frame) => frame.Type === 'stats' && frame.Data?.Total === 1),
      );
      expect(stats.Data).toMatchObject({ Total: 1, Unread: 1 });
      expect(typeof stats.Data?.Version).toBe('string');

      await fetch(`${mailscope.base}/api/v1/message/${id}`);
      const update = await waitFor(() => frameOf(frames, 'update', id));
      expect(update.Data).toEqual({ ID: id, Read: true });

      await fetch(`${mailscope.base}/api/v1/tags`, {
        method: 'PUT',
        body: JSON.stringify({ IDs: [id], Tags: ['changed'] }),
      });
      const tagged = await waitFor(() =>
        frames.find((frame) => frame.Type === 'update' && frame.Data?.Tags !== undefined),
      );
      expect(tagged.Data).toEqual({ ID: id, Tags: ['changed'] });

      await fetch(`${mailscope.base}/api/v1/messages`, {
        method: 'DELETE',
        body: JSON.stringify({ IDs: [id] }),
      });
      expect((await waitFor(() => frameOf(frames, 'delete', id))).Data).toEqual({ ID: id });

      await mailscope.send({ from: 'a@example.test', to: 'b@example.test', text: 'x' });
      await fetch(`${mailscope.base}/api/v1/messages`, { method: 'DELETE' });
      expect((await waitFor(() => frameOf(frames, 'truncate'))).Data).toBeNull();
    } finally {
      socket.close();
    }
  });

  it('sends new for a message from the send API', async () => {
    const { socket, frames } = await connect();
    try {
      const response = await fetch(`${mailscope.base}/api/v1/send`, {
        method: 'POST',
        body: JSON.stringify({
          From: { Email: 'api@example.test' },
          To: [{ Email: 'x@example.test' }],
        }),
      });
      const { ID } = (await response.json()) as { ID: string };
      expect(frameOf(await waitForFrames(frames, 'new'), 'new', ID)?.Data?.ID).toBe(ID);
    } finally {
      socket.close();
    }
  });

  it('rejects an upgrade to a foreign Host', async () => {
    const socket = new WebSocket(`${wsBase}/api/events`, { headers: { Host: 'evil.example' } });
    socket.on('error', () => {});
    const status = await new Promise<number>((resolve) => {
      socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.once('open', () => resolve(101));
    });
    socket.terminate();
    expect(status).toBe(403);
  });

  it('rejects an upgrade from a foreign Origin', async () => {
    const socket = new WebSocket(`${wsBase}/api/events`, { origin: 'http://evil.example' });
    socket.on('error', () => {});
    const status = await new Promise<number>((resolve) => {
      socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.once('open', () => resolve(101));
    });
    socket.terminate();
    expect(status).toBe(403);
  });

  it('answers 400 to a plain GET', async () => {
    const response = await fetch(`${mailscope.base}/api/events`);
    expect(response.status).toBe(400);
  });
});

async function waitForFrames(frames: Frame[], type: string): Promise<Frame[]> {
  await waitFor(() => frameOf(frames, type));
  return frames;
}
