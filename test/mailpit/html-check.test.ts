import { MailpitClient, type MailpitHTMLCheckResponse } from 'mailpit-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { checkHtml } from '../../src/http/mailpit/html-check.js';
import { startMailscope, type Mailscope } from './helpers.js';

let mailscope: Mailscope;
let client: MailpitClient;

beforeAll(async () => {
  mailscope = await startMailscope();
  client = new MailpitClient(mailscope.base);
});

afterAll(async () => {
  await mailscope?.close();
});

/** A newsletter-style message that uses features with poor email client support. */
const modernHtml = `<!DOCTYPE html>
<html>
<head>
<style>
  @media (max-width: 600px) { .columns { display: block; } }
  .grid { display: grid; grid-template-columns: 1fr 1fr; }
  a:hover { color: red; }
</style>
</head>
<body>
  <div class="columns" style="display: flex; align-items: center">
    <p>Watch the launch</p>
    <video src="https://example.test/launch.mp4" controls></video>
  </div>
  <div class="grid"><span>One</span><span>Two</span></div>
  <script>track()</script>
</body>
</html>`;

const plainHtml =
  '<p>Hello <a href="https://example.test/">there</a>, <strong>thanks</strong>.</p>';

/** The parts of a report that both the mailpit-api type and Mailscope's own type share. */
type Report = Pick<MailpitHTMLCheckResponse, 'Total'> & { Warnings: { Slug: string }[] };

function warningSlugs(report: Report): string[] {
  return report.Warnings.map((warning) => warning.Slug);
}

function expectTotalsAddUp(report: Report): void {
  const { Supported, Partial, Unsupported } = report.Total;
  expect(Supported + Partial + Unsupported).toBeCloseTo(100, 6);
  for (const value of [Supported, Partial, Unsupported]) {
    expect(value).toBeGreaterThanOrEqual(0);
    expect(value).toBeLessThanOrEqual(100);
  }
}

describe('html-check endpoint', () => {
  it('reports modern features', async () => {
    const id = await mailscope.send({
      from: 'news@example.test',
      to: 'reader@example.test',
      subject: 'modern',
      html: modernHtml,
    });
    const report = await client.htmlCheck(id);
    const slugs = warningSlugs(report);

    expect(slugs).toContain('html-style');
    expect(slugs).toContain('css-display-flex');
    expect(slugs).toContain('css-display-grid');
    expect(slugs).toContain('html-video');
    expect(slugs).toContain('css-at-media');
    expect(slugs).toContain('css-pseudo-class-hover');
    expect(slugs).toContain('html-script');

    const titles = Object.fromEntries(report.Warnings.map((w) => [w.Slug, w.Title]));
    expect(titles['html-style']).toBe('<style> element');
    expect(titles['css-display-flex']).toBe('display:flex');
    expect(titles['css-display-grid']).toBe('display:grid');
    expect(titles['html-video']).toBe('<video> element');
    expect(titles['html-script']).toBe('<script> element');

    // Two <div>, two <span>, <p>, <video>, <body>, <style> and <script>. The html and head
    // elements are not counted.
    expect(report.Total.Nodes).toBe(9);
    expect(report.Total.Tests).toBeGreaterThan(250);
    expect(report.Total.Unsupported).toBeGreaterThan(0);
    expect(report.Total.Supported).toBeLessThan(100);
    expectTotalsAddUp(report);
  });

  it('reports client results', async () => {
    const id = await mailscope.send({
      from: 'news@example.test',
      to: 'reader@example.test',
      subject: 'video',
      html: '<p>Clip</p><video src="https://example.test/a.mp4"></video>',
    });
    const report = await client.htmlCheck(id);
    const video = report.Warnings.find((warning) => warning.Slug === 'html-video');
    if (video === undefined) throw new Error('html-video warning missing');

    expect(video.Category).toBe('html');
    expect(video.URL).toBe('https://www.caniemail.com/features/html-video/');
    expect(video.Score.Found).toBe(1);
    expect(video.Score.Supported + video.Score.Partial + video.Score.Unsupported).toBeCloseTo(
      100,
      6,
    );
    const outlook2016 = video.Results.find(
      (result) =>
        result.Family === 'outlook' && result.Platform === 'windows' && result.Version === '2016',
    );
    expect(outlook2016?.Support).toBe('no');
    expect(outlook2016?.Name).toBe('Outlook Windows (2016)');
    const apple = video.Results.find(
      (result) => result.Family === 'apple-mail' && result.Platform === 'macos',
    );
    expect(apple?.Support).toBe('yes');
    for (const result of video.Results) {
      expect(['yes', 'no', 'partial']).toContain(result.Support);
      if (result.NoteNumber !== '') expect(video.NotesByNumber[result.NoteNumber]).toBeTruthy();
    }
    expect(report.Platforms.windows).toContain('Outlook');
    expect(report.Platforms.ios).toContain('Apple Mail');
  });

  it('passes a plain message', async () => {
    const id = await mailscope.send({
      from: 'a@example.test',
      to: 'b@example.test',
      subject: 'plain',
      html: plainHtml,
    });
    const report = await client.htmlCheck(id);

    expect(report.Warnings).toEqual([]);
    expect(report.Total.Nodes).toBe(3);
    expect(report.Total.Supported).toBe(100);
    expect(report.Total.Partial).toBe(0);
    expect(report.Total.Unsupported).toBe(0);
    expect(Object.keys(report.Platforms).length).toBeGreaterThan(3);
  });
});

