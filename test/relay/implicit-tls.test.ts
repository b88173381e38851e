import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../../src/log.js';
import { DEFAULT_RELAY_SETTINGS, type RelaySettings } from '../../src/relay/settings.js';
import { RelayError, sendRawMessage } from '../../src/relay/smtp-client.js';
import { loadOrCreateCertificate } from '../../src/smtp/tls.js';

const MESSAGE = Buffer.from('From: a@example.test\r\nSubject: TLS\r\n\r\n.dot line\r\nbody\r\n');

let dataDir: string;
let server: SMTPServer;
let port: number;
const received: Buffer[] = [];
const senders: string[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'mailscope-tls-'));
  const { key, cert } = await loadOrCreateCertificate(dataDir, {
    logger: createLogger({ level: 'silent' }),
  });
  // An SMTP server with implicit TLS, as on port 465, which Mailscope itself does not offer.
  server = new SMTPServer({
    secure: true,
    key,
    cert,
    authOptional: true,
    logger: false,
    socketTimeout: 10_000,
    onData(stream, session, callback) {
      const mailFrom = session.envelope.mailFrom;
      senders.push(mailFrom === false ? 'none' : mailFrom.address);
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push(Buffer.concat(chunks));
        callback();
      });
    },
  });
  // A client that rejects the certificate closes the socket mid-handshake; that is expected.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await rm(dataDir, { recursive: true, force: true });
});

function settings(allowSelfSigned: boolean): RelaySettings {
  return {
    ...DEFAULT_RELAY_SETTINGS,
    server: { host: '127.0.0.1', port },
    tls: 'tls',
    allowSelfSigned,
  };
}

describe('implicit TLS relay', () => {
  it('sends the message unchanged', async () => {
    const reply = await sendRawMessage(
      settings(true),
      { from: 'a@example.test', to: ['b@example.test'] },
      MESSAGE,
    );
    expect(reply.response).toMatch(/^250 /);
    expect(reply.accepted).toEqual(['b@example.test']);
    expect(received.at(-1)?.equals(MESSAGE)).toBe(true);
  });

  it('rejects an unverifiable certificate', async () => {
    const attempt = sendRawMessage(
      settings(false),
      { from: 'a@example.test', to: ['b@example.test'] },
      MESSAGE,
    );
    await expect(attempt).rejects.toBeInstanceOf(RelayError);
    await expect(attempt).rejects.toThrow(/certificate/i);
  });

  it('sends the null reverse path', async () => {
    const before = received.length;
    await sendRawMessage(settings(true), { from: '', to: ['b@example.test'] }, MESSAGE);
    expect(received.length).toBe(before + 1);
    expect(senders.at(-1)).toBe('');
  });
});
