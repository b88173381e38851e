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

describe.skipIf(!chromiumAvailable)('search and tags', () => {
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
      from: 'Cron <cron@example.test>',
      to: 'dev+nightly@example.test',
      subject: 'Nightly report',
      text: 'All jobs passed.',
    });
    await transport.sendMail({
      from: 'App <app@example.test>',
      to: 'user@example.test',
      subject: 'Password reset',
      text: 'Click the link.',
      headers: { 'X-Test-Run': '7f3a9c2e51' },
    });
    ui = await openUi(mailscope.baseUrl);
    await list(ui.page).getByRole('option').nth(2).waitFor();
  });

  afterAll(async () => {
    await ui?.close();
    await mailscope?.close();
  });

  it('shows the syntax hint', async () => {
    const hint = await ui.page.locator('#search-syntax').textContent();
    expect(hint).toContain('tag:');
    expect(hint).toContain('is:unread');
    expect(await searchBox(ui.page).getAttribute('title')).toContain('has:attachment');
  });

  it('shows tags as chips on rows', async () => {
    const row = list(ui.page).getByRole('option', { name: /Release notes/ });
    expect(await row.locator('.tag-chip').allTextContents()).toEqual(['qa team', 'release']);
    const nightly = list(ui.page).getByRole('option', { name: /Nightly report/ });
    expect(await nightly.locator('.tag-chip').allTextContents()).toEqual(['nightly']);
  });

  it('searches with the search language', async () => {
    const { page } = ui;
    await searchBox(page).fill('7f3a9c2e51');
    await expect.poll(() => list(page).getByRole('option').count()).toBe(1);
    expect(await list(page).getByRole('option').textContent()).toContain('Password reset');
    expect(await page.locator('.list-status').textContent()).toContain('1 delivery');

    await searchBox(page).fill('-tag:release from:example.test');
    await expect.poll(() => list(page).getByRole('option').count()).toBe(2);

    await searchBox(page).fill('');
    await expect.poll(() => list(page).getByRole('option').count()).toBe(3);
  });

  it('filters by a clicked tag', async () => {
    const { page } = ui;
    const row = list(page).getByRole('option', { name: /Release notes/ });
    await row.getByRole('button', { name: 'qa team' }).click();

    await expect.poll(() => searchBox(page).inputValue()).toBe('tag:"qa team"');
    await expect.poll(() => list(page).getByRole('option').count()).toBe(1);
    expect(await list(page).getByRole('option').textContent()).toContain('Release notes');
    await saveScreenshot(page, 'search-tag-filter');

    await searchBox(page).fill('');
    await expect.poll(() => list(page).getByRole('option').count()).toBe(3);
  });

  it('adds and removes tags in the detail', async () => {
    const { page } = ui;
    await list(page)
      .getByRole('option', { name: /Password reset/ })
      .click();
    const detail = page.getByRole('article', { name: 'Delivery detail' });
    await detail.getByRole('textbox', { name: 'Add tags' }).fill('flagged, needs review');
    await detail.getByRole('textbox', { name: 'Add tags' }).press('Enter');

    const removeFlagged = detail.getByRole('button', { name: 'Remove tag flagged' });
    await removeFlagged.waitFor();
    const row = list(page).getByRole('option', { name: /Password reset/ });
    await expect
      .poll(() => row.locator('.tag-chip').allTextContents())
      .toEqual(['flagged', 'needs review']);
    await saveScreenshot(page, 'search-tag-editor');

    await removeFlagged.click();
    await detail.getByRole('button', { name: 'Remove tag flagged' }).waitFor({ state: 'detached' });
    await expect.poll(() => row.locator('.tag-chip').allTextContents()).toEqual(['needs review']);

    await detail.getByRole('button', { name: 'needs review', exact: true }).click();
    await expect.poll(() => searchBox(page).inputValue()).toBe('tag:"needs review"');
    await expect.poll(() => list(page).getByRole('option').count()).toBe(1);
  });

  it('keeps long tags inside the panes', async () => {
    const { page } = ui;
    await searchBox(page).fill('');
    await expect.poll(() => list(page).getByRole('option').count()).toBe(3);
    const row = list(page).getByRole('option', { name: /Nightly report/ });
    await row.click();
    const id = await row.getAttribute('data-delivery-id');
    expect(id).not.toBeNull();
    const longTag = `long ${'w'.repeat(95)}`;
    const added = await fetch(`${mailscope.baseUrl}api/mailscope/messages/${id}/tags`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ tags: [longTag] }),
    });
    expect(added.status).toBe(200);

    const rowChip = row.locator('.tag-chip', { hasText: 'long' });
    await rowChip.waitFor();
    expect((await rowChip.boundingBox())!.width).toBeLessThanOrEqual(161);

    // A narrow window, so that the detail pane is narrower than the chip of a 100-char tag.
    await page.setViewportSize({ width: 800, height: 900 });
    const detail = page.getByRole('article', { name: 'Delivery detail' });
    const chip = detail.getByRole('button', { name: longTag, exact: true });
    await chip.waitFor();
    const chipBox = await chip.boundingBox();
    const detailBox = await detail.boundingBox();
    expect(chipBox).not.toBeNull();
    expect(detailBox).not.toBeNull();
    expect(chipBox!.x + chipBox!.width).toBeLessThanOrEqual(detailBox!.x + detailBox!.width);
    expect(await detail.evaluate((element) => element.scrollWidth - element.clientWidth)).toBe(0);
    await saveScreenshot(page, 'search-long-tag');
    await page.setViewportSize({ width: 1400, height: 900 });
  });
});
