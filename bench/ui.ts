import { existsSync } from 'node:fs';

import { chromium } from 'playwright-core';

const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Names other than the loopback address fail to resolve, so no request leaves the machine.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

export interface UiFigures {
  /** From navigation start until the first list row is in the DOM, in milliseconds. */
  firstRowMs: number;
  /** Rows the list had loaded when scrolling ended (its `aria-setsize`). */
  rowsLoaded: number;
  scrollFrames: number;
  /** Maximum time between two animation frames while scrolling, in milliseconds. */
  longestFrameMs: number;
  /** Frames over 50 ms while scrolling. */
  framesOver50Ms: number;
  /** Long tasks (over 50 ms) that the browser reported while scrolling. */
  longTasks: number;
  scrolledPx: number;
}

/** Scrolling speed of the test: pixels per animation frame. */
const SCROLL_STEP_PX = 1200;
const SCROLL_DURATION_MS = 8000;

/**
 * Opens the inspector at `baseUrl` in headless Chromium, times the first render of the
 * delivery list, then scrolls the list for a few seconds and records the longest frame.
 * Returns null when Chromium is missing.
 */
export async function measureUi(baseUrl: string): Promise<UiFigures | null> {
  if (!existsSync(CHROMIUM_PATH)) return null;
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    // The page records when the first row enters the DOM. Reading performance.now() after
    // waitForSelector adds Playwright's polling and round trips, which measured 170 to
    // 420 ms more at a load average of 6 on 2 cores.
    await page.addInitScript(`
      new MutationObserver((records, observer) => {
        if (document.querySelector('[role="listbox"] [role="option"]') === null) return;
        window.mailscopeFirstRowMs = performance.now();
        observer.disconnect();
      }).observe(document, { childList: true, subtree: true });
    `);
    await page.goto(baseUrl);
    await page.waitForSelector('[role="listbox"] [role="option"]', { timeout: 60_000 });
    const firstRowMs = await page.evaluate('window.mailscopeFirstRowMs');

    // The script is a string because the bench is type-checked without the DOM library.
    const figures = (await page.evaluate(`(async () => {
      const list = document.querySelector('[role="listbox"]');
      const longTasks = [];
      const observer = new PerformanceObserver((entries) => {
        for (const entry of entries.getEntries()) longTasks.push(entry.duration);
      });
      try { observer.observe({ type: 'longtask', buffered: false }); } catch {}
      const deltas = [];
      const started = performance.now();
      let last = started;
      await new Promise((resolve) => {
        const step = (now) => {
          deltas.push(now - last);
          last = now;
          list.scrollTop += ${SCROLL_STEP_PX};
          if (now - started < ${SCROLL_DURATION_MS}) requestAnimationFrame(step);
          else resolve();
        };
        requestAnimationFrame(step);
      });
      observer.disconnect();
      const frames = deltas.slice(1);
      return {
        scrollFrames: frames.length,
        longestFrameMs: Math.max(...frames),
        framesOver50Ms: frames.filter((delta) => delta > 50).length,
        longTasks: longTasks.length,
        scrolledPx: list.scrollTop,
        rowsLoaded: list.querySelectorAll('[role="option"]').length > 0
          ? Number(list.querySelector('[role="option"]').getAttribute('aria-setsize'))
          : 0,
      };
    })()`)) as Omit<UiFigures, 'firstRowMs'>;
    return { firstRowMs: firstRowMs as number, ...figures };
  } finally {
    await browser.close();
  }
}
