// Functions passed to page.evaluate run in the browser, so these tests use DOM types.
/// <reference lib="dom" />

import type { ConsoleMessage, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { DeliveryView } from '../../src/http/api-types.js';
import {
  corpusAvailable,
  corpusEntries,
  CORPUS_DIR,
  CORPUS_SKIP_REASON,
  readCorpusMessage,
} from '../support/corpus.js';
import { SmtpDialogue, toCrlf } from '../support/smtp-dialogue.js';
import {
  chromiumAvailable,
  openUi,
  queuedId,
  SKIP_REASON,
  startMailscope,
  type Mailscope,
  type UiSession,
} from './ui-harness.js';

if (!chromiumAvailable) it.skip(SKIP_REASON, () => {});
if (!corpusAvailable) it.skip(CORPUS_SKIP_REASON, () => {});

/**
 * Tabs of the delivery detail, by their route name, with what each shows once loaded. The
 * timeline is left out: it shows the SMTP trace of this test's own client, which is the
 * same for every message.
 */
const TABS: Array<{ tab: string; ready: string }> = [
  { tab: 'envelope', ready: '#detail-panel.tab-panel-envelope > *' },
  { tab: 'html', ready: '#detail-panel iframe[title="HTML body"]' },
  { tab: 'text', ready: '#detail-panel pre[aria-label="Text body"], #detail-panel > p.muted' },
  { tab: 'headers', ready: '#detail-panel table[aria-label="Headers"]' },
  { tab: 'raw', ready: '#detail-panel pre[aria-label="Raw source"]' },
  { tab: 'mime', ready: '#detail-panel [role="tree"][aria-label="MIME tree"]' },
  { tab: 'attachments', ready: '#detail-panel .attachments-view' },
];

const MARKER = 'untouched';

/** Pages that open messages at the same time, in one browser context. */
const PAGES = 2;

/** Messages per test, so that each test reports its own problems and time. */
const BATCH_SIZE = 25;

/** True for a URL on this machine, which the message views may load from. */
function isLoopbackUrl(url: string): boolean {
  if (url.startsWith('data:') || url.startsWith('about:') || url.startsWith('blob:')) return true;
  const { hostname } = new URL(url);
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
}

/**
 * Console lines in which Chromium reports a load or a script that the message's policy
 * or the frame's sandbox stopped, which is the blocking working.
 */
const REFUSAL_REPORT =
  /violates the following Content Security Policy directive|Blocked script execution in .* because the document's frame is sandboxed/;

/** Tells whether a console line comes from a message's HTML body in the preview frame. */
function isMessageHtml(url: string): boolean {
  return /\/api\/mailscope\/messages\/[^/]+\/html(\?|$)/.test(url);
}

/** What one page did that a message must never make it do, as a list of problems. */
interface PageWatch {
  page: Page;
  /** Returns the problems recorded since the last call, and clears them. */
  take(): Promise<string[]>;
}

/**
 * Opens a page and watches it. The page's own route aborts every request for a host
 * other than this machine's, so nothing leaves, and records it. A request that the
 * browser refused itself because the message's policy forbids it (failure `csp`) never
 * reached the network and is not a problem. Console lines from the message frame that
 * report such refusals (REFUSAL_REPORT) are expected too.
 */
async function watchPage(ui: UiSession, baseUrl: string): Promise<PageWatch> {
  const page = await ui.context.newPage();
  page.setDefaultTimeout(10_000);
  let problems: string[] = [];
  let remote: Request[] = [];

  await page.route(
    (url) => !isLoopbackUrl(url.href),
    (route) => {
      problems.push(`request left for ${route.request().url()}`);
      return route.abort('blockedbyclient');
    },
  );
  page.on('request', (request: Request) => {
    if (!isLoopbackUrl(request.url())) remote.push(request);
  });
  page.on('console', (message: ConsoleMessage) => {
    const where = message.location().url;
    const line = `${message.type()}: ${message.text()} (${where})`;
    if (isMessageHtml(where)) {
      if (!REFUSAL_REPORT.test(message.text())) {
        problems.push(`message frame logged ${line}`);
      }
    } else if (message.type() === 'error') {
      problems.push(`console ${line}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`page error ${error.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`dialog ${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.goto(baseUrl);
  await page.locator('[data-delivery-id]').first().waitFor();
  await page.evaluate((marker) => {
    (window as unknown as { mailscopeMarker: string }).mailscopeMarker = marker;
  }, MARKER);

  return {
    page,
    async take() {
      for (const request of remote) {
        await request.response();
        const failure = request.failure()?.errorText;
        if (failure !== 'csp') {
          problems.push(`request for ${request.url()} was not refused by the policy (${failure})`);
        }
      }
      const marker = await page.evaluate(
        () => (window as unknown as { mailscopeMarker?: string }).mailscopeMarker,
      );
      if (marker !== MARKER) problems.push(`the page's marker is now ${marker}`);
      const taken = problems;
      problems = [];
      remote = [];
      return taken;
    },
  };
}

/**
 * Opens every tab of one delivery on `page` and returns what did not show. The steps run
 * inside the page, one round trip per message: the tab is selected through the URL
 * hash, then the page waits for the tab's content, and on the HTML tab for the frame's
 * load event.
 */
async function openEveryTab(page: Page, id: string, view: DeliveryView): Promise<string[]> {
  const tabs = TABS.filter(({ tab }) => tab !== 'html' || view.message?.htmlUrl !== null);
  return page.evaluate(
    async ({ id, tabs, timeoutMs }) => {
      const problems: string[] = [];
      const sleep = (ms: number): Promise<void> =>
        new Promise((resolve) => setTimeout(resolve, ms));

      for (const { tab, ready } of tabs) {
        let frameLoaded = false;
        const onLoad = (event: Event): void => {
          const target = event.target as Element | null;
          if (target?.matches?.('iframe[title="HTML body"]')) frameLoaded = true;
        };
        // Load events do not bubble, but a capturing listener on the document receives them.
        document.addEventListener('load', onLoad, true);
        window.location.hash = `#/deliveries/${encodeURIComponent(id)}/${tab}`;

        const deadline = performance.now() + timeoutMs;
        const shown = (): boolean =>
          document.querySelector(`#tab-${tab}[aria-selected="true"]`) !== null &&
          document.querySelector(ready) !== null &&
          (tab !== 'html' || frameLoaded);
        while (!shown() && performance.now() < deadline) await sleep(5);
        document.removeEventListener('load', onLoad, true);
        if (!shown()) problems.push(`${tab}: did not show within ${timeoutMs} ms`);

        if (tab === 'html') {
          const sandbox = document
            .querySelector('iframe[title="HTML body"]')
            ?.getAttribute('sandbox');
          if (sandbox == null || sandbox.includes('allow-scripts')) {
            problems.push(`html: the frame's sandbox is "${sandbox}"`);
          }
        }
        for (const alert of Array.from(document.querySelectorAll('#detail-panel [role="alert"]'))) {
          problems.push(`${tab}: ${alert.textContent}`);
        }
      }
      return problems;
    },
    { id, tabs, timeoutMs: 10_000 },
  );
}

async function getDeliveryView(baseUrl: string, id: string): Promise<DeliveryView> {
  const response = await fetch(`${baseUrl}api/mailscope/deliveries/${encodeURIComponent(id)}`);
  return (await response.json()) as DeliveryView;
}

describe.skipIf(!chromiumAvailable || !corpusAvailable)(
  `corpus in the UI from ${CORPUS_DIR}`,
  () => {
    let mailscope: Mailscope;
    let ui: UiSession;
    let watches: PageWatch[] | undefined;
    const sent: Array<{ file: string; id: string }> = [];

    beforeAll(async () => {
      mailscope = await startMailscope();
      const dialogue = await SmtpDialogue.connect(mailscope.smtpPort);
      try {
        await dialogue.command('EHLO corpus.example.test');
        for (const { file } of corpusEntries()) {
          await dialogue.command('MAIL FROM:<corpus@example.test> SMTPUTF8');
          await dialogue.command('RCPT TO:<inbox@example.test>');
          await dialogue.command('DATA');
          const reply = await dialogue.data(toCrlf(readCorpusMessage(file)));
          sent.push({ file, id: queuedId(reply) });
        }
      } finally {
        dialogue.destroy();
      }
      ui = await openUi(mailscope.baseUrl);
    }, 180_000);

    afterAll(async () => {
      await ui?.close();
      await mailscope?.close();
    });

    it('serves HTML bodies with a policy that forbids scripts', async () => {
      let checked = 0;
      for (const { file, id } of sent) {
        const htmlUrl = (await getDeliveryView(mailscope.baseUrl, id)).message?.htmlUrl;
        if (!htmlUrl) continue;
        const response = await fetch(new URL(htmlUrl, mailscope.baseUrl));
        const policy = response.headers.get('content-security-policy') ?? '';
        expect(policy, file).toContain("script-src 'none'");
        expect(policy, file).toContain("default-src 'none'");
        expect(policy, file).toMatch(/; sandbox(?![^;]*allow-scripts)/);
        checked += 1;
      }
      expect(checked).toBeGreaterThan(0);
    });

    const entries = corpusEntries();
    const batches = Array.from({ length: Math.ceil(entries.length / BATCH_SIZE) }, (_, index) => {
      const first = index * BATCH_SIZE;
      const last = Math.min(entries.length, first + BATCH_SIZE);
      return { first, last, range: `${first + 1} to ${last}` };
    });

    it.each(
      batches.map((batch): [string, number, number] => [batch.range, batch.first, batch.last]),
    )(
      'opens messages %s without script, error or remote request',
      async (_range, first, last) => {
        expect(sent.length).toBe(entries.length);
        watches ??= await Promise.all(
          Array.from({ length: PAGES }, () => watchPage(ui, mailscope.baseUrl)),
        );
        const queue = sent.slice(first, last);
        const problems: string[] = [];

        const worker = async (watch: PageWatch): Promise<void> => {
          await watch.take();
          for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
            const view = await getDeliveryView(mailscope.baseUrl, next.id);
            const found =
              view.message === null
                ? ['no visible message']
                : await openEveryTab(watch.page, next.id, view);
            found.push(...(await watch.take()));
            problems.push(...found.map((problem) => `${next?.file}: ${problem}`));
          }
        };
        await Promise.all(watches.map(worker));

        expect(problems).toEqual([]);
      },
      120_000,
    );
  },
);
