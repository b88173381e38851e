import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { headerValue } from '../../src/message/header.js';
import { loadOrCreateCertificate } from '../../src/smtp/tls.js';
import { hasCommand } from '../support/commands.js';
import { runProcess } from '../support/external-clients.js';
import { startEndpoint, type EndpointHarness } from '../support/smtp-harness.js';

const swaksInstalled = hasCommand('swaks');
if (!swaksInstalled) {
  console.warn('Skipping the swaks tests: swaks is not installed (Debian: apt-get install swaks).');
}

let harness: EndpointHarness | null = null;
let dataDir: string | null = null;

afterEach(async () => {
  await harness?.stop();
  harness = null;
  if (dataDir !== null) {
    await rm(dataDir, { recursive: true, force: true });
    dataDir = null;
  }
});

function swaks(port: number, extraArgs: string[] = []) {
  return runProcess('swaks', [
    '--server',
    '127.0.0.1',
    '--port',
    String(port),
    '--helo',
    'swaks.example.test',
    '--from',
    'a@example.test',
    '--to',
    'b@example.test',
    '--header',
    'Subject: sent by swaks',
    '--body',
    'hello from swaks',
    ...extraArgs,
  ]);
}

describe.skipIf(!swaksInstalled)('SmtpEndpoint with swaks', () => {
  it('commits a message sent by swaks', async () => {
    harness = await startEndpoint();

    const result = await swaks(harness.port);

    const [delivery] = harness.target.committed;
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`<-  250 2.0.0 Ok: queued as ${delivery?.meta.id}`);
    expect(delivery?.mailFrom).toBe('a@example.test');
    expect(delivery?.rcpts).toEqual(['b@example.test']);
    expect(delivery?.meta.conn.heloName).toBe('swaks.example.test');
    expect(headerValue(delivery!.header!, 'Subject')).toBe('sent by swaks');
  });

  it('commits a message sent with pipelining', async () => {
    harness = await startEndpoint();

    const result = await swaks(harness.port, ['--pipeline']);

    expect(result.exitCode).toBe(0);
    expect(harness.target.committed).toHaveLength(1);
  });

  it('authenticates with AUTH LOGIN after STARTTLS', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'mailscope-swaks-'));
    const tls = await loadOrCreateCertificate(dataDir);
    harness = await startEndpoint({ tls, auth: { users: { u: 'p' }, requireTls: true } });

    const result = await swaks(harness.port, [
      '--tls',
      '--auth',
      'LOGIN',
      '--auth-user',
      'u',
      '--auth-password',
      'p',
    ]);

    const meta = harness.target.committed[0]?.meta;
    expect(result.exitCode).toBe(0);
    expect(meta?.conn.protocol).toBe('ESMTPSA');
    expect(meta?.conn.authUser).toBe('u');
  });
});
