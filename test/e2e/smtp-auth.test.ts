import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseCli } from '../../src/config.js';
import { startCore, type Core } from '../../src/core.js';
import { createLogger } from '../../src/log.js';

let dataDir: string;
let core: Core;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'mailscope-auth-'));
  const request = parseCli(
    [
      ...['--smtp', '127.0.0.1:0', '--http', '127.0.0.1:0'],
      ...['--data-dir', dataDir, '--smtp-auth', 'tester:s3cret'],
    ],
    {},
  );
  if (request.kind !== 'run') throw new Error('unexpected CLI request');
  core = await startCore(request.config, createLogger({ level: 'silent' }));
});

afterAll(async () => {
  await core?.close();
  await rm(dataDir, { recursive: true, force: true });
});

function send(auth?: { user: string; pass: string }): Promise<{ response: string }> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: core.smtpAddress.port,
    secure: false,
    requireTLS: true,
    // The certificate is the self-signed one Mailscope made in the data folder.
    tls: { rejectUnauthorized: false },
    ...(auth ? { auth } : {}),
  });
  return transport.sendMail({
    from: 'app@example.test',
    to: 'user@example.test',
    subject: 'auth check',
    text: 'hello',
  });
}

describe('--smtp-auth', () => {
  it('rejects mail from a client that does not log in', async () => {
    await expect(send()).rejects.toMatchObject({ responseCode: 530 });
  });

  it('rejects wrong credentials with 535', async () => {
    await expect(send({ user: 'tester', pass: 'wrong' })).rejects.toMatchObject({
      responseCode: 535,
    });
  });

  it('accepts the configured credentials and records the user', async () => {
    const info = await send({ user: 'tester', pass: 's3cret' });
    const id = /queued as (\S+)/.exec(info.response)?.[1] as string;

    const delivery = core.store.queries.getDelivery(id);
    expect(delivery?.authUser).toBe('tester');
    expect(delivery?.protocol).toBe('ESMTPSA');
    expect(delivery?.tls?.version).toMatch(/^TLSv1\.[23]$/);
  });
});
