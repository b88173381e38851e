import { afterEach, describe, expect, it } from 'vitest';

import type { SessionEvent, TranscriptLine } from '../../src/delivery/events.js';
import { RawSmtpClient } from '../support/raw-smtp-client.js';
import { startEndpoint, type EndpointHarness } from '../support/smtp-harness.js';

let harness: EndpointHarness | null = null;
let client: RawSmtpClient | null = null;

afterEach(async () => {
  client?.destroy();
  client = null;
  await harness?.stop();
  harness = null;
});

const PASSWORD = 'hunter2-secret';
const PLAIN_TOKEN = Buffer.from(`\0u\0${PASSWORD}`).toString('base64');
const LOGIN_PASSWORD = Buffer.from(PASSWORD).toString('base64');
const BODY_TEXT = 'confidential body text';

function transcriptLines(events: SessionEvent[]): TranscriptLine[] {
  return events.flatMap((event) => (event.type === 'session.transcript' ? event.lines : []));
}

function render(lines: TranscriptLine[]): string[] {
  return lines.map((line) => `${line.direction} ${line.text}`);
}

describe('SmtpEndpoint transcript', () => {
  it('records the whole dialogue', async () => {
    harness = await startEndpoint();
    ({ client } = await RawSmtpClient.connect(harness.port));
    await client.command('EHLO client.example.test');
    await client.command(`AUTH PLAIN ${PLAIN_TOKEN}`);
    await client.command('MAIL FROM:<a@example.test>');
    await client.command('RCPT TO:<b@example.test>');
    await client.command('DATA');
    const message = `Subject: transcript\r\n\r\n${BODY_TEXT}\r\n`;
    client.write(`${message}.\r\n`);
    await client.read();
    await client.command('QUIT');
    await client.waitForClose();

    const sessionId = harness.target.committed[0]!.meta.conn.sessionId;
    await harness.target.waitFor(() =>
      harness!.sessionEvents(sessionId).some((event) => event.type === 'session.closed'),
    );
    const events = harness.sessionEvents(sessionId);
    const lines = render(transcriptLines(events));
    const messageId = harness.target.committed[0]!.meta.id;

    expect(events[0]?.type).toBe('session.opened');
    expect(events.at(-1)?.type).toBe('session.closed');
    expect(lines[0]).toMatch(/^S 220 .* ESMTP Mailscope$/);
    expect(lines).toContain('C EHLO client.example.test');
    expect(lines).toContain('C AUTH PLAIN /* secured */');
    expect(lines).toContain('S 235 2.7.0 Authentication successful');
    expect(lines).toContain('I Authenticated as u with PLAIN');
    expect(lines).toContain('C MAIL FROM:<a@example.test>');
    expect(lines).toContain('S 250 2.1.5 Accepted');
    expect(lines).toContain(`C <${message.length} bytes of message data>`);
    expect(lines).toContain(`S 250 2.0.0 Ok: queued as ${messageId}`);
    expect(lines.at(-1)).toBe('S 221 2.0.0 Bye');
  });

  it('emits batches before the close', async () => {
    harness = await startEndpoint();
    ({ client } = await RawSmtpClient.connect(harness.port));
    await client.command('EHLO client.example.test');
    await client.command('MAIL FROM:<a@example.test>');

    const sessionId = harness.target.deliveries[0]!.meta.conn.sessionId;
    await harness.target.waitFor(() =>
      render(transcriptLines(harness!.sessionEvents(sessionId))).includes('S 250 2.1.0 Accepted'),
    );
    expect(harness.sessionEvents(sessionId).map((event) => event.type)).not.toContain(
      'session.closed',
    );
  });

  it('hides AUTH secrets and content', async () => {
    harness = await startEndpoint();
    ({ client } = await RawSmtpClient.connect(harness.port));
    await client.command('EHLO client.example.test');
    await client.command(`AUTH PLAIN ${PLAIN_TOKEN}`);
    await client.command('RSET');
    ({ client } = await RawSmtpClient.connect(harness.port));
    await client.command('EHLO client.example.test');
    await client.command('AUTH LOGIN');
    await client.command(Buffer.from('u').toString('base64'));
    const login = await client.command(LOGIN_PASSWORD);
    await client.command('MAIL FROM:<a@example.test>');
    await client.command('RCPT TO:<b@example.test>');
    await client.command('DATA');
    client.write(`Subject: secret\r\n\r\n${BODY_TEXT}\r\n.\r\n`);
    await client.read();
    await client.command('QUIT');
    await harness.endpoint.close();

    const everything = JSON.stringify(harness.events) + harness.logLines.join('\n');
    expect(login.code).toBe(235);
    expect(everything).toContain('/* secured */');
    expect(everything).not.toContain(PLAIN_TOKEN);
    expect(everything).not.toContain(LOGIN_PASSWORD);
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(BODY_TEXT);
  });
});
