import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { MessageView, PartRecord } from '../../src/http/api-types.js';
import { crlf, readFixture } from '../store/helpers.js';
import { ORIGIN, openApiHarness, type ApiHarness } from './helpers.js';

let api: ApiHarness;

beforeEach(async () => {
  api = await openApiHarness();
});

afterEach(async () => {
  await api.close();
});

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

function htmlPath(id: string): string {
  return `/api/mailscope/messages/${id}/html`;
}

async function getHtml(id: string, query = ''): Promise<{ response: Response; html: string }> {
  const response = await api.request(`${htmlPath(id)}${query}`);
  return { response, html: await response.text() };
}

/** Resolves `src` against the URL of the HTML route, as the browser in the frame does. */
function resolveFromHtml(id: string, src: string): string {
  const url = new URL(src, `${ORIGIN}${htmlPath(id)}`);
  return `${url.pathname}${url.search}`;
}

/** Builds a multipart/related message with `html` and a PNG image per Content-ID. */
function relatedMessage(html: string, contentIds: string[]): Buffer {
  const images = contentIds.flatMap((contentId) => [
    '--rel',
    'Content-Type: image/png',
    `Content-ID: <${contentId}>`,
    'Content-Transfer-Encoding: base64',
    '',
    PNG_BASE64,
  ]);
  return crlf([
    'From: a@example.test',
    'To: b@example.test',
    'Subject: Related',
    'MIME-Version: 1.0',
    'Content-Type: multipart/related; boundary="rel"',
    '',
    '--rel',
    'Content-Type: text/html; charset=utf-8',
    '',
    html,
    ...images,
    '--rel--',
  ]);
}

