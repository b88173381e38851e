// Functions passed to page.evaluate run in the browser, so these tests use DOM types.
/// <reference lib="dom" />

import { readFile } from 'node:fs/promises';

import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  chromiumAvailable,
  openUi,
  queuedId,
  saveScreenshot,
  sendRaw,
  SKIP_REASON,
  smtpTransport,
  startMailscope,
  type Mailscope,
  type UiSession,
} from './ui-harness.js';

if (!chromiumAvailable) it.skip(SKIP_REASON, () => {});

const ATTACHMENT = Buffer.from('id,amount\n1,9.99\n2,<b>19.99</b>\n');

function detail(page: Page): Locator {
  return page.getByRole('article', { name: 'Delivery detail' });
}

async function openTab(page: Page, name: string): Promise<Locator> {
  await detail(page).getByRole('tab', { name }).click();
  await detail(page).getByRole('tab', { name, selected: true }).waitFor();
  return detail(page).getByRole('tabpanel');
}

describe.skipIf(!chromiumAvailable)('delivery detail', () => {
  let mailscope: Mailscope;
  let ui: UiSession;
  let id: string;

  beforeAll(async () => {
    // A low recipient limit makes the server reject recipients, so the envelope shows both.
    mailscope = await startMailscope(['--max-recipients', '12']);
    ui = await openUi(mailscope.baseUrl);
    await ui.page.getByText('No mail yet.').waitFor();

    // The Bcc case: three RCPT TO, but only To and Cc headers, as a Bcc sender does it.
    const info = await smtpTransport(mailscope.smtpPort).sendMail({
      envelope: {
        from: 'a@example.test',
        to: ['to@example.test', 'cc@example.test', 'hidden@example.test'],
      },
      from: 'Sender <a@example.test>',
      to: 'to@example.test',
      cc: 'cc@example.test',
      subject: 'Quarterly <report> & "figures"',
      text: 'Plain body with <script>alert("text")</script> kept as text.',
      html: '<h1>Hello from the HTML part</h1><p>Figures are attached.</p>',
      attachments: [{ filename: 'report.csv', content: ATTACHMENT, contentType: 'text/csv' }],
    });
    id = queuedId(info.response);
    await ui.page.locator(`[data-delivery-id="${id}"]`).click();
    await detail(ui.page).waitFor();
  });

  afterAll(async () => {
    await ui?.close();
    await mailscope?.close();
  });

  it('opens on the sandboxed HTML body', async () => {
    const { page } = ui;
    expect(await page.evaluate(() => window.location.hash)).toBe(`#/deliveries/${id}`);
    expect(await detail(page).getByRole('heading', { level: 2 }).textContent()).toBe(
      'Quarterly <report> & "figures"',
    );

    const frameElement = page.locator('iframe[title="HTML body"]');
    expect(await frameElement.getAttribute('sandbox')).toBe(
      'allow-popups allow-popups-to-escape-sandbox',
    );
    const frame = page.frameLocator('iframe[title="HTML body"]');
    await frame.getByRole('heading', { name: 'Hello from the HTML part' }).waitFor();
    await saveScreenshot(page, 'detail-html');
  });

  it('loads remote content on request', async () => {
    const { page } = ui;
    const frameElement = page.locator('iframe[title="HTML body"]');
    expect(await frameElement.getAttribute('src')).toBe(`api/mailscope/messages/${id}/html`);

    await detail(page).getByRole('button', { name: 'Load remote content' }).click();
    await expect
      .poll(() => frameElement.getAttribute('src'))
      .toBe(`api/mailscope/messages/${id}/html?remote=1`);
    await detail(page).getByText('Remote content is loaded for this message.').waitFor();
  });

  it('marks the envelope-only Bcc recipient', async () => {
    const { page } = ui;
    const panel = await openTab(page, 'Envelope');
    expect(await panel.locator('.mail-from').textContent()).toBe('a@example.test');

    const table = panel.getByRole('table', { name: /RCPT TO/ });
    const rowOf = (address: string) => table.getByRole('row').filter({ hasText: address });
    for (const address of ['to@example.test', 'cc@example.test', 'hidden@example.test']) {
      expect(await rowOf(address).textContent(), address).toContain('accepted');
    }
    expect(await rowOf('hidden@example.test').textContent()).toContain('Bcc');
    expect(await rowOf('to@example.test').textContent()).not.toContain('Bcc');
    expect(await rowOf('cc@example.test').textContent()).not.toContain('Bcc');

    const connection = panel.getByRole('region', { name: 'Connection' });
    const connectionText = await connection.textContent();
    expect(connectionText).toContain('Client address127.0.0.1:');
    expect(connectionText).toContain('ProtocolESMTP');
    expect(connectionText).toContain('TLSnot used');
    await saveScreenshot(page, 'detail-envelope');
  });

  it('shows the timeline and transcript', async () => {
    const { page } = ui;
    const panel = await openTab(page, 'Timeline');
    const steps = panel.getByRole('list', { name: 'Timeline' }).getByRole('listitem');
    const labels = await steps.locator('.step-label').allTextContents();
    expect(labels).toEqual([
      'started',
      'recipient accepted',
      'recipient accepted',
      'recipient accepted',
      'body received',
      'committed',
    ]);
    expect(await steps.last().textContent()).toMatch(/^\+\d+ mscommitted250 /);

    const transcript = panel.getByRole('list', { name: 'SMTP session transcript' });
    expect(await transcript.textContent()).toContain('C:MAIL FROM:<a@example.test>');
    await saveScreenshot(page, 'detail-timeline');
  });

  it('lists headers and the raw block', async () => {
    const { page } = ui;
    const panel = await openTab(page, 'Headers');
    const nameCells = panel.getByRole('table', { name: 'Headers' }).locator('tbody th');
    await nameCells.first().waitFor();
    const names = await nameCells.allTextContents();
    expect(names).toContain('To');
    expect(names).toContain('Cc');
    expect(names.map((name) => name.toLowerCase())).not.toContain('bcc');
    const valueHeading = panel.getByRole('columnheader', { name: 'Value' });
    expect(await valueHeading.evaluate((element) => getComputedStyle(element).whiteSpace)).toBe(
      'normal',
    );
    const nameWidth = await panel.getByRole('columnheader', { name: 'Name' }).boundingBox();
    const valueWidth = await valueHeading.boundingBox();
    expect(valueWidth!.width).toBeGreaterThan(nameWidth!.width * 3);
    const subjectRow = panel.getByRole('row').filter({ hasText: /^Subject/ });
    expect(await subjectRow.locator('td').textContent()).toBe('Quarterly <report> & "figures"');

    const raw = await readRaw(mailscope, id);
    const rawNames = [...raw.split(/\r\n\r\n/)[0]!.matchAll(/^([^\s:]+):/gm)].map((m) => m[1]);
    expect(names).toEqual(rawNames);

    await panel.getByRole('button', { name: 'Show raw header block' }).click();
    const block = await panel.getByLabel('Raw header block').textContent();
    expect(block).toBe(raw.split('\r\n\r\n')[0]);
    await saveScreenshot(page, 'detail-headers-raw');
  });

  it('shows the text body as text', async () => {
    const { page } = ui;
    const panel = await openTab(page, 'Text');
    expect(await panel.getByLabel('Text body').textContent()).toContain(
      'Plain body with <script>alert("text")</script> kept as text.',
    );
    expect(await page.locator('script:not([src])').count()).toBe(0);
  });

  it('shows raw source and MIME tree', async () => {
    const { page } = ui;
    const raw = await openTab(page, 'Raw');
    expect(await raw.getByLabel('Raw source').textContent()).toContain(
      await readRaw(mailscope, id),
    );

    const mime = await openTab(page, 'MIME tree');
    const tree = mime.getByRole('tree', { name: 'MIME tree' });
    const text = await tree.textContent();
    expect(text).toContain('multipart/mixed');
    expect(text).toContain('text/plain');
    expect(text).toContain('text/html');
    expect(text).toContain('text/csv');
    expect(text).toContain('attachment');
    await saveScreenshot(page, 'detail-mime');
  });

  it('downloads an attachment under its name', async () => {
    const { page } = ui;
    const panel = await openTab(page, 'Attachments (1)');
    const link = panel.getByRole('link', { name: 'report.csv' });

    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('report.csv');
    const file = await download.path();
    expect(await readFile(file)).toEqual(ATTACHMENT);
  });

  it('toggles the read state', async () => {
    const { page } = ui;
    const row = page.locator(`[data-delivery-id="${id}"]`);
    await expect.poll(() => page.title()).toBe('Mailscope');

    await detail(page).getByRole('button', { name: 'Mark unread' }).click();
    await expect.poll(() => page.title()).toBe('(1) Mailscope');
    await expect.poll(() => row.textContent()).toContain('Unread');

    await detail(page).getByRole('button', { name: 'Mark read' }).click();
    await expect.poll(() => page.title()).toBe('Mailscope');
    await expect.poll(() => row.textContent()).not.toContain('Unread');
  });

  it('copies an address to the clipboard', async () => {
    const { page, context } = ui;
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await detail(page)
      .getByRole('button', { name: 'Copy address to@example.test' })
      .first()
      .click();
    await expect
      .poll(() => page.evaluate(() => navigator.clipboard.readText()))
      .toBe('to@example.test');
  });

  it('follows a dark colour scheme', async () => {
    const { page } = ui;
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await background()).toBe('rgb(255, 255, 255)');

    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await background()).toBe('rgb(20, 23, 28)');
    await openTab(page, 'Envelope');
    await saveScreenshot(page, 'detail-envelope-dark');
    await openTab(page, 'HTML');
    await saveScreenshot(page, 'detail-html-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('shows a long mixed recipient list', async () => {
    const { page } = ui;
    const recipients = Array.from({ length: 14 }, (_, i) => `r${i + 1}@example.test`);
    const message = Buffer.from(
      'From: a@example.test\r\nTo: r1@example.test\r\nSubject: Many recipients\r\n\r\nhi\r\n',
    );
    const manyId = await sendRaw(
      mailscope.smtpPort,
      'a@example.test',
      ['r1@example.test', ...recipients],
      message,
    );
    await page.locator(`[data-delivery-id="${manyId}"]`).click();
    const panel = await openTab(page, 'Envelope');
    const table = panel.getByRole('table', { name: /RCPT TO/ });

    expect(await table.locator('tbody tr').count()).toBe(10);
    expect(await table.locator('tbody tr').nth(1).textContent()).toContain('duplicate');
    await panel.getByRole('button', { name: 'Show all 15' }).click();
    expect(await table.locator('tbody tr').count()).toBe(15);
    const last = await table.locator('tbody tr').last().textContent();
    expect(last).toContain('r14@example.test');
    expect(last).toContain('rejected');
    expect(last).toMatch(/452 /);
    const facts = detail(page).locator('.detail-facts');
    expect(await facts.textContent()).toMatch(
      / → 12 accepted recipients, 11 Bcc, 2 rejected, 1 duplicate/,
    );
    await saveScreenshot(page, 'detail-many-recipients');
  });

  it('fetches the detail once on open', async () => {
    const { page } = ui;
    const info = await smtpTransport(mailscope.smtpPort).sendMail({
      from: 'a@example.test',
      to: 'to@example.test',
      subject: 'Fetched once',
      text: 'x',
    });
    const onceId = queuedId(info.response);
    const requests: string[] = [];
    const detailPath = `/api/mailscope/deliveries/${onceId}`;
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === detailPath) requests.push(request.method());
    });

    const row = page.locator(`[data-delivery-id="${onceId}"]`);
    await row.click();
    await detail(page).getByRole('button', { name: 'Mark unread' }).waitFor();
    await expect.poll(() => row.textContent()).not.toContain('Unread');
    // Live events arrive in 40 ms batches, so 300 ms leaves time for a refetch to start.
    await page.waitForTimeout(300);
    expect(requests).toEqual(['GET']);
  });

  it('retries a failed detail fetch', async () => {
    const { page, context } = ui;
    const info = await smtpTransport(mailscope.smtpPort).sendMail({
      from: 'a@example.test',
      to: 'to@example.test',
      subject: 'Retry me',
      text: 'x',
    });
    const retryId = queuedId(info.response);
    const detailUrl = `${mailscope.baseUrl}api/mailscope/deliveries/${retryId}`;
    await context.route(detailUrl, (route) => route.abort('connectionrefused'));

    await page.locator(`[data-delivery-id="${retryId}"]`).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Could not load this delivery' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Mailscope did not respond');

    await context.unroute(detailUrl);
    await alert.getByRole('button', { name: 'Retry' }).click();
    await detail(page).getByRole('heading', { name: 'Retry me' }).waitFor();
  });

  it('cuts a long text body', async () => {
    const { page } = ui;
    const line = `${'x'.repeat(98)}\r\n`;
    const body = line.repeat(21_000);
    const message = Buffer.from(
      `From: a@example.test\r\nTo: to@example.test\r\nSubject: Long text\r\n\r\n${body}`,
    );
    const longId = await sendRaw(
      mailscope.smtpPort,
      'a@example.test',
      ['to@example.test'],
      message,
    );
    await page.locator(`[data-delivery-id="${longId}"]`).click();
    const panel = await openTab(page, 'Text');

    const note = panel.getByRole('note');
    expect(await note.textContent()).toContain('Showing the first 2,000,000 of');
    expect(
      await note.getByRole('link', { name: 'Download the raw source' }).getAttribute('href'),
    ).toBe(`api/mailscope/messages/${longId}/raw?download=1`);
    const shown = await panel
      .getByLabel('Text body')
      .evaluate((element) => element.textContent?.length);
    expect(shown).toBe(2_000_000);
  });

  it('shows a banner for parse warnings', async () => {
    const { page } = ui;
    const message = Buffer.from(
      'From sender@example.test Mon Jan  1 00:00:00 2024\r\n' +
        'From: a@example.test\r\nTo: to@example.test\r\nSubject: Repaired\r\n\r\nhi\r\n',
    );
    const warnedId = await sendRaw(
      mailscope.smtpPort,
      'a@example.test',
      ['to@example.test'],
      message,
    );
    await page.locator(`[data-delivery-id="${warnedId}"]`).click();
    const banner = detail(page).locator('.warning-banner');
    await banner.waitFor();
    expect(await banner.textContent()).toMatch(
      /^Mailscope repaired this message while reading it: \d+ warnings? — see Envelope$/,
    );

    await banner.getByRole('button', { name: 'see Envelope' }).click();
    await detail(page).getByRole('tab', { name: 'Envelope', selected: true }).waitFor();
    expect(
      await detail(page).getByRole('region', { name: 'Parse warnings' }).textContent(),
    ).toContain('mbox "From " line');
  });
});

async function readRaw(mailscope: Mailscope, id: string): Promise<string> {
  const response = await fetch(`${mailscope.baseUrl}api/mailscope/messages/${id}/raw`);
  return response.text();
}
