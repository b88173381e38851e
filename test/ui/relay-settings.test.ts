// Functions passed to page.evaluate run in the browser, so these tests use DOM types.
/// <reference lib="dom" />

import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  chromiumAvailable,
  openUi,
  queuedId,
  saveScreenshot,
  sendRaw,
  SKIP_REASON,
  startMailscope,
  type Mailscope,
  type UiSession,
} from './ui-harness.js';
import { startInstance, type Instance } from '../relay/helpers.js';

if (!chromiumAvailable) it.skip(SKIP_REASON, () => {});

const MESSAGE = Buffer.from(
  'From: app@example.test\r\nTo: user@example.test\r\nSubject: Settings from the UI\r\n\r\nbody\r\n',
);

function detail(page: Page): Locator {
  return page.getByRole('article', { name: 'Delivery detail' });
}

function releaseDialog(page: Page): Locator {
  return page.getByRole('dialog', { name: 'Release message' });
}

describe.skipIf(!chromiumAvailable)('relay settings panel', () => {
  let receiver: Instance;
  let receiverPort: number;
  let sender: Mailscope;
  let ui: UiSession;

  beforeAll(async () => {
    // The receiver offers STARTTLS with its self-signed certificate and requires AUTH. The
    // UI harness turns STARTTLS off, so the receiver comes from the relay test helpers.
    receiver = await startInstance(['--smtp-auth', 'relay:secret']);
    receiverPort = receiver.core.smtpAddress.port;
    sender = await startMailscope();
    const id = await sendRaw(sender.smtpPort, 'app@example.test', ['user@example.test'], MESSAGE);
    ui = await openUi(`${sender.baseUrl}#/deliveries/${id}`);
    await detail(ui.page).getByRole('heading', { name: 'Settings from the UI' }).waitFor();
  }, 30_000);

  afterAll(async () => {
    await ui?.close();
    await sender?.close();
    await receiver?.close();
  });

  it('shows an error from the API', async () => {
    await detail(ui.page).getByRole('button', { name: 'Release…' }).click();
    const dialog = releaseDialog(ui.page);
    await dialog.getByText('Release is off').waitFor();
    await dialog.getByRole('button', { name: 'Relay settings…' }).click();

    const panel = dialog.getByRole('region', { name: 'Relay settings' });
    await panel.getByLabel('Server host').fill('127.0.0.1');
    await panel.getByLabel('Port', { exact: true }).fill(String(receiverPort));
    await panel.getByLabel('MAIL FROM override').fill('not an address');
    await panel.getByRole('button', { name: 'Save' }).click();

    const alert = panel.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Invalid relay sender "not an address"');
    const stored = await (await fetch(`${sender.baseUrl}api/mailscope/relay`)).json();
    expect((stored as { enabled: boolean }).enabled).toBe(false);
  });

  it('saves settings that a release uses', async () => {
    const panel = releaseDialog(ui.page).getByRole('region', { name: 'Relay settings' });
    await panel.getByLabel('TLS mode').selectOption('starttls');
    await panel.getByLabel('Allow a self-signed certificate').check();
    await panel.getByLabel('User name').fill('relay');
    await panel.getByLabel('Password').fill('secret');
    await panel.getByLabel('MAIL FROM override').fill('bounce@example.test');
    await panel.getByLabel('Allowed recipients, one pattern per line').fill('*@example.test\n');
    await saveScreenshot(ui.page, 'relay-settings');
    await panel.getByRole('button', { name: 'Save' }).click();
    await panel.waitFor({ state: 'detached' });

    const dialog = releaseDialog(ui.page);
    await dialog.getByText(`127.0.0.1:${receiverPort}`).waitFor();
    expect(await dialog.textContent()).toContain('STARTTLS');
    expect(await dialog.textContent()).toContain('Allowed recipients: *@example.test');

    await dialog.getByLabel('Recipients, one per line').fill('qa@example.test');
    await dialog.getByRole('button', { name: 'Send' }).click();
    await dialog.waitFor({ state: 'detached' });

    const history = detail(ui.page).getByRole('region', { name: 'Releases' });
    const entry = history.getByRole('listitem').first();
    await entry.getByText('Sent').waitFor();
    const text = await entry.textContent();
    expect(text).toMatch(/250 2\.0\.0 Ok: queued as \S+/);

    const delivery = receiver.core.store.queries.getDelivery(queuedId(text ?? ''));
    expect(delivery?.mailFrom).toBe('bounce@example.test');
    expect(delivery?.authUser).toBe('relay');
    expect(delivery?.tls).not.toBeNull();
    expect(delivery?.recipients.map((recipient) => recipient.address)).toEqual(['qa@example.test']);

    const row = sender.core.store.db
      .prepare("SELECT value FROM settings WHERE key = 'relay'")
      .get() as { value: string } | undefined;
    expect(JSON.parse(row?.value ?? '{}')).toMatchObject({
      server: { host: '127.0.0.1', port: receiverPort },
      auth: { user: 'relay', password: 'secret' },
      from: 'bounce@example.test',
    });
  });

  it('keeps the password write-only', async () => {
    await detail(ui.page).getByRole('button', { name: 'Release…' }).click();
    const dialog = releaseDialog(ui.page);
    await dialog.getByText(`127.0.0.1:${receiverPort}`).waitFor();
    await dialog.getByRole('button', { name: 'Relay settings…' }).click();

    const panel = dialog.getByRole('region', { name: 'Relay settings' });
    const password = panel.getByLabel('Password');
    expect(await password.inputValue()).toBe('');
    expect(await password.getAttribute('placeholder')).toContain('leave empty to keep');
    expect(await panel.getByLabel('User name').inputValue()).toBe('relay');
    expect(await panel.getByLabel('TLS mode').inputValue()).toBe('starttls');
    expect(await panel.getByLabel('Allowed recipients, one pattern per line').inputValue()).toBe(
      '*@example.test',
    );
    expect(await ui.page.content()).not.toContain('secret');

    // Saving with the field left empty keeps the stored password.
    await panel.getByLabel('Automatic relay query').fill('subject:"never sent"');
    await panel.getByRole('button', { name: 'Save' }).click();
    await panel.waitFor({ state: 'detached' });
    expect(sender.core.afterCommit.relay.settings.auth).toEqual({
      user: 'relay',
      password: 'secret',
    });
    expect(sender.core.afterCommit.relay.settings.relayMatching).toBe('subject:"never sent"');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });
});
