// Functions passed to page.evaluate run in the browser, so these tests use DOM types.
/// <reference lib="dom" />

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Frame, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  chromiumAvailable,
  composeMessage,
  openUi,
  saveScreenshot,
  sendRaw,
  SKIP_REASON,
  startMailscope,
  type Mailscope,
  type UiSession,
} from './ui-harness.js';

if (!chromiumAvailable) it.skip(SKIP_REASON, () => {});

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

function detail(page: Page): Locator {
  return page.getByRole('article', { name: 'Delivery detail' });
}

async function openDelivery(page: Page, id: string, tab: string): Promise<Locator> {
  await page.locator(`[data-delivery-id="${id}"]`).click();
  await detail(page).getByRole('tab', { name: tab }).click();
  await detail(page).getByRole('tab', { name: tab, selected: true }).waitFor();
  return detail(page).getByRole('tabpanel');
}

/** Returns the frame of the HTML preview once it has loaded its document. */
async function htmlFrame(page: Page): Promise<Frame> {
  const element = await page.waitForSelector('iframe[title="HTML body"]');
  const frame = await element.contentFrame();
  if (frame === null) throw new Error('the HTML preview has no frame');
  await frame.waitForLoadState('load');
  return frame;
}

/** Returns the UTF-8 `filename*` of a Content-Disposition value, decoded. */
function offeredName(contentDisposition: string | null): string | null {
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(contentDisposition ?? '')?.[1];
  return encoded === undefined ? null : decodeURIComponent(encoded);
}

async function countDeliveries(mailscope: Mailscope): Promise<number> {
  const response = await fetch(`${mailscope.baseUrl}api/mailscope/counts`);
  const counts = (await response.json()) as { deliveries: number };
  return counts.deliveries;
}

