import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { DeliveryPage, WaitResult } from '../../src/http/api-types.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';

let dataDir: string;
let server: ServerProcess;
let base: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'mailscope-wait-'));
  server = await startServerProcess(['--db', path.join(dataDir, 'mail.db'), '--data-dir', dataDir]);
  base = `http://${server.http.host}:${server.http.port}/api/mailscope`;
});

afterAll(async () => {
  if (server.child.exitCode === null) server.child.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

/** Sends one message over SMTP with nodemailer and returns the id Mailscope queued it as. */
async function send(options: Mail.Options): Promise<string> {
  const transport = nodemailer.createTransport({
    host: server.smtp.host,
    port: server.smtp.port,
    secure: false,
    ignoreTLS: true,
  });
  try {
    const info = await transport.sendMail({
      from: 'App <app@example.test>',
      to: 'user@example.test',
      ...options,
    });
    const id = /queued as (\S+)/.exec(info.response)?.[1];
    if (id === undefined) throw new Error(`no queue id in "${info.response}"`);
    return id;
  } finally {
    transport.close();
  }
}

/** Calls /wait and returns the status, the body (for 200) and the time it took. */
async function wait(
  query: string,
  timeout: number,
): Promise<{ status: number; body: WaitResult | null; ms: number }> {
  const started = Date.now();
  const response = await fetch(`${base}/wait?q=${encodeURIComponent(query)}&timeout=${timeout}`, {
    signal: AbortSignal.timeout(timeout + 10_000),
  });
  const body = response.status === 200 ? ((await response.json()) as WaitResult) : null;
  return { status: response.status, body, ms: Date.now() - started };
}

describe('GET /wait', () => {
  it('answers when a matching message arrives', async () => {
    const pending = wait('"run a1b2c3"', 15_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await send({ subject: 'Other', text: 'no token here' });
    const id = await send({ subject: 'Report', text: 'Finished run a1b2c3 today.' });

    const result = await pending;
    expect(result.status).toBe(200);
    expect(result.body?.id).toBe(id);
    expect(result.body?.delivery.subject).toBe('Report');
    expect(result.ms).toBeLessThan(10_000);
  });

  it('answers at once for a stored message', async () => {
    const id = await send({ subject: 'Stored first', headers: { 'X-Test-Run': 'stored-77' } });

    const result = await wait('stored-77', 10_000);
    expect(result.status).toBe(200);
    expect(result.body?.id).toBe(id);
    expect(result.ms).toBeLessThan(5_000);
  });

  it('answers 204 after the timeout', async () => {
    const pending = wait('subject:never-sent-subject', 600);
    await send({ subject: 'Something else' });

    const result = await pending;
    expect(result.status).toBe(204);
    expect(result.ms).toBeGreaterThanOrEqual(550);
    expect(result.ms).toBeLessThan(5_000);
  });

  it('answers when a tag makes a message match', async () => {
    const id = await send({ subject: 'Tag me later' });
    const pending = wait('tag:approved', 15_000);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const tagged = await fetch(`${base}/messages/${id}/tags`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ tags: ['approved'] }),
    });
    expect(tagged.status).toBe(200);

    const result = await pending;
    expect(result.status).toBe(200);
    expect(result.body?.id).toBe(id);
  });

  it('rejects an invalid timeout', async () => {
    expect((await fetch(`${base}/wait?q=x&timeout=-1`)).status).toBe(400);
    expect((await fetch(`${base}/wait?q=x&timeout=soon`)).status).toBe(400);
    expect((await fetch(`${base}/wait?q=x&timeout=999999999`)).status).toBe(400);
  });

  it('accepts query as q', async () => {
    const id = await send({ subject: 'Alias target', headers: { 'X-Test-Run': 'alias-31' } });
    await send({ subject: 'Newer and unrelated' });

    const response = await fetch(`${base}/wait?query=alias-31&timeout=5000`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as WaitResult;
    expect(body.id).toBe(id);
  });

  it('rejects different q and query', async () => {
    const response = await fetch(`${base}/wait?q=one&query=two&timeout=0`);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string };
    expect(body.error).toContain('"q" and "query"');

    const same = await fetch(`${base}/wait?q=never-matches-99&query=never-matches-99&timeout=0`);
    expect(same.status).toBe(204);
  });

  it('rejects unknown parameters', async () => {
    const response = await fetch(`${base}/wait?search=x&limit=1&timeout=0`);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string };
    expect(body.error).toContain('"search", "limit"');
  });

  it('skips mail before since', async () => {
    await send({ subject: 'Earlier run', headers: { 'X-Test-Run': 'since-42' } });
    // The earlier message must not share the millisecond of `since`.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const since = Date.now();

    const early = await fetch(`${base}/wait?q=since-42&since=${since}&timeout=300`);
    expect(early.status).toBe(204);

    const pending = fetch(`${base}/wait?q=since-42&since=${since}&timeout=10000`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const id = await send({ subject: 'Later run', headers: { 'X-Test-Run': 'since-42' } });
    const response = await pending;
    expect(response.status).toBe(200);
    const body = (await response.json()) as WaitResult;
    expect(body.id).toBe(id);
  });

  it('rejects an invalid since', async () => {
    expect((await fetch(`${base}/wait?q=x&since=yesterday`)).status).toBe(400);
    expect((await fetch(`${base}/wait?q=x&since=-5`)).status).toBe(400);
  });
});

describe('search over SMTP', () => {
  async function list(query: string): Promise<DeliveryPage> {
    const response = await fetch(`${base}/deliveries?q=${encodeURIComponent(query)}`);
    expect(response.status).toBe(200);
    return (await response.json()) as DeliveryPage;
  }

  it('counts only rows it lists for a header value', async () => {
    const ids: string[] = [];
    const runs = [
      ['Password reset', 'Click the link.'],
      ['Welcome aboard', 'Thanks for joining.'],
      ['Invoice ready', 'Your invoice.'],
    ];
    for (const [subject, text] of runs) {
      ids.push(await send({ subject, text, headers: { 'X-Test-Run': '7f3a9c2e51' } }));
    }

    const page = await list('7f3a9c2e51');
    expect(page.total).toBe(3);
    expect(page.deliveries.map((delivery) => delivery.id)).toEqual([...ids].reverse());
  });

  it('finds words of encoded bodies and subjects', async () => {
    const base64 = await send({
      subject: 'Base64 over SMTP',
      text: 'The word quokkaland is only in base64.',
      textEncoding: 'base64',
    });
    const quotedPrintable = await send({
      subject: 'QP over SMTP',
      text: `${'padding '.repeat(12)}antidisestablishmentarianism and ünïcödé`,
      textEncoding: 'quoted-printable',
    });
    const encodedWord = await send({ subject: 'Grüße über SMTP', text: 'x' });

    expect((await list('quokkaland')).deliveries.map((item) => item.id)).toEqual([base64]);
    expect((await list('antidisestablishmentarianism')).deliveries.map((d) => d.id)).toEqual([
      quotedPrintable,
    ]);
    expect((await list('ünïcödé')).deliveries.map((item) => item.id)).toEqual([quotedPrintable]);
    expect((await list('subject:"grüße über"')).deliveries.map((d) => d.id)).toEqual([encodedWord]);
    expect((await list('=?UTF-8?')).total).toBe(0);
  });
});
