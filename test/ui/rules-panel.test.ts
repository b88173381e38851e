// Functions passed to page.evaluate run in the browser, so these tests use DOM types.
/// <reference lib="dom" />

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sendWithNodemailer } from '../rules/helpers.js';
import {
  chromiumAvailable,
  openUi,
  saveScreenshot,
  SKIP_REASON,
  startMailscope,
  type Mailscope,
  type UiSession,
} from './ui-harness.js';

if (!chromiumAvailable) it.skip(SKIP_REASON, () => {});

describe.skipIf(!chromiumAvailable)('rules panel', () => {
  let mailscope: Mailscope;
  let ui: UiSession;

  beforeAll(async () => {
    mailscope = await startMailscope(['--db', ':memory:']);
    ui = await openUi(mailscope.baseUrl);
    await ui.page.getByText('No mail yet.').waitFor();
  });

  afterAll(async () => {
    await ui?.close();
    await mailscope?.close();
  });

  it('fails the next three messages to one recipient', async () => {
    const { page } = ui;
    await page.getByRole('button', { name: 'Rules' }).click();
    const dialog = page.getByRole('dialog', { name: 'Failure rules' });
    await dialog.getByRole('button', { name: 'Add rule' }).click();

    const form = dialog.getByRole('form', { name: 'New rule' });
    await form.getByLabel('Name', { exact: true }).fill('Bob fails three times');
    await form.getByLabel('Stage', { exact: true }).selectOption('rcpt');
    await form.getByLabel('Recipient', { exact: true }).fill('bob@example.test');
    await form.getByLabel('Action', { exact: true }).selectOption('reply');
    await form.getByLabel('Code', { exact: true }).fill('451');
    await form.getByLabel('Enhanced code', { exact: true }).fill('4.7.1');
    await form.getByLabel('Text', { exact: true }).fill('Mailbox busy, try later');
    await form.getByLabel('Fires', { exact: true }).selectOption('first-n');
    await form.getByLabel('N', { exact: true }).fill('3');
    await form.getByRole('button', { name: 'Save rule' }).click();

    const counters = dialog.getByRole('cell', { name: 'Counters of Bob fails three times' });
    await expect.poll(() => counters.textContent()).toBe('matched 0, fired 0');

    const codes: number[] = [];
    for (let attempt = 0; attempt < 4; attempt += 1) {
      codes.push((await sendWithNodemailer(mailscope.smtpPort, { to: 'bob@example.test' })).code);
    }
    expect(codes).toEqual([451, 451, 451, 250]);
    await expect.poll(() => counters.textContent()).toBe('matched 4, fired 3');

    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.getByText('4 deliveries').waitFor();

    // The oldest delivery is the first refused attempt; the list shows the newest first.
    const rows = page.getByRole('listbox').getByRole('option');
    await rows.nth(3).dblclick();
    const detail = page.getByRole('article', { name: 'Delivery detail' });
    await detail.getByRole('tab', { name: 'Timeline' }).click();
    const timeline = detail.getByRole('list', { name: 'Timeline' });
    await expect.poll(() => timeline.textContent()).toContain('rule: Bob fails three times');
    expect(await timeline.textContent()).toContain('451 4.7.1 Mailbox busy, try later');
    await saveScreenshot(page, 'rules-panel-timeline');

    await page.getByLabel('Outcome').selectOption('rule');
    await page.getByText('3 deliveries').waitFor();
    await page.getByLabel('Outcome').selectOption('');
    await page.getByText('4 deliveries').waitFor();
  });

  it('pause switch shows a banner until resumed', async () => {
    const { page } = ui;
    await page.getByLabel('Reply while paused').selectOption('421');
    await page.getByRole('button', { name: 'Pause intake' }).click();
    const banner = page.getByRole('alert').filter({ hasText: 'Intake paused' });
    await banner.waitFor();
    expect(await banner.textContent()).toContain('gets 421');

    const refused = await sendWithNodemailer(mailscope.smtpPort);
    expect(refused.code).toBe(421);

    await page.getByRole('button', { name: 'Resume intake' }).click();
    await banner.waitFor({ state: 'detached' });
    expect((await sendWithNodemailer(mailscope.smtpPort)).code).toBe(250);
  });
});
