import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hasCommand } from '../support/commands.js';
import {
  deliveryBySubject,
  linkAsSendmail,
  startTestCore,
  tsxLoader,
  type TestCore,
} from './helpers.js';

const hasPhp = hasCommand('php');

/**
 * Runs PHP code with sendmail_path set to `sendmail`, as php.ini would set it, and returns
 * what the script printed.
 */
function runPhp(
  sendmailPath: string,
  code: string,
): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('php', ['-n', '-d', `sendmail_path=${sendmailPath}`, '-r', code], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`php did not end in 30 s: ${stdout}`));
    }, 30_000);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ code: exitCode, stdout });
    });
  });
}

describe.skipIf(!hasPhp)("PHP's mail() through mailscope sendmail", () => {
  let server: TestCore;
  let linkDir: string;
  let sendmail: string;

  beforeAll(async () => {
    server = await startTestCore();
    linkDir = await mkdtemp(path.join(os.tmpdir(), 'mailscope-php-'));
    sendmail = await linkAsSendmail(linkDir);
  });

  afterAll(async () => {
    await server?.close();
    await rm(linkDir, { recursive: true, force: true });
  });

  it('stores the message with its envelope', async () => {
    const sendmailPath = `${process.execPath} --import ${tsxLoader} ${sendmail} -t -i -S ${server.smtp}`;
    const code = [
      '$headers = "From: Shop <shop@example.test>\\r\\nCc: team@example.test\\r\\nBcc: audit@example.test";',
      'var_dump(mail("Customer <customer@example.test>", "Order confirmed", "Thanks for your order.\\n.\\nLine after a dot.", $headers, "-fbounces@example.test"));',
    ].join('\n');

    const result = await runPhp(sendmailPath, code);

    expect(result.stdout.trim()).toBe('bool(true)');
    const { detail, raw } = await deliveryBySubject(server.base, 'Order confirmed');
    expect(detail.mailFrom).toBe('bounces@example.test');
    expect(detail.recipients.map((r) => r.address)).toEqual([
      'customer@example.test',
      'team@example.test',
      'audit@example.test',
    ]);
    expect(detail.recipients.map((r) => r.bcc)).toEqual([false, false, true]);
    expect(raw).toContain('To: Customer <customer@example.test>\r\n');
    expect(raw).toContain('From: Shop <shop@example.test>\r\n');
    expect(raw).not.toMatch(/^Bcc:/im);
    expect(raw).toMatch(/\r\n\r\nThanks for your order\.\r\n\.\r\nLine after a dot\.\r\n$/);
  });

  it('returns false when Mailscope is not running', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const sendmailPath = `${process.execPath} --import ${tsxLoader} ${sendmail} -t -i -S 127.0.0.1:${port}`;

    const result = await runPhp(sendmailPath, 'var_dump(mail("a@example.test", "Lost", "body"));');

    expect(result.stdout).toContain('bool(false)');
    expect(result.stdout).toContain(`Could not deliver to Mailscope at 127.0.0.1:${port}`);
  });
});

if (!hasPhp) {
  describe("PHP's mail() through mailscope sendmail", () => {
    it.skip('needs php (apt-get install php-cli)', () => undefined);
  });
}
