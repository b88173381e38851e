import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { PartRecord } from '../../src/http/api-types.js';
import { contentDisposition } from '../../src/http/content-disposition.js';
import { crlf } from '../store/helpers.js';
import { openApiHarness, type ApiHarness } from './helpers.js';

let api: ApiHarness;

beforeEach(async () => {
  api = await openApiHarness();
});

afterEach(async () => {
  await api.close();
});

function attachment(disposition: string, content: string): string[] {
  return [
    '--mix',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Disposition: attachment; ${disposition}`,
    '',
    content,
  ];
}

/** Text attachments whose names break naive URLs and Content-Disposition headers. */
const AWKWARD_NAMES = crlf([
  'From: a@example.test',
  'To: b@example.test',
  'Subject: Awkward attachment names',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="mix"',
  '',
  '--mix',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'See the attachments.',
  ...attachment('filename="report #1 (final).txt"', 'hash'),
  ...attachment('filename="a?b=c.txt"', 'query'),
  ...attachment('filename="100%.txt"', 'percent'),
  ...attachment("filename*=UTF-8''%C3%A4%20%C3%B6%20%C3%BC.txt", 'umlauts'),
  ...attachment('filename="sub/dir\\\\name.txt"', 'separators'),
  '--mix--',
]);

/** Reads the exact name back from `filename*`, as a user agent does. */
function extendedName(header: string): string | null {
  const match = /filename\*=UTF-8''([^;]+)/.exec(header);
  return match ? decodeURIComponent(match[1] as string) : null;
}

describe('GET /messages/:id/parts/:partId', () => {
  it.each([
    [
      '2',
      'report #1 (final).txt',
      'attachment; filename="report #1 (final).txt"; ' +
        "filename*=UTF-8''report%20%231%20%28final%29.txt",
      'hash',
    ],
    ['3', 'a?b=c.txt', `attachment; filename="a?b=c.txt"; filename*=UTF-8''a%3Fb%3Dc.txt`, 'query'],
    ['4', '100%.txt', `attachment; filename="100%.txt"; filename*=UTF-8''100%25.txt`, 'percent'],
    [
      '5',
      'ä ö ü.txt',
      `attachment; filename="_ _ _.txt"; filename*=UTF-8''%C3%A4%20%C3%B6%20%C3%BC.txt`,
      'umlauts',
    ],
    [
      '6',
      'sub_dir_name.txt',
      `attachment; filename="sub_dir_name.txt"; filename*=UTF-8''sub_dir_name.txt`,
      'separators',
    ],
  ])('downloads part %s as "%s"', async (partId, name, disposition, content) => {
    const id = await api.deliver(AWKWARD_NAMES);

    const response = await api.api(`/messages/${id}/parts/${partId}`);
    expect(response.status).toBe(200);
    const header = response.headers.get('content-disposition') ?? '';
    expect(header).toBe(disposition);
    expect(extendedName(header)).toBe(name);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect((await response.text()).trim()).toBe(content);
  });

  it('lists the decoded names as the sender wrote them', async () => {
    const id = await api.deliver(AWKWARD_NAMES);

    const response = await api.api(`/messages/${id}/parts`);
    expect(response.status).toBe(200);
    const { parts } = (await response.json()) as { parts: PartRecord[] };
    expect(parts.map((part) => [part.partId, part.kind, part.filename, part.downloadName])).toEqual(
      [
        ['0', 'multipart', null, null],
        ['1', 'body', null, 'part-1.txt'],
        ['2', 'attachment', 'report #1 (final).txt', 'report #1 (final).txt'],
        ['3', 'attachment', 'a?b=c.txt', 'a?b=c.txt'],
        ['4', 'attachment', '100%.txt', '100%.txt'],
        ['5', 'attachment', 'ä ö ü.txt', 'ä ö ü.txt'],
        ['6', 'attachment', 'sub/dir\\name.txt', 'sub_dir_name.txt'],
      ],
    );
  });

  it('serves a part inline when asked', async () => {
    const id = await api.deliver(AWKWARD_NAMES);

    const response = await api.api(`/messages/${id}/parts/3?inline=1`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toMatch(/^inline; filename="a\?b=c.txt"/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('contentDisposition()', () => {
  it('escapes quotes in the ASCII name', () => {
    expect(contentDisposition('attachment', 'say "hi".txt')).toBe(
      `attachment; filename="say \\"hi\\".txt"; filename*=UTF-8''say%20%22hi%22.txt`,
    );
  });

  it('replaces path separators in both forms', () => {
    expect(contentDisposition('inline', '..\\x/y.txt')).toBe(
      `inline; filename=".._x_y.txt"; filename*=UTF-8''.._x_y.txt`,
    );
  });

  it('keeps percent escapes out of the ASCII name', () => {
    expect(contentDisposition('attachment', '%41.txt')).toBe(
      `attachment; filename="_41.txt"; filename*=UTF-8''%2541.txt`,
    );
  });

  it('replaces control characters and emoji in the ASCII name', () => {
    const header = contentDisposition('attachment', 'tab\there 📎.txt');
    expect(header).toBe(
      `attachment; filename="tab_here _.txt"; filename*=UTF-8''tab%09here%20%F0%9F%93%8E.txt`,
    );
  });

  it('survives a lone surrogate', () => {
    expect(contentDisposition('attachment', 'x\ud800.txt')).toBe(
      `attachment; filename="x_.txt"; filename*=UTF-8''x%EF%BF%BD.txt`,
    );
  });
});
