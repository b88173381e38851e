// Functions passed to page.evaluate run in the browser, so these tests use DOM types.
/// <reference lib="dom" />

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { DeliveryPage, DeliverySummary } from '../../src/http/api-types.js';
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

const ROWS = 100_000;

/**
 * Builds `count` synthetic deliveries, newest first. Their `seq` values are negative, so
 * that every real delivery of the test server sorts above them.
 */
function syntheticDeliveries(count: number): DeliverySummary[] {
  const startedAt = Date.UTC(2024, 0, 1);
  const deliveries: DeliverySummary[] = [];
  for (let i = count; i >= 1; i--) {
    deliveries.push({
      id: `synthetic-${i}`,
      seq: i - count - 1,
      sessionId: null,
      state: i % 10 === 0 ? 'aborted' : 'committed',
      startedAt: startedAt + i * 1000,
      endedAt: startedAt + i * 1000 + 5,
      mailFrom: `sender${i}@example.test`,
      recipientCount: 1,
      subject: `Synthetic ${i}`,
      size: 1000 + i,
      abortKind: i % 10 === 0 ? 'client-disconnected' : null,
      abortDetail: i % 10 === 0 ? 'The connection closed before the final dot of DATA.' : null,
      hasMessage: i % 10 !== 0,
      recipientsPreview: [`rcpt${i}@example.test`],
      hasAttachments: i % 7 === 0,
      read: i % 10 === 0 ? null : i % 3 === 0,
      tags: [],
    });
  }
  return deliveries;
}

describe.skipIf(!chromiumAvailable)('delivery list with 100,000 rows', () => {
  let mailscope: Mailscope;
  let ui: UiSession;

  beforeAll(async () => {
    mailscope = await startMailscope();
    const page: DeliveryPage = {
      deliveries: syntheticDeliveries(ROWS),
      nextCursor: null,
      total: ROWS,
    };
    const body = JSON.stringify(page);
    ui = await openUi('about:blank');
    // Only the list request is fulfilled with synthetic rows. Every other request is real.
    await ui.page.route(
      (url) => url.pathname === '/api/mailscope/deliveries',
      (route) => route.fulfill({ status: 200, contentType: 'application/json', body }),
    );
    await ui.page.goto(mailscope.baseUrl);
    await ui.page.getByText('100,000 deliveries').waitFor();
  });

  afterAll(async () => {
    await ui?.close();
    await mailscope?.close();
  });

  it('renders only the rows in view', async () => {
    const options = ui.page.getByRole('listbox', { name: 'Deliveries' }).getByRole('option');
    expect(await options.count()).toBeLessThan(60);
    expect(await options.first().textContent()).toContain('Synthetic 100000');
  });

  it('scrolls to the oldest row smoothly', async () => {
    const listbox = ui.page.getByRole('listbox', { name: 'Deliveries' });
    // Scrolls in 40 steps over the whole list and records the longest gap between frames.
    const longestFrameMs = await listbox.evaluate(async (element) => {
      let longest = 0;
      let previous = performance.now();
      for (let step = 1; step <= 40; step++) {
        element.scrollTop = (element.scrollHeight * step) / 40;
        await new Promise((resolve) => requestAnimationFrame(resolve));
        const now = performance.now();
        longest = Math.max(longest, now - previous);
        previous = now;
      }
      return longest;
    });

    const oldest = listbox.getByRole('option', { name: /Synthetic 1\b(?!\d)/ });
    await oldest.waitFor();
    expect(await listbox.getByRole('option').count()).toBeLessThan(60);
    // A generous bound: a list that rendered every row would take seconds per frame.
    expect(longestFrameMs).toBeLessThan(500);
    await saveScreenshot(ui.page, 'list-100k-bottom');
  });

  it('inserts live mail above 100,000 rows', async () => {
    const listbox = ui.page.getByRole('listbox', { name: 'Deliveries' });
    await listbox.evaluate((element) => (element.scrollTop = 0));
    await smtpTransport(mailscope.smtpPort).sendMail({
      from: 'live@example.test',
      to: 'inbox@example.test',
      subject: 'Live above the crowd',
      text: 'hello',
    });

    await ui.page.getByText('100,001 deliveries').waitFor();
    const first = listbox.getByRole('option').first();
    await expect.poll(() => first.textContent()).toContain('Live above the crowd');
    await saveScreenshot(ui.page, 'list-100k-live');
  });

  it('formats row times by day', async () => {
    const times = ui.page.getByRole('listbox', { name: 'Deliveries' }).locator('time');
    // The expected text comes from the browser's own locale functions, so the check does
    // not depend on the locale that Chromium runs with.
    const [today, older] = await Promise.all(
      [0, 1].map((index) =>
        times.nth(index).evaluate((element) => {
          const at = new Date(element.getAttribute('datetime') as string);
          return {
            text: element.textContent,
            timeOfDay: at.toLocaleTimeString([], {
              hour: '2-digit',
              minute: '2-digit',
              second: '2-digit',
            }),
            dateTime: at.toLocaleString([], {
              year: 'numeric',
              month: 'short',
              day: 'numeric',
              hour: '2-digit',
              minute: '2-digit',
            }),
          };
        }),
      ),
    );
    expect(today?.text).toBe(today?.timeOfDay);
    expect(older?.text).toBe(older?.dateTime);
  });

  it('moves the selection with j', async () => {
    const { page } = ui;
    const selected = () =>
      page
        .getByRole('listbox', { name: 'Deliveries' })
        .getByRole('option', { selected: true })
        .getAttribute('data-delivery-id');
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    expect(await selected()).toBe('synthetic-100000');
  });
});

