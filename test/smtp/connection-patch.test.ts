import type { AddressInfo } from 'node:net';

import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { installConnectionPatches } from '../../src/smtp/connection-patch.js';
import { RawSmtpClient } from '../support/raw-smtp-client.js';

/**
 * These tests pin down what smtp-server does without Mailscope's patch, on a server that
 * the patch does not observe. When one fails, smtp-server changed the behaviour that a
 * wrapper in src/smtp/connection-patch.ts works around: check whether that wrapper can
 * go, or whether it needs to change.
 */

let server: SMTPServer | null = null;
let client: RawSmtpClient | null = null;

beforeAll(() => {
  // Installed but not observing this server, as when the endpoint runs in the same process.
  installConnectionPatches();
});

afterEach(async () => {
  client?.destroy();
  client = null;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

async function connectToPlainServer(options: SMTPServerOptions = {}): Promise<RawSmtpClient> {
  server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    hideENHANCEDSTATUSCODES: false,
    disableReverseLookup: true,
    closeTimeout: 100,
    ...options,
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  ({ client } = await RawSmtpClient.connect(port));
  await client.command('EHLO client.example.test');
  return client;
}

describe('smtp-server without the Mailscope patch', () => {
  it('rejects MAIL FROM without angle brackets with 501', async () => {
    const session = await connectToPlainServer();

    const reply = await session.command('MAIL FROM: a@example.test');

    expect(reply.code).toBe(501);
  });

  it('rejects a quoted local part with a space with 501', async () => {
    const session = await connectToPlainServer();

    const reply = await session.command('MAIL FROM:<"john doe"@example.test>');

    expect(reply.code).toBe(501);
  });

  it('accepts AUTH inside a mail transaction', async () => {
    const session = await connectToPlainServer({
      onAuth: (_auth, _session, callback) => callback(null, { user: 'u' }),
    });
    await session.command('MAIL FROM:<a@example.test>');

    const reply = await session.command(`AUTH PLAIN ${Buffer.from('\0u\0p').toString('base64')}`);

    expect(reply.code).toBe(235);
  });

  it('rejects nested MAIL FROM with 503', async () => {
    const session = await connectToPlainServer();
    await session.command('MAIL FROM:<a@example.test>');

    const reply = await session.command('MAIL FROM:<c@example.test>');

    expect(reply.raw).toBe('503 5.5.1 Error: nested MAIL command');
  });

  it('maps a hook error 452 to 4.2.2', async () => {
    const session = await connectToPlainServer({
      onRcptTo: (_address, _session, callback) =>
        callback(Object.assign(new Error('Too many recipients'), { responseCode: 452 })),
    });
    await session.command('MAIL FROM:<a@example.test>');

    const reply = await session.command('RCPT TO:<b@example.test>');

    expect(reply.raw).toBe('452 4.2.2 Too many recipients');
  });

  it('answers the final dot with enhanced code 2.6.0', async () => {
    const session = await connectToPlainServer({
      onData: (stream, _session, callback) => {
        stream.on('end', () => callback(null, 'Ok: queued'));
        stream.resume();
      },
    });
    await session.command('MAIL FROM:<a@example.test>');
    await session.command('RCPT TO:<b@example.test>');
    await session.command('DATA');

    session.write('Subject: x\r\n\r\nbody\r\n.\r\n');
    const reply = await session.read();

    expect(reply.raw).toBe('250 2.6.0 Ok: queued');
  });

  it('keeps the HELO name only in lower case', async () => {
    let heloName = '';
    const session = await connectToPlainServer({
      onMailFrom: (_address, smtpSession, callback) => {
        heloName = smtpSession.hostNameAppearsAs;
        callback();
      },
    });
    await session.command('EHLO Client.Example.TEST');

    await session.command('MAIL FROM:<a@example.test>');

    expect(heloName).toBe('client.example.test');
  });
});
