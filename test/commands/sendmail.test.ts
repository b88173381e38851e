import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runSendmail } from '../../src/commands/sendmail.js';
import {
  deliveriesWithSubject,
  deliveryBySubject,
  linkAsSendmail,
  runCli,
  sendmailInProcess,
  startTestCore,
  type TestCore,
} from './helpers.js';

let server: TestCore;
let base: string;
let smtpAddress: string;

beforeAll(async () => {
  server = await startTestCore();
  base = server.base;
  smtpAddress = server.smtp;
});

afterAll(async () => {
  await server?.close();
});

/** Runs `mailscope sendmail -S <test server> ARGS` in this process with `input` on stdin. */
function sendmail(args: string[], input: string | Buffer) {
  return sendmailInProcess(['-S', smtpAddress, ...args], input);
}

/** Returns a loopback port that nothing listens on, by binding it and closing it again. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('mailscope sendmail', () => {
  it('takes -t recipients and removes Bcc', async () => {
    const message = [
      'From: App <app@example.test>',
      'To: Ann <ann@example.test>, bob@example.test',
      'Cc: carl@example.test',
      'Bcc: hidden@example.test',
      'Subject: sendmail -t',
      '',
      'Hello from a pipe.',
      '',
    ].join('\n');

    const result = await sendmail(['-t', '-f', 'bounce@example.test'], message);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const { detail, raw } = await deliveryBySubject(base, 'sendmail -t');
    expect(detail.mailFrom).toBe('bounce@example.test');
    expect(detail.recipients.map((r) => r.address)).toEqual([
      'ann@example.test',
      'bob@example.test',
      'carl@example.test',
      'hidden@example.test',
    ]);
    expect(detail.recipients.every((r) => r.status === 'accepted')).toBe(true);
    expect(raw).not.toMatch(/^Bcc:/im);
    expect(raw).toContain('From: App <app@example.test>\r\n');
    expect(raw).toContain('\r\n\r\nHello from a pipe.\r\n');
  });

  it('reads -f attached and -r as the sender', async () => {
    const attached = await sendmail(
      ['-fattached@example.test', 'to@example.test'],
      'Subject: -fX\n\nx\n',
    );
    const dashR = await sendmail(
      ['-r', '<r@example.test>', 'to@example.test'],
      'Subject: -r\n\nx\n',
    );

    expect(attached.code).toBe(0);
    expect(dashR.code).toBe(0);
    expect((await deliveryBySubject(base, '-fX')).detail.mailFrom).toBe('attached@example.test');
    expect((await deliveryBySubject(base, '-r')).detail.mailFrom).toBe('r@example.test');
  });

  it('sends to command-line recipients only without -t', async () => {
    const message = 'To: header@example.test\nSubject: argument recipients\n\nbody\n';

    const result = await sendmail(['one@example.test', 'two@example.test'], message);

    expect(result.code).toBe(0);
    const { detail, raw } = await deliveryBySubject(base, 'argument recipients');
    expect(detail.recipients.map((r) => r.address)).toEqual([
      'one@example.test',
      'two@example.test',
    ]);
    expect(raw).toContain('To: header@example.test\r\n');
  });

  it('adds From from the login user and -F', async () => {
    const plain = await sendmail(['to@example.test'], 'Subject: default sender\n\nbody\n');
    const named = await sendmail(
      ['-F', 'Cron "Daemon"', '-f', 'cron@example.test', 'to@example.test'],
      'Subject: full name\n\nbody\n',
    );

    expect(plain.code).toBe(0);
    expect(named.code).toBe(0);
    const expected = `${os.userInfo().username}@${os.hostname()}`;
    const first = await deliveryBySubject(base, 'default sender');
    expect(first.detail.mailFrom).toBe(expected);
    expect(first.raw.startsWith(`From: ${expected}\r\n`)).toBe(true);
    const second = await deliveryBySubject(base, 'full name');
    expect(second.raw.startsWith('From: "Cron \\"Daemon\\"" <cron@example.test>\r\n')).toBe(true);
  });

  it('ends the message at a lone dot without -i', async () => {
    const message = 'Subject: lone dot\n\nbefore\n.\nafter\n';

    const result = await sendmail(['to@example.test'], message);

    expect(result.code).toBe(0);
    const { raw } = await deliveryBySubject(base, 'lone dot');
    expect(raw).toMatch(/\r\n\r\nbefore\r\n$/);
  });

  it('keeps lone dots with -i and -oi', async () => {
    const withI = await sendmail(
      ['-i', 'to@example.test'],
      'Subject: dash i\n\nbefore\n.\n..\nafter\n',
    );
    const withOi = await sendmail(
      ['-oi', 'to@example.test'],
      'Subject: dash oi\n\nbefore\n.\nafter\n',
    );

    expect(withI.code).toBe(0);
    expect(withOi.code).toBe(0);
    expect((await deliveryBySubject(base, 'dash i')).raw).toMatch(
      /\r\n\r\nbefore\r\n\.\r\n\.\.\r\nafter\r\n$/,
    );
    expect((await deliveryBySubject(base, 'dash oi')).raw).toMatch(
      /\r\n\r\nbefore\r\n\.\r\nafter\r\n$/,
    );
  });

  it('streams a 5 MB message', async () => {
    const line = `${'x'.repeat(998)}\n`;
    const body = line.repeat(5_000);
    const message = Buffer.from(`Subject: large pipe\n\n${body}`);

    const result = await sendmail(['-i', 'to@example.test'], message);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [row] = await deliveriesWithSubject(base, 'large pipe');
    // Sendmail added a From line, and each LF became CRLF on the way.
    const sender = `${os.userInfo().username}@${os.hostname()}`;
    const header = `From: ${sender}\r\nSubject: large pipe\r\n\r\n`;
    expect(row?.size).toBe(header.length + 5_000 * (998 + 2));
  });

  it('ignores the common sendmail flags', async () => {
    const result = await sendmail(
      ['-oem', '-odi', '-v', '-B', '8BITMIME', '-N', 'never', '-Am', '-U', '-i', 'to@example.test'],
      'Subject: ignored flags\n\nbody\n',
    );

    expect(result.code).toBe(0);
    expect(await deliveriesWithSubject(base, 'ignored flags')).toHaveLength(1);
  });

  it('relays an SMTP dialogue for -bs', async () => {
    const dialogue = [
      'EHLO client.example.test',
      'MAIL FROM:<bs@example.test>',
      'RCPT TO:<bs-rcpt@example.test>',
      'DATA',
      'Subject: smtp over stdin',
      '',
      'Hello over -bs.',
      '.',
      'QUIT',
      '',
    ].join('\n');

    const result = await sendmail(['-bs'], dialogue);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^220 /);
    expect(result.stdout).toMatch(/^250 2\.0\.0 Ok: queued as \S+\r$/m);
    expect(result.stdout).toMatch(/^221 /m);
    expect(result.stdout).not.toMatch(/STARTTLS/);
    const { detail, raw } = await deliveryBySubject(base, 'smtp over stdin');
    expect(detail.mailFrom).toBe('bs@example.test');
    expect(detail.recipients.map((r) => r.address)).toEqual(['bs-rcpt@example.test']);
    expect(raw).toContain('\r\n\r\nHello over -bs.\r\n');
  });

  it('answers -bs commands one at a time', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let output = '';
    stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
    const waitFor = async (pattern: RegExp): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (!pattern.test(output)) {
        if (Date.now() > deadline) throw new Error(`No ${pattern} in: ${output}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    const exited = runSendmail(['-bs', '-S', smtpAddress], {
      stdin,
      stdout,
      stderr: new PassThrough(),
      env: {},
    });

    await waitFor(/^220 /m);
    stdin.write('HELO client\n');
    await waitFor(/^250 /m);
    stdin.write('NOOP\r\n');
    await waitFor(/^250 [^]*\r\n250 /m);
    stdin.write('QUIT\n');
    await waitFor(/^221 /m);

    expect(await exited).toBe(0);
  });

  it('exits 67 when a recipient is rejected', async () => {
    const limited = await startTestCore(['--max-recipients', '1']);
    try {
      const result = await sendmailInProcess(
        ['-S', limited.smtp, 'first@example.test', 'second@example.test'],
        'Subject: one recipient too many\n\nbody\n',
      );

      expect(result.code).toBe(67);
      expect(result.stderr).toContain('rejected the recipients second@example.test');
      const { detail } = await deliveryBySubject(limited.base, 'one recipient too many');
      expect(
        detail.recipients.filter((r) => r.status === 'accepted').map((r) => r.address),
      ).toEqual(['first@example.test']);
    } finally {
      await limited.close();
    }
  });

  it('exits 69 when no server listens', async () => {
    const port = await closedPort();

    const result = await runCli(['sendmail', '-S', `127.0.0.1:${port}`, 'to@example.test'], {
      input: 'Subject: nowhere\n\nbody\n',
    });

    expect(result.code).toBe(69);
    expect(result.stderr).toContain(`Could not deliver to Mailscope at 127.0.0.1:${port}`);
    expect(result.stderr).toContain('ECONNREFUSED');
  });

  it('exits 69 for -bs when no server listens', async () => {
    const port = await closedPort();

    const result = await sendmailInProcess(['-bs', '-S', `127.0.0.1:${port}`], 'QUIT\n');

    expect(result.code).toBe(69);
    expect(result.stderr).toContain(`Could not connect to Mailscope at 127.0.0.1:${port}`);
  });

  it('exits 64 without recipients', async () => {
    const plain = await sendmail([], 'Subject: nobody\n\nbody\n');
    const extracted = await sendmail(['-t'], 'Subject: nobody\n\nbody\n');

    expect(plain.code).toBe(64);
    expect(plain.stderr).toContain('No recipients');
    expect(extracted.code).toBe(64);
    expect(extracted.stderr).toContain('No recipient addresses found');
  });

  it('exits 64 for an invalid -f sender', async () => {
    const cases = [
      'a@b.test>\r\nRCPT TO:<inj1@example.test>\r\nX:',
      'bad sender with spaces',
      'a@b.test\nX-Injected: yes',
    ];
    for (const sender of cases) {
      const result = await sendmail(['-f', sender, 'to@example.test'], 'Subject: bad -f\n\nx\n');

      expect(result.code).toBe(64);
      expect(result.stderr).toContain(
        `invalid address ${JSON.stringify(sender)} for the -f sender`,
      );
    }
    expect(await deliveriesWithSubject(base, 'bad -f')).toHaveLength(0);
  });

  it('exits 64 for an invalid recipient', async () => {
    const cases = ['r2@example.test>\r\nRCPT TO:<inj2@example.test>', 'not an address', 'a@b@c'];
    for (const recipient of cases) {
      const result = await sendmail([recipient], 'Subject: bad recipient\n\nx\n');

      expect(result.code).toBe(64);
      expect(result.stderr).toContain(
        `invalid address ${JSON.stringify(recipient)} for the recipient`,
      );
    }
    expect(await deliveriesWithSubject(base, 'bad recipient')).toHaveLength(0);
  });

  it('exits 64 for an invalid -t address', async () => {
    const message = 'To: ok@example.test, not an address\nSubject: bad header\n\nx\n';

    const result = await sendmail(['-t'], message);

    expect(result.code).toBe(64);
    expect(result.stderr).toContain('invalid address "not an address" for the To, Cc or Bcc');
    expect(await deliveriesWithSubject(base, 'bad header')).toHaveLength(0);
  });

  it('rejects line breaks in -F', async () => {
    const result = await sendmail(
      ['-F', 'Name\r\nX-Injected: yes', 'to@example.test'],
      'Subject: bad -F\n\nx\n',
    );

    expect(result.code).toBe(64);
    expect(result.stderr).toContain('Invalid -F value "Name\\r\\nX-Injected: yes"');
    expect(await deliveriesWithSubject(base, 'bad -F')).toHaveLength(0);
  });

  it('keeps <> as the null sender', async () => {
    const result = await sendmail(['-f', '<>', 'to@example.test'], 'Subject: null sender\n\nx\n');

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const { detail, raw } = await deliveryBySubject(base, 'null sender');
    expect(detail.mailFrom).toBe('');
    expect(raw.startsWith('From: MAILER-DAEMON\r\n')).toBe(true);
  });

  it('adds the host name to a local name', async () => {
    const result = await sendmail(['root'], 'Subject: local name\n\nx\n');

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const { detail } = await deliveryBySubject(base, 'local name');
    expect(detail.recipients.map((r) => r.address)).toEqual([`root@${os.hostname()}`]);
  });

  it('exits 64 for an invalid -S port', async () => {
    for (const value of ['nonsense', '127.0.0.1:0', '127.0.0.1:65536']) {
      const result = await sendmailInProcess(['-S', value, 'to@example.test'], 'x\n');

      expect(result.code).toBe(64);
      expect(result.stderr).toContain(
        `Invalid -S value "${value}": expected HOST:PORT with a port from 1 to 65535`,
      );
    }
  });

  it('answers STARTTLS for -bs itself', async () => {
    const dialogue = [
      'EHLO client.example.test',
      'STARTTLS',
      'MAIL FROM:<tls@example.test>',
      'RCPT TO:<tls-rcpt@example.test>',
      'DATA',
      'Subject: starttls over stdin',
      '',
      'STARTTLS',
      '.',
      'QUIT',
      '',
    ].join('\n');

    const result = await sendmail(['-bs'], dialogue);

    expect(result.code).toBe(0);
    const replies = result.stdout.split('\r\n').filter((line) => /^\d{3} /.test(line));
    expect(replies.map((line) => line.slice(0, 3))).toEqual([
      '220',
      '250',
      '502',
      '250',
      '250',
      '354',
      '250',
      '221',
    ]);
    expect(replies[2]).toMatch(/^502 5\.5\.1 /);
    const { raw } = await deliveryBySubject(base, 'starttls over stdin');
    expect(raw).toContain('\r\n\r\nSTARTTLS\r\n');
  });

  it('does nothing for -bp, -bi and -q', async () => {
    const queue = await sendmailInProcess(['-bp'], '');
    const aliases = await sendmailInProcess(['-bi'], '');
    const run = await sendmailInProcess(['-q15m'], '');

    expect(queue.code).toBe(0);
    expect(queue.stdout).toBe('Mail queue is empty\n');
    expect(aliases.code).toBe(0);
    expect(run.code).toBe(0);
  });

  it('exits 64 for an unknown option', async () => {
    const result = await sendmail(['-Z', 'to@example.test'], 'Subject: x\n\nbody\n');

    expect(result.code).toBe(64);
    expect(result.stderr).toContain('Unknown option -Z');
  });

  it('reads the address from MAILSCOPE_SENDMAIL_SMTP', async () => {
    const result = await sendmailInProcess(
      ['to@example.test'],
      'Subject: address from environment\n\nbody\n',
      { MAILSCOPE_SENDMAIL_SMTP: smtpAddress },
    );

    expect(result.code).toBe(0);
    expect(await deliveriesWithSubject(base, 'address from environment')).toHaveLength(1);
  });

  it('runs as sendmail under that name', async () => {
    const linkDir = await mkdtemp(path.join(os.tmpdir(), 'mailscope-link-'));
    try {
      const program = await linkAsSendmail(linkDir);

      const result = await runCli(['-t', '-i'], {
        program,
        input: 'To: linked@example.test\nSubject: through a link\n\nbody\n',
        env: { MAILSCOPE_SENDMAIL_SMTP: smtpAddress },
      });

      expect(result.code).toBe(0);
      const { detail } = await deliveryBySubject(base, 'through a link');
      expect(detail.recipients.map((r) => r.address)).toEqual(['linked@example.test']);
    } finally {
      await rm(linkDir, { recursive: true, force: true });
    }
  });
});
