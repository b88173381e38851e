import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SEARCH_BODY_CHARS } from '../../src/search/search-row.js';
import { crlf, deliver, makeTempDir, openHarness, type Harness } from '../store/helpers.js';

/** Filler words that contain none of the searched words below. */
const FILLER_LINE = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod';

/** Lines of filler that add up to at least `chars` characters. */
function fillerLines(chars: number): string[] {
  return Array.from({ length: Math.ceil(chars / (FILLER_LINE.length + 1)) }, () => FILLER_LINE);
}

let harness: Harness;
let removeTemp: () => Promise<void>;
let textId: string;
let htmlId: string;

beforeAll(async () => {
  const temp = await makeTempDir();
  removeTemp = temp.remove;
  harness = openHarness({ path: path.join(temp.dir, 'cap.db') });

  textId = await deliver(
    harness,
    crlf([
      'From: sender@example.test',
      'To: receiver@example.test',
      'Subject: Long text body',
      'X-Trace: headerword',
      '',
      'nearword jq',
      ...fillerLines(SEARCH_BODY_CHARS),
      'farword vx',
    ]),
  );

  const paragraphs = fillerLines(SEARCH_BODY_CHARS).map((line) => `<p>${line}</p>`);
  htmlId = await deliver(
    harness,
    crlf([
      'From: sender@example.test',
      'To: receiver@example.test',
      'Subject: Long HTML body',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<html><body><p>htmlnear</p>',
      ...paragraphs,
      '<p>htmlfar</p></body></html>',
    ]),
  );
});

afterAll(async () => {
  harness.close();
  await removeTemp();
});

function search(query: string): string[] {
  return harness.store.queries.searchMessages(query, { limit: 10 }).ids;
}

describe('search body cap', () => {
  it('finds a text word before the cap', () => {
    expect(search('nearword')).toEqual([textId]);
  });

  it('skips a text word past the cap', () => {
    expect(search('farword')).toEqual([]);
  });

  it('finds a short term before the cap', () => {
    expect(search('jq')).toEqual([textId]);
  });

  it('skips a short term past the cap', () => {
    expect(search('vx')).toEqual([]);
  });

  it('finds an HTML word before the cap', () => {
    expect(search('htmlnear')).toEqual([htmlId]);
  });

  it('skips an HTML word past the cap', () => {
    expect(search('htmlfar')).toEqual([]);
  });

  it('indexes the header fields of a long message', () => {
    expect(search('headerword')).toEqual([textId]);
    expect(search('subject:"long text body"')).toEqual([textId]);
  });
});