describe('GET /messages/:id/html', () => {
  describe('cid: references', () => {
    it.each([
      ['an inline image', 'cid-image-inline.eml'],
      ['an image with attachment disposition', 'cid-image-attachment.eml'],
      ['an image without disposition', 'cid-image-no-disposition.eml'],
      ['a reference in another case', 'cid-image-case-mismatch.eml'],
      ['an extra unreferenced image', 'cid-image-unreferenced.eml'],
    ])('point to the image part for %s', async (_variant, fixture) => {
      const id = await api.deliver(readFixture(fixture));

      const { response, html } = await getHtml(id);
      expect(response.status).toBe(200);
      expect(html).toContain('<img src="parts/2?inline=1" alt="logo">');
      expect(html).not.toMatch(/cid:/i);

      const image = await api.request(resolveFromHtml(id, 'parts/2?inline=1'));
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/png');
      expect(image.headers.get('content-disposition')).toMatch(/^inline; /);
      expect(image.headers.get('x-content-type-options')).toBe('nosniff');
      const bytes = Buffer.from(await image.arrayBuffer());
      expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    });

    it('lists the unreferenced image as an attachment', async () => {
      const id = await api.deliver(readFixture('cid-image-unreferenced.eml'));

      const { parts } = (await (await api.api(`/messages/${id}/parts`)).json()) as {
        parts: PartRecord[];
      };
      expect(parts.map((part) => [part.partId, part.kind])).toEqual([
        ['0', 'multipart'],
        ['1', 'body'],
        ['2', 'inline'],
        ['3', 'attachment'],
      ]);
      const message = (await (await api.api(`/messages/${id}`)).json()) as MessageView;
      expect(message.hasAttachments).toBe(true);
      expect(message.attachmentCount).toBe(1);
    });

    it('rewrites percent-encoded, CSS and attribute references', async () => {
      const id = await api.deliver(
        relatedMessage(
          '<div style="background:url(cid:bg@example.test)" background="CID:bg@example.test">' +
            '<img src="cid:logo%40example.test"></div>',
          ['logo@example.test', 'bg@example.test'],
        ),
      );

      const { html } = await getHtml(id);
      expect(html).toContain(
        '<div style="background:url(parts/3?inline=1)" background="parts/3?inline=1">' +
          '<img src="parts/2?inline=1"></div>',
      );
    });

    it('rewrites Content-IDs with path characters', async () => {
      const slash = await api.deliver(readFixture('cid-with-slash.eml'));
      expect((await getHtml(slash)).html).toContain('<img src="parts/2?inline=1">');

      const unsafe = await api.deliver(readFixture('unsafe-part-names.eml'));
      const { html } = await getHtml(unsafe);
      expect(html).toContain(
        '<img src="parts/1.2?inline=1"><img src="parts/1.3?inline=1"><img src="parts/1.4?inline=1">',
      );
    });

    it('leaves a reference to no part as it is', async () => {
      const id = await api.deliver(relatedMessage('<img src="cid:missing@example.test">', []));

      expect((await getHtml(id)).html).toContain('<img src="cid:missing@example.test">');
    });
  });

  describe('policy and additions', () => {
    const SCRIPTED =
      '<!DOCTYPE html><html><head><title>t</title></head><body>' +
      '<script>alert(1)</script><form action="http://attacker.example.test/"></form>' +
      '<img src="http://tracker.example.test/pixel.gif"></body></html>';

    function scriptedMessage(): Buffer {
      return crlf([
        'From: a@example.test',
        'To: b@example.test',
        'Subject: Scripted',
        'Content-Type: text/html; charset=utf-8',
        '',
        SCRIPTED,
      ]);
    }

    it('blocks scripts, forms, frames, base and remote content', async () => {
      const id = await api.deliver(scriptedMessage());

      const { response } = await getHtml(id);
      expect(response.headers.get('content-type')).toBe('text/html; charset=UTF-8');
      const policy = response.headers.get('content-security-policy') ?? '';
      const directives = new Map(
        policy.split(';').map((directive) => {
          const [name, ...values] = directive.trim().split(/\s+/);
          return [name as string, values.join(' ')];
        }),
      );
      expect(directives.get('default-src')).toBe("'none'");
      expect(directives.get('script-src')).toBe("'none'");
      expect(directives.get('form-action')).toBe("'none'");
      expect(directives.get('frame-src')).toBe("'none'");
      expect(directives.get('base-uri')).toBe("'none'");
      expect(directives.get('connect-src')).toBe("'none'");
      expect(directives.get('img-src')).toBe(`'self' ${ORIGIN} data:`);
      expect(directives.get('style-src')).toBe(`'self' ${ORIGIN} data: 'unsafe-inline'`);
      expect(directives.get('sandbox')).not.toContain('allow-scripts');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    });

    it('allows remote images and styles with remote=1', async () => {
      const id = await api.deliver(scriptedMessage());

      const { response } = await getHtml(id, '?remote=1');
      const policy = response.headers.get('content-security-policy') ?? '';
      expect(policy).toContain(`img-src 'self' ${ORIGIN} data: http: https:`);
      expect(policy).toContain(`font-src 'self' ${ORIGIN} data: http: https:`);
      expect(policy).toContain("script-src 'none'");
    });

    it('adds a referrer policy and removes nothing', async () => {
      const id = await api.deliver(scriptedMessage());

      const stored = (await (await api.api(`/messages/${id}`)).json()) as MessageView;
      expect(stored.html?.trim()).toBe(SCRIPTED);

      const { html } = await getHtml(id);
      expect(html).toBe(
        stored.html?.replace(
          '<head>',
          '<head><meta name="referrer" content="no-referrer"><base target="_blank">',
        ),
      );
    });

    it('puts the additions first in HTML without a head', async () => {
      const id = await api.deliver(
        crlf(['Subject: Bare', 'Content-Type: text/html', '', '<p>bare</p>']),
      );

      const { html } = await getHtml(id);
      expect(html.startsWith('<meta name="referrer" content="no-referrer">')).toBe(true);
      expect(html).toContain('<p>bare</p>');
    });

    it('answers 404 for a message without HTML', async () => {
      const id = await api.deliver(crlf(['Subject: Plain', '', 'just text']));

      const response = await api.request(htmlPath(id));
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: `Message ${id} has no HTML body.` });
    });
  });
});
