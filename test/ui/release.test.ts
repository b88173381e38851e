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

if (!chromiumAvailable) it.skip(SKIP_REASON, () => {});

const MESSAGE = Buffer.from(
  'From: app@example.test\r\nTo: user@example.test\r\nSubject: Release from the UI\r\n\r\nbody\r\n',
);

function detail(page: Page): Locator {
  return page.getByRole('article', { name: 'Delivery detail' });
}

describe.skipIf(!chromiumAvailable)('release dialog', () => {
  let receiver: Mailscope;
  let sender: Mailscope;
  let ui: UiSession;
  let id: string;

  beforeAll(async () => {
    receiver = await startMailscope();
    sender = await startMailscope([
      ...['--relay-server', `127.0.0.1:${receiver.smtpPort}`],
      ...['--relay-allowed-recipients', '*@example.test'],
    ]);
    id = await sendRaw(sender.smtpPort, 'app@example.test', ['user@example.test'], MESSAGE);
    ui = await openUi(`${sender.baseUrl}#/deliveries/${id}`);
    await detail(ui.page).getByRole('heading', { name: 'Release from the UI' }).waitFor();
  }, 30_000);

  afterAll(async () => {
    await ui?.close();
    await sender?.close();
    await receiver?.close();
  });

  it('sends to the recipients entered', async () => {
    await detail(ui.page).getByRole('button', { name: 'Release…' }).click();
    const dialog = ui.page.getByRole('dialog', { name: 'Release message' });
    await dialog.getByText(`127.0.0.1:${receiver.smtpPort}`).waitFor();
    const recipients = dialog.getByLabel('Recipients, one per line');
    expect(await recipients.inputValue()).toBe('user@example.test');

    await recipients.fill('qa@example.test');
    await dialog.getByRole('button', { name: 'Send' }).click();
    await dialog.waitFor({ state: 'detached' });

    const history = detail(ui.page).getByRole('region', { name: 'Releases' });
    const entry = history.getByRole('listitem').first();
    await entry.getByText('Sent').waitFor();
    const text = await entry.textContent();
    expect(text).toContain('qa@example.test');
    expect(text).toMatch(/250 2\.0\.0 Ok: queued as \S+/);
    await saveScreenshot(ui.page, 'release-sent');

    const arrivedId = queuedId(text ?? '');
    const delivery = receiver.core.store.queries.getDelivery(arrivedId);
    expect(delivery?.recipients.map((recipient) => recipient.address)).toEqual(['qa@example.test']);
  });

  it('shows an allowlist rejection', async () => {
    await detail(ui.page).getByRole('button', { name: 'Release…' }).click();
    const dialog = ui.page.getByRole('dialog', { name: 'Release message' });
    await dialog.getByText('Allowed recipients: *@example.test').waitFor();
    await dialog.getByLabel('Recipients, one per line').fill('someone@elsewhere.test');
    await dialog.getByRole('button', { name: 'Send' }).click();

    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('someone@elsewhere.test');
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    const history = detail(ui.page).getByRole('region', { name: 'Releases' });
    await history.getByText('Not allowed').waitFor();
    expect(await history.getByRole('listitem').count()).toBe(2);
  });
});

describe.skipIf(!chromiumAvailable)('release dialog without relay', () => {
  let mailscope: Mailscope;
  let ui: UiSession;

  beforeAll(async () => {
    mailscope = await startMailscope();
    const id = await sendRaw(
      mailscope.smtpPort,
      'app@example.test',
      ['user@example.test'],
      MESSAGE,
    );
    ui = await openUi(`${mailscope.baseUrl}#/deliveries/${id}`);
    await detail(ui.page).getByRole('heading', { name: 'Release from the UI' }).waitFor();
  }, 30_000);

  afterAll(async () => {
    await ui?.close();
    await mailscope?.close();
  });

  it('says how to turn release on', async () => {
    await detail(ui.page).getByRole('button', { name: 'Release…' }).click();
    const dialog = ui.page.getByRole('dialog', { name: 'Release message' });
    await dialog.getByText('Release is off').waitFor();
    expect(await dialog.textContent()).toContain('--relay-server HOST:PORT');
    expect(await dialog.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true);
  });
});
