// Functions passed to page.evaluate run in the browser, so these tests use DOM types.
/// <reference lib="dom" />

import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  chromiumAvailable,
  openUi,
  saveScreenshot,
  SKIP_REASON,
  smtpTransport,
  startMailscope,
  type Mailscope,
  type UiSession,
} from './ui-harness.js';

if (!chromiumAvailable) it.skip(SKIP_REASON, () => {});

function list(page: Page): Locator {
  return page.getByRole('listbox', { name: 'Deliveries' });
}

function searchBox(page: Page): Locator {
  return page.getByRole('searchbox', { name: 'Search deliveries' });
}

function tagsDialog(page: Page): Locator {
  return page.getByRole('dialog', { name: 'Tags' });
}

/** Opens the Tags dialog from the header and waits for its table. */
async function openTags(page: Page): Promise<Locator> {
  await page.getByRole('banner').getByRole('button', { name: 'Tags', exact: true }).click();
  const dialog = tagsDialog(page);
  await dialog.getByRole('table', { name: 'Tags' }).waitFor();
  return dialog;
}

async function closeTags(page: Page): Promise<void> {
  await tagsDialog(page).getByRole('button', { name: 'Close', exact: true }).click();
  await tagsDialog(page).waitFor({ state: 'detached' });
}

/** Returns the rows of the Tags table as `name count`, such as `release 2`. */
function tagRows(dialog: Locator): Promise<string[]> {
  return dialog
    .locator('tbody tr')
    .evaluateAll((rows) =>
      (rows as HTMLTableRowElement[]).map(
        (row) => `${row.cells[0]?.textContent} ${row.cells[1]?.textContent}`,
      ),
    );
}

function rowChips(page: Page, subject: RegExp): Promise<string[]> {
  return list(page).getByRole('option', { name: subject }).locator('.tag-chip').allTextContents();
}

describe.skipIf(!chromiumAvailable)('tag manager', () => {
  let mailscope: Mailscope;
  let ui: UiSession;

  beforeAll(async () => {
    mailscope = await startMailscope();
    const transport = smtpTransport(mailscope.smtpPort);
    await transport.sendMail({
      from: 'CI <ci@example.test>',
      to: 'qa@example.test',
      subject: 'Release notes',
      text: 'Version 2 is out.',
      headers: { 'X-Tags': 'release, qa team' },
    });
    await transport.sendMail({
      from: 'CI <ci@example.test>',
      to: 'dev@example.test',
      subject: 'Build failed',
      text: 'The release build failed.',
      headers: { 'X-Tags': 'release, ci' },
    });
    await transport.sendMail({
      from: 'App <app@example.test>',
      to: 'user@example.test',
      subject: 'Password reset',
      text: 'Click the link.',
    });
    ui = await openUi(mailscope.baseUrl);
    await list(ui.page).getByRole('option').nth(2).waitFor();
  });

  afterAll(async () => {
    await ui?.close();
    await mailscope?.close();
  });

  it('lists tags with counts', async () => {
    const dialog = await openTags(ui.page);
    await expect.poll(() => tagRows(dialog)).toEqual(['ci 1', 'qa team 1', 'release 2']);
    await saveScreenshot(ui.page, 'tag-manager-list');
    await closeTags(ui.page);
  });

  it('filters by a clicked tag', async () => {
    const { page } = ui;
    const dialog = await openTags(page);
    await dialog.getByRole('button', { name: 'qa team', exact: true }).click();

    await tagsDialog(page).waitFor({ state: 'detached' });
    await expect.poll(() => searchBox(page).inputValue()).toBe('tag:"qa team"');
    await expect.poll(() => list(page).getByRole('option').count()).toBe(1);
    expect(await list(page).getByRole('option').textContent()).toContain('Release notes');

    await searchBox(page).fill('');
    await expect.poll(() => list(page).getByRole('option').count()).toBe(3);
  });

  it('renames a tag everywhere', async () => {
    const { page } = ui;
    const dialog = await openTags(page);
    await dialog.getByRole('button', { name: 'Rename tag release' }).click();
    const input = dialog.getByRole('textbox', { name: 'New name for tag release' });
    await input.fill('shipped');
    await input.press('Enter');

    await expect.poll(() => tagRows(dialog)).toEqual(['ci 1', 'qa team 1', 'shipped 2']);
    await closeTags(page);
    await expect.poll(() => rowChips(page, /Release notes/)).toEqual(['qa team', 'shipped']);
    await expect.poll(() => rowChips(page, /Build failed/)).toEqual(['ci', 'shipped']);
  });

  it('shows the error of an invalid rename', async () => {
    const { page } = ui;
    const dialog = await openTags(page);
    await dialog.getByRole('button', { name: 'Rename tag ci' }).click();
    const input = dialog.getByRole('textbox', { name: 'New name for tag ci' });

    await input.fill('!!!');
    await input.press('Enter');
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe(
      'Invalid tag name "!!!": use letters, digits, - _ . or space.',
    );
    expect(await input.getAttribute('aria-invalid')).toBe('true');

    await input.fill('qa team');
    await input.press('Enter');
    await expect
      .poll(() => alert.textContent())
      .toBe('Tag "qa team" already exists; delete it or pick another name.');
    await saveScreenshot(page, 'tag-manager-rename-error');

    // Escape ends the rename but keeps the dialog open.
    await input.press('Escape');
    await input.waitFor({ state: 'detached' });
    expect(await tagsDialog(page).isVisible()).toBe(true);
    expect(await tagRows(dialog)).toEqual(['ci 1', 'qa team 1', 'shipped 2']);
    await closeTags(page);
    expect(await rowChips(page, /Build failed/)).toEqual(['ci', 'shipped']);
  });

  it('deletes a tag after confirming', async () => {
    const { page } = ui;
    const dialog = await openTags(page);
    await dialog.getByRole('button', { name: 'Delete tag qa team' }).click();
    expect(await dialog.locator('.tag-confirm').textContent()).toContain('Delete from 1 message?');

    await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
    expect(await dialog.locator('.tag-confirm').count()).toBe(0);
    expect(await tagRows(dialog)).toEqual(['ci 1', 'qa team 1', 'shipped 2']);

    await dialog.getByRole('button', { name: 'Delete tag qa team' }).click();
    await dialog.getByRole('button', { name: 'Delete tag', exact: true }).click();
    await expect.poll(() => tagRows(dialog)).toEqual(['ci 1', 'shipped 2']);
    await closeTags(page);
    await expect.poll(() => rowChips(page, /Release notes/)).toEqual(['shipped']);
  });

  it('reloads on live tag events', async () => {
    const { page } = ui;
    const dialog = await openTags(page);
    const row = list(page).getByRole('option', { name: /Password reset/ });
    const id = await row.getAttribute('data-delivery-id');
    expect(id).not.toBeNull();

    // Another client changes the tags while the dialog is open.
    const added = await fetch(`${mailscope.baseUrl}api/mailscope/messages/${id}/tags`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ tags: ['urgent', 'shipped'] }),
    });
    expect(added.status).toBe(200);
    await expect.poll(() => tagRows(dialog)).toEqual(['ci 1', 'shipped 3', 'urgent 1']);

    const deleted = await fetch(`${mailscope.baseUrl}api/mailscope/tags/ci`, {
      method: 'DELETE',
    });
    expect(deleted.status).toBe(204);
    await expect.poll(() => tagRows(dialog)).toEqual(['shipped 3', 'urgent 1']);
    await closeTags(page);
  });
});