describe.skipIf(!chromiumAvailable)('message content safety', () => {
  let mailscope: Mailscope;
  let ui: UiSession;

  beforeAll(async () => {
    mailscope = await startMailscope();
    ui = await openUi(mailscope.baseUrl);
    await ui.page.getByText('No mail yet.').waitFor();
    await ui.page.evaluate(() => {
      (window as unknown as { mailscopeMarker: string }).mailscopeMarker = 'untouched';
    });
  });

  afterAll(async () => {
    await ui?.close();
    await mailscope?.close();
  });

  it('runs no script from an HTML body', async () => {
    const { page, record } = ui;
    const html = [
      '<p id="visible">XSS sample</p>',
      '<script>console.log("mailscope-xss-script"); top.mailscopeMarker = "script";',
      'window.mailscopeFrameFlag = 1; parent.document.body.innerHTML = "";</script>',
      '<svg onload="console.log(\'mailscope-xss-svg\'); alert(document.title)"></svg>',
      `<img src="x" onerror="console.log('mailscope-xss-img'); fetch('/api/mailscope/messages',{method:'DELETE'})">`,
      '<a id="js-link" href="javascript:console.log(\'mailscope-xss-link\')">click me</a>',
      '<meta http-equiv="refresh" content="0;url=http://attacker.example.test/">',
      '<base href="http://attacker.example.test/">',
    ].join('\n');
    const message = await composeMessage({
      from: 'attacker@example.test',
      to: 'victim@example.test',
      subject: 'XSS in the HTML body',
      html,
    });
    const id = await sendRaw(
      mailscope.smtpPort,
      'attacker@example.test',
      ['victim@example.test'],
      message,
    );
    const before = await countDeliveries(mailscope);

    await openDelivery(page, id, 'HTML');
    const frame = await htmlFrame(page);
    await frame.locator('#visible').waitFor();
    await frame.locator('#js-link').click();
    await page.waitForTimeout(500);
    await saveScreenshot(page, 'safety-html-xss');

    expect(record.dialogs).toEqual([]);
    expect(record.console.filter((line) => line.includes('mailscope-xss'))).toEqual([]);
    expect(
      await page.evaluate(() => (window as unknown as { mailscopeMarker: string }).mailscopeMarker),
    ).toBe('untouched');
    expect(await frame.evaluate(() => 'mailscopeFrameFlag' in window)).toBe(false);
    expect(await page.evaluate(() => window.location.href)).toBe(
      `${mailscope.baseUrl}#/deliveries/${id}/html`,
    );
    expect(await countDeliveries(mailscope)).toBe(before);
    expect(frame.url()).toMatch(/\/api\/mailscope\/messages\/[^/]+\/html$/);
    expect(record.blockedRequests).toEqual([]);
    expect(await page.getByRole('heading', { name: 'Mailscope' }).isVisible()).toBe(true);
  });

  it('keeps HTML body CSS in its frame', async () => {
    const { page } = ui;
    const message = await composeMessage({
      from: 'styles@example.test',
      to: 'victim@example.test',
      subject: 'CSS that hides everything',
      html: '<style>body,*{display:none!important}</style><p>hidden text</p>',
    });
    const id = await sendRaw(
      mailscope.smtpPort,
      'styles@example.test',
      ['victim@example.test'],
      message,
    );
    const search = page.getByRole('searchbox', { name: 'Search deliveries' });
    const boxBefore = await search.boundingBox();

    await openDelivery(page, id, 'HTML');
    const frame = await htmlFrame(page);
    await saveScreenshot(page, 'safety-css-isolation');

    expect(await frame.locator('p').isVisible()).toBe(false);
    expect(await page.getByRole('heading', { name: 'Mailscope' }).isVisible()).toBe(true);
    expect(await search.isVisible()).toBe(true);
    expect(await search.boundingBox()).toEqual(boxBefore);
    expect(await page.getByRole('listbox', { name: 'Deliveries' }).isVisible()).toBe(true);
    expect(await detail(page).getByRole('heading', { level: 2 }).isVisible()).toBe(true);
    expect(await page.evaluate(() => getComputedStyle(document.body).display)).toBe('block');
  });

  it('shows a quoted URL as text', async () => {
    const { page, record } = ui;
    const line = 'see http://example.test/?a="onmouseover="alert(document.cookie)" ok';
    const message = Buffer.from(
      [
        'From: a@example.test',
        'To: b@example.test',
        'Subject: Linkifier XSS',
        'Content-Type: text/plain; charset=utf-8',
        '',
        line,
        '',
      ].join('\r\n'),
    );
    const id = await sendRaw(mailscope.smtpPort, 'a@example.test', ['b@example.test'], message);

    const panel = await openDelivery(page, id, 'Text');
    const body = panel.getByLabel('Text body');
    expect(await body.textContent()).toContain(line);
    expect(await body.locator('a').count()).toBe(0);
    await body.hover();
    await page.waitForTimeout(200);
    expect(await page.locator('[onmouseover]').count()).toBe(0);
    expect(record.dialogs).toEqual([]);
  });

  const cidVariants = [
    { fixture: 'cid-image-inline.eml', attachments: [] },
    { fixture: 'cid-image-attachment.eml', attachments: [] },
    { fixture: 'cid-image-no-disposition.eml', attachments: [] },
    { fixture: 'cid-image-case-mismatch.eml', attachments: [] },
    { fixture: 'cid-image-unreferenced.eml', attachments: ['spare.png'] },
  ];
  for (const variant of cidVariants) {
    it(`renders the cid image of ${variant.fixture}`, async () => {
      const { page } = ui;
      const source = await readFile(path.join(fixtures, variant.fixture), 'latin1');
      const message = Buffer.from(
        source.replace('Subject: Logo inside', `Subject: Logo from ${variant.fixture}`),
        'latin1',
      );
      const id = await sendRaw(mailscope.smtpPort, 'a@example.test', ['b@example.test'], message);

      await openDelivery(page, id, 'HTML');
      const frame = await htmlFrame(page);
      const image = frame.locator('img[alt="logo"]');
      await image.waitFor();
      await expect
        .poll(() =>
          image.evaluate((element: HTMLImageElement) => element.complete && element.naturalWidth),
        )
        .toBeGreaterThan(0);

      const attachments = await openDelivery(
        page,
        id,
        `Attachments (${variant.attachments.length})`,
      );
      const names = await attachments
        .getByRole('list', { name: 'Attachments' })
        .getByRole('link')
        .allTextContents();
      expect(names).toEqual(variant.attachments);
    });
  }

  it('downloads attachments under their names', async () => {
    const { page } = ui;
    // `saved` is the name with path separators replaced, as the server offers it.
    // `browserSaved` is what Chromium then saves: Chromium 156 on Debian replaces `?`
    // in every download name by itself.
    const files = [
      { name: 'report #1 (final).txt', saved: 'report #1 (final).txt' },
      { name: 'a?b=c.txt', saved: 'a?b=c.txt', browserSaved: 'a_b=c.txt' },
      { name: '100%.txt', saved: '100%.txt' },
      { name: 'ä ö ü.txt', saved: 'ä ö ü.txt' },
      { name: 'sub/dir\\name.txt', saved: 'sub_dir_name.txt' },
    ];
    const message = await composeMessage({
      from: 'a@example.test',
      to: 'b@example.test',
      subject: 'Awkward file names',
      text: 'see the attachments',
      attachments: files.map((file, index) => ({
        filename: file.name,
        content: `content of file ${index}\n`,
        contentType: 'text/plain',
      })),
    });
    const id = await sendRaw(mailscope.smtpPort, 'a@example.test', ['b@example.test'], message);

    const panel = await openDelivery(page, id, `Attachments (${files.length})`);
    await saveScreenshot(page, 'safety-file-names');
    const list = panel.getByRole('list', { name: 'Attachments' });
    for (const [index, file] of files.entries()) {
      const link = list.getByRole('link', { name: file.name, exact: true });
      const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
      expect(download.suggestedFilename(), file.name).toBe(file.browserSaved ?? file.saved);
      const content = await readFile(await download.path(), 'utf8');
      expect(content, file.name).toBe(`content of file ${index}\n`);

      const response = await fetch(
        new URL((await link.getAttribute('href')) ?? '', mailscope.baseUrl),
      );
      expect(offeredName(response.headers.get('content-disposition')), file.name).toBe(file.saved);
    }
  });
});
