// Functions passed to page.evaluate run in the browser, so these tests use DOM types.
/// <reference lib="dom" />

import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RawSmtpClient } from '../support/raw-smtp-client.js';
import {
  chromiumAvailable,
  openUi,
  queuedId,
  saveScreenshot,
  SKIP_REASON,
  smtpTransport,
  startMailscope,
  type Mailscope,
  type UiSession,
} from './ui-harness.js';

if (!chromiumAvailable) it.skip(SKIP_REASON, () => {});

/** Returns the delivery list, which excludes the <option> elements of the outcome filter. */
function list(page: Page): Locator {
  return page.getByRole('listbox', { name: 'Deliveries' });
}

describe.skipIf(!chromiumAvailable)('delivery list', () => {
  let mailscope: Mailscope;
  let ui: UiSession;

  beforeAll(async () => {
    mailscope = await startMailscope();
    ui = await openUi(mailscope.baseUrl);
    await ui.page.getByText('No mail yet.').waitFor();
  });

  afterAll(async () => {
    await ui?.close();
    await mailscope?.close();
  });

  it('shows new mail and unread count live', async () => {
    const { page } = ui;
    expect(await page.title()).toBe('Mailscope');

    const transport = smtpTransport(mailscope.smtpPort);
    for (let i = 1; i <= 3; i++) {
      await transport.sendMail({
        from: 'App <app@example.test>',
        to: ['one@example.test', 'two@example.test', 'three@example.test'],
        subject: `Live arrival ${i} <b>not bold</b>`,
        text: `Message number ${i}`,
      });
    }

    const rows = list(page).getByRole('option');
    await expect.poll(() => rows.count()).toBe(3);
    const newest = list(page).getByRole('option', { name: /Live arrival 3/ });
    const text = await newest.textContent();
    expect(text).toContain('app@example.test');
    expect(text).toContain('Live arrival 3 <b>not bold</b>');
    expect(text).toContain('to one@example.test, two@example.test +1 more');
    expect(text).toContain('committed');
    expect(text).toContain('Unread');
    await expect.poll(() => page.title()).toBe('(3) Mailscope');
    await saveScreenshot(page, 'list-live');
  });

  it('labels the null sender', async () => {
    await smtpTransport(mailscope.smtpPort).sendMail({
      envelope: { from: '', to: ['bounce-target@example.test'] },
      from: 'mailer-daemon@example.test',
      to: 'bounce-target@example.test',
      subject: 'Delivery Status Notification',
      text: 'bounced',
    });

    const row = list(ui.page).getByRole('option', { name: /Delivery Status Notification/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('<> (null sender)');
  });

  it('shows aborts live with the reason', async () => {
    const { client: dialogue } = await RawSmtpClient.connect(mailscope.smtpPort);
    await dialogue.command('EHLO aborting.example.test');
    await dialogue.command('MAIL FROM:<quitter@example.test>');
    await dialogue.command('RCPT TO:<victim@example.test>');

    const row = list(ui.page).getByRole('option', { name: /quitter@example\.test/ });
    await row.waitFor();
    await expect.poll(() => row.textContent()).toContain('in progress');
    expect(await row.locator('.row-subject').textContent()).toBe('(no message yet)');

    await dialogue.command('DATA');
    dialogue.write('Subject: never finished\r\n\r\nhalf a body');

    // The detail opened during the transaction follows it live as well.
    await row.click();
    const detail = ui.page.getByRole('article', { name: 'Delivery detail' });
    await detail.getByRole('tab', { name: 'Timeline', selected: true }).waitFor();
    const timeline = detail.getByRole('list', { name: 'Timeline' });
    expect(await timeline.textContent()).toContain('in progress…');
    await saveScreenshot(ui.page, 'detail-in-progress-timeline');

    dialogue.destroy();
    await expect.poll(() => row.textContent()).toContain('aborted: client disconnected');
    await expect.poll(() => timeline.textContent()).toContain('aborted: client disconnected');
    expect(await timeline.textContent()).not.toContain('in progress…');
    expect(await detail.getByRole('note').textContent()).toMatch(/^Aborted: .+/);
    await saveScreenshot(ui.page, 'detail-aborted-timeline');
  });

  it('moves with j and k, opens with Enter', async () => {
    const { page } = ui;
    const rows = list(page).getByRole('option');
    const idAt = (index: number) => rows.nth(index).getAttribute('data-delivery-id');
    const selectedId = () =>
      list(page).getByRole('option', { selected: true }).getAttribute('data-delivery-id');
    await rows.nth(0).click();
    await page.getByRole('button', { name: 'Close the detail' }).click();
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    expect(await selectedId()).toBe(await idAt(0));

    await page.keyboard.press('j');
    expect(await selectedId()).toBe(await idAt(1));
    await page.keyboard.press('j');
    expect(await selectedId()).toBe(await idAt(2));
    await page.keyboard.press('k');
    expect(await selectedId()).toBe(await idAt(1));
    await page.keyboard.press('ArrowDown');
    expect(await selectedId()).toBe(await idAt(2));

    await page.keyboard.press('Enter');
    const expectedHash = `#/deliveries/${await idAt(2)}`;
    await expect.poll(() => page.evaluate(() => window.location.hash)).toBe(expectedHash);
    await page.getByRole('article', { name: 'Delivery detail' }).waitFor();
    await saveScreenshot(page, 'keyboard-open');
  });

  it('toggles the help with ? and Escape', async () => {
    const { page } = ui;
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    await saveScreenshot(page, 'help-overlay');

    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden' });
  });

  it('filters by text after /', async () => {
    const { page } = ui;
    await page.keyboard.press('/');
    const search = page.getByRole('searchbox', { name: 'Search deliveries' });
    expect(await search.evaluate((element) => element === document.activeElement)).toBe(true);

    await page.keyboard.type('Live arrival 2');
    await expect.poll(() => list(page).getByRole('option').count()).toBe(1);
    expect(await list(page).getByRole('option').textContent()).toContain('Live arrival 2');

    await search.fill('');
    await expect.poll(() => list(page).getByRole('option').count()).toBe(5);
  });

  it('filters by outcome', async () => {
    const { page } = ui;
    const outcome = page.getByRole('combobox', { name: 'Outcome' });
    await outcome.selectOption('aborted');
    await expect.poll(() => list(page).getByRole('option').count()).toBe(1);
    expect(await list(page).getByRole('option').textContent()).toContain('quitter@example.test');

    await outcome.selectOption('');
    await expect.poll(() => list(page).getByRole('option').count()).toBe(5);
  });

  it('deletes the selection with Delete', async () => {
    const { page } = ui;
    const reply = await smtpTransport(mailscope.smtpPort).sendMail({
      from: 'app@example.test',
      to: 'delete-me@example.test',
      subject: 'Delete with the key',
      text: 'bye',
    });
    const id = queuedId(reply.response);
    const row = page.locator(`[data-delivery-id="${id}"]`);
    await row.waitFor();
    await row.click();
    await page.locator('body').focus();
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());

    await page.keyboard.press('Delete');
    await row.waitFor({ state: 'detached' });
    const response = await fetch(`${mailscope.baseUrl}api/mailscope/deliveries/${id}`);
    expect(response.status).toBe(404);
  });

  it('deletes the open delivery with Delete', async () => {
    const { page } = ui;
    const transport = smtpTransport(mailscope.smtpPort);
    for (const subject of ['Keep oldest', 'Delete open', 'Keep newest']) {
      await transport.sendMail({
        from: 'app@example.test',
        to: 'keys@example.test',
        subject,
        text: 'x',
      });
    }
    const rows = list(page).getByRole('option');
    await list(page)
      .getByRole('option', { name: /Keep newest/ })
      .waitFor();
    await rows.nth(0).click();
    await page.getByRole('button', { name: 'Close the detail' }).click();
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());

    // j and Enter open "Delete open", and j selects "Keep oldest" below it.
    await page.keyboard.press('j');
    await page.keyboard.press('Enter');
    const detail = page.getByRole('article', { name: 'Delivery detail' });
    await detail.getByRole('heading', { name: 'Delete open' }).waitFor();
    await page.keyboard.press('j');
    expect(await list(page).getByRole('option', { selected: true }).textContent()).toContain(
      'Keep oldest',
    );

    await page.keyboard.press('Delete');
    await list(page)
      .getByRole('option', { name: /Delete open/ })
      .waitFor({ state: 'detached' });
    await page.getByRole('status').getByText('Deleted “\u2068Delete open\u2069”').waitFor();
    expect(
      await list(page)
        .getByRole('option', { name: /Keep oldest/ })
        .count(),
    ).toBe(1);
    expect(
      await list(page)
        .getByRole('option', { name: /Keep newest/ })
        .count(),
    ).toBe(1);
  });

  it('deletes an aborted delivery', async () => {
    const { page } = ui;
    const row = list(page).getByRole('option', { name: /quitter@example\.test/ });
    await row.click();
    const detail = page.getByRole('article', { name: 'Delivery detail' });
    await detail.getByRole('heading', { name: 'Delivery without a message' }).waitFor();

    await detail.getByRole('button', { name: 'Delete' }).click();
    await row.waitFor({ state: 'detached' });
    await page
      .getByRole('status')
      .getByText('Deleted the delivery from \u2068quitter@example.test\u2069')
      .waitFor();
    expect(await page.evaluate(() => window.location.hash)).not.toContain('deliveries');
  });

  it('isolates a right-to-left override', async () => {
    const { page } = ui;
    const subject = 'Invoice \u202Efdp.exe';
    await smtpTransport(mailscope.smtpPort).sendMail({
      from: 'app@example.test',
      to: 'bidi@example.test',
      subject,
      text: 'x',
    });
    const row = list(page).getByRole('option', { name: /Invoice/ });
    await row.waitFor();
    const bidiOf = (locator: Locator) =>
      locator.evaluate((element) => getComputedStyle(element).unicodeBidi);
    expect(await bidiOf(row.locator('.row-subject'))).toBe('isolate');
    expect(await bidiOf(row.locator('.row-from'))).toBe('isolate');
    expect(await bidiOf(row.locator('.row-to bdi'))).toBe('isolate');

    await row.click();
    const heading = page.getByRole('article', { name: 'Delivery detail' }).getByRole('heading', {
      level: 2,
    });
    await expect.poll(() => heading.textContent()).toBe(subject);
    expect(await bidiOf(heading)).toBe('isolate');
  });

  it('deletes all after confirmation', async () => {
    const { page } = ui;
    const before = await list(page).getByRole('option').count();
    expect(before).toBeGreaterThan(0);

    await page.getByRole('button', { name: 'Delete all' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete all deliveries?' });
    await dialog.waitFor();
    // The count comes from the server, which may still be a moment behind the last row.
    await expect
      .poll(() => dialog.textContent(), { timeout: 5000 })
      .toContain(`This deletes ${before} finished deliveries`);
    await saveScreenshot(page, 'delete-all-confirmation');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await list(page).getByRole('option').count()).toBe(before);

    await page.getByRole('button', { name: 'Delete all' }).click();
    await dialog.getByRole('button', { name: 'Delete all' }).click();
    await page.getByText('No mail yet.').waitFor();
    await page.getByRole('status').getByText(`Deleted ${before} deliveries`).waitFor();
    expect(await list(page).getByRole('option').count()).toBe(0);
    await expect.poll(() => page.title()).toBe('Mailscope');
  });

  it('logs no errors or dialogs', () => {
    expect(ui.record.dialogs).toEqual([]);
    expect(ui.record.pageErrors).toEqual([]);
    expect(ui.record.console.filter((line) => line.startsWith('error'))).toEqual([]);
  });
});