describe('checkHtml', () => {
  it('reads style blocks and inline styles', () => {
    const fromBlock = checkHtml('<style>.a { display: inline-flex }</style><div class="a">x</div>');
    const fromAttribute = checkHtml('<div style="DISPLAY: Flex">x</div>');

    expect(warningSlugs(fromBlock)).toContain('css-display-flex');
    expect(warningSlugs(fromAttribute)).toContain('css-display-flex');
  });

  it('ignores features in text', () => {
    const report = checkHtml(
      '<p>Use display: grid and &lt;video&gt; with care.</p><!-- <video> --><pre>a:hover</pre>',
    );
    const slugs = warningSlugs(report);

    expect(slugs).not.toContain('css-display-grid');
    expect(slugs).not.toContain('html-video');
    expect(slugs).not.toContain('css-pseudo-class-hover');
  });

  it('detects image formats', () => {
    const report = checkHtml('<img src="https://example.test/a.webp?v=2"><img src="b.png">');
    const slugs = warningSlugs(report);

    expect(slugs).toContain('image-webp');
    // Every client in the data set shows PNG images, so PNG gets no warning.
    expect(slugs).not.toContain('image-png');
  });

  it('skips data scripts', () => {
    const report = checkHtml('<script type="application/ld+json">{}</script><p>x</p>');

    expect(warningSlugs(report)).not.toContain('html-script');
  });

  it('sorts worst warnings first', () => {
    const report = checkHtml(modernHtml);
    const severity = report.Warnings.map(
      (w) => (w.Score.Unsupported + w.Score.Partial) * Math.min(1, w.Score.Found / 9),
    );

    expect(severity).toEqual([...severity].sort((a, b) => b - a));
    expect(warningSlugs(report)).toContain('html-script');
    expectTotalsAddUp(report);
  });

  it('caps totals for repeated features', () => {
    const declarations = Array.from({ length: 50 }, (_, i) => `.c${i} { display: grid }`);
    const report = checkHtml(`<style>${declarations.join('\n')}</style><p>x</p>`);

    expect(report.Warnings.find((w) => w.Slug === 'css-display-grid')?.Score.Found).toBe(50);
    expectTotalsAddUp(report);
  });

  it('survives invalid CSS', () => {
    const report = checkHtml('<style>.a { color: red</style><div style="display:grid">x</div>');

    expect(warningSlugs(report)).toContain('css-display-grid');
    expectTotalsAddUp(report);
  });
});