describe.skipIf(!chromiumAvailable)('delivery list paging', () => {
  const total = 1000;
  const deliveries = syntheticDeliveries(total);
  const served: Array<{ cursor: string | null; nextCursor: string | null }> = [];
  let mailscope: Mailscope;
  let ui: UiSession;

  beforeAll(async () => {
    mailscope = await startMailscope();
    ui = await openUi('about:blank');
    // Serves `deliveries` page by page. A cursor is the index of the next row.
    await ui.page.route(
      (url) => url.pathname === '/api/mailscope/deliveries',
      (route) => {
        const url = new URL(route.request().url());
        const cursor = url.searchParams.get('cursor');
        const limit = Number(url.searchParams.get('limit') ?? '50');
        const start = cursor === null ? 0 : Number(cursor);
        const end = Math.min(total, start + limit);
        const page: DeliveryPage = {
          deliveries: deliveries.slice(start, end),
          nextCursor: end < total ? String(end) : null,
          total,
        };
        served.push({ cursor, nextCursor: page.nextCursor });
        return route.fulfill({
          status: 200,
          contentType: 'application/json',
          body: JSON.stringify(page),
        });
      },
    );
    await ui.page.goto(mailscope.baseUrl);
    await ui.page.getByText('1,000 deliveries').waitFor();
  });

  afterAll(async () => {
    await ui?.close();
    await mailscope?.close();
  });

  it('loads pages by cursor while scrolling', async () => {
    const listbox = ui.page.getByRole('listbox', { name: 'Deliveries' });
    const oldest = listbox.getByRole('option', { name: /Synthetic 1\b(?!\d)/ });
    expect(served).toHaveLength(1);

    for (let attempt = 0; attempt < 20 && !(await oldest.isVisible()); attempt++) {
      await listbox.evaluate((element) => (element.scrollTop = element.scrollHeight));
      await ui.page.waitForTimeout(100);
    }

    expect(await oldest.isVisible()).toBe(true);
    expect(served.length).toBeGreaterThan(1);
    expect(served[0]?.cursor).toBeNull();
    for (let i = 1; i < served.length; i++) {
      expect(served[i]?.cursor, `request ${i}`).toBe(served[i - 1]?.nextCursor);
    }
    expect(served.at(-1)?.nextCursor).toBeNull();
  });
});
