import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { parseCli } from '../../src/config.js';
import { startCore, type Core } from '../../src/core.js';
import { createLogger } from '../../src/log.js';
import type { ReleaseRecord } from '../../src/relay/release-records.js';
import type { RelaySettingsView } from '../../src/relay/settings.js';
import { json, queuedId, sendMessage, startInstance, type Instance } from './helpers.js';

const MESSAGE = Buffer.from(
  'From: app@example.test\r\nTo: user@example.test\r\nSubject: Stored settings\r\n\r\nbody\r\n',
);

/** The settings saved through the API before each restart. */
const SAVED = {
  server: { host: '127.0.0.1', port: 0 },
  tls: 'starttls',
  allowSelfSigned: true,
  auth: { user: 'relay', password: 'secret' },
  from: 'bounce@example.test',
  allowedRecipients: ['*@example.test', '/^qa\\+.*@corp\\.test$/i'],
  relayMatching: 'subject:"never matches"',
};

interface Started {
  core: Core;
  api(apiPath: string, init?: RequestInit): Promise<Response>;
}

let receiver: Instance;
let dataDir: string;
let running: Started | null = null;

/** Starts a core on `dataDir`, which outlasts the core, with `args` and `env`. */
async function start(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const request = parseCli(
    ['--smtp', '127.0.0.1:0', '--http', '127.0.0.1:0', '--data-dir', dataDir, ...args],
    env,
  );
  if (request.kind !== 'run') throw new Error(`unexpected CLI request ${request.kind}`);
  const core = await startCore(request.config, createLogger({ level: 'silent' }));
  const origin = `http://127.0.0.1:${core.httpAddress.port}`;
  running = { core, api: (apiPath, init) => fetch(`${origin}/api/mailscope${apiPath}`, init) };
  return running;
}

async function stop(): Promise<void> {
  await running?.core.close();
  running = null;
}

async function getRelay(instance: Started): Promise<RelaySettingsView> {
  const response = await instance.api('/relay');
  expect(response.status).toBe(200);
  return (await response.json()) as RelaySettingsView;
}

async function saveSettings(args: string[] = []): Promise<void> {
  const first = await start(args);
  const body = { ...SAVED, server: { host: '127.0.0.1', port: receiver.core.smtpAddress.port } };
  const response = await first.api('/relay', json('PUT', body));
  expect(response.status).toBe(200);
  await stop();
}

beforeAll(async () => {
  // The receiver offers STARTTLS with its self-signed certificate and requires AUTH.
  receiver = await startInstance(['--smtp-auth', 'relay:secret']);
}, 30_000);

afterAll(async () => {
  await receiver?.close();
});

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'mailscope-settings-'));
});

afterEach(async () => {
  await stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('stored relay settings', () => {
  it('return after a restart', async () => {
    await saveSettings();
    const again = await start();
    const relay = await getRelay(again);

    expect(relay.enabled).toBe(true);
    expect(relay.server).toEqual({ host: '127.0.0.1', port: receiver.core.smtpAddress.port });
    expect(relay.tls).toBe('starttls');
    expect(relay.allowSelfSigned).toBe(true);
    expect(relay.auth).toEqual({ user: 'relay', passwordSet: true });
    expect(relay.from).toBe('bounce@example.test');
    expect(relay.allowedRecipients).toEqual(SAVED.allowedRecipients);
    expect(relay.relayMatching).toBe(SAVED.relayMatching);
  }, 30_000);

  it('keep the password out of the API', async () => {
    await saveSettings();
    const again = await start();
    const text = await (await again.api('/relay')).text();

    expect(text).not.toContain('secret');
    expect(text).toContain('"passwordSet":true');
  }, 30_000);

  it('release with the stored password', async () => {
    await saveSettings();
    const again = await start();
    const sent = await sendMessage(
      again.core.smtpAddress.port,
      'app@example.test',
      ['user@example.test'],
      MESSAGE,
    );
    const response = await again.api(`/messages/${sent.id}/release`, json('POST', {}));
    const record = (await response.json()) as ReleaseRecord;

    expect(response.status).toBe(200);
    expect(record.outcome).toBe('sent');
    expect(record.mailFrom).toBe('bounce@example.test');
    const delivery = receiver.core.store.queries.getDelivery(queuedId(record.reply ?? ''));
    expect(delivery?.authUser).toBe('relay');
    expect(delivery?.tls).not.toBeNull();
  }, 30_000);

  it('yield to a CLI option for its field', async () => {
    await saveSettings();
    const withOption = await start(['--relay-from', 'option@example.test']);
    const relay = await getRelay(withOption);

    expect(relay.from).toBe('option@example.test');
    expect(relay.tls).toBe('starttls');
    expect(relay.server?.port).toBe(receiver.core.smtpAddress.port);
    await stop();

    const withoutOption = await start();
    expect((await getRelay(withoutOption)).from).toBe('bounce@example.test');
  }, 30_000);

  it('yield to an environment variable', async () => {
    await saveSettings();
    const withVariable = await start([], {
      MAILSCOPE_RELAY_ALLOWED_RECIPIENTS: 'only@example.test',
      MAILSCOPE_RELAY_ALLOW_SELF_SIGNED: '0',
    });
    const relay = await getRelay(withVariable);

    expect(relay.allowedRecipients).toEqual(['only@example.test']);
    expect(relay.allowSelfSigned).toBe(false);
    expect(relay.from).toBe('bounce@example.test');
  }, 30_000);

  it('keep an option value out of the store', async () => {
    const first = await start(['--relay-matching', 'subject:option']);
    const response = await first.api('/relay', json('PUT', { from: 'changed@example.test' }));
    expect(response.status).toBe(200);
    expect(((await response.json()) as RelaySettingsView).relayMatching).toBe('subject:option');
    await stop();

    const again = await start();
    const relay = await getRelay(again);
    expect(relay.from).toBe('changed@example.test');
    expect(relay.relayMatching).toBeNull();
  }, 30_000);

  it('store nothing from an invalid update', async () => {
    await saveSettings();
    const first = await start();
    const response = await first.api('/relay', json('PUT', { from: 'bad address', tls: 'none' }));
    expect(response.status).toBe(400);
    await stop();

    const again = await start();
    const relay = await getRelay(again);
    expect(relay.from).toBe('bounce@example.test');
    expect(relay.tls).toBe('starttls');
  }, 30_000);

  it('are ignored when invalid', async () => {
    await saveSettings();
    const first = await start();
    first.core.store.db
      .prepare("UPDATE settings SET value = ? WHERE key = 'relay'")
      .run(JSON.stringify({ server: { host: 'bad host', port: 25 }, from: 'x@example.test' }));
    await stop();

    const again = await start(['--relay-from', 'option@example.test']);
    const relay = await getRelay(again);
    expect(relay.enabled).toBe(false);
    expect(relay.from).toBe('option@example.test');
  }, 30_000);
});
