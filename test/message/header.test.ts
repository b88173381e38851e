import { describe, expect, it } from 'vitest';

import { parseHeader, withHeaderSeparator } from '../../src/message/header.js';

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'utf8');

describe('parseHeader()', () => {
  it('reads fields in order and unfolds continuation lines', () => {
    const message = crlf([
      'Subject: a long',
      '\tsubject',
      'To: b@example.test',
      'Content-Type: multipart/alternative;',
      '    boundary="bnd_41f2"',
      '',
      'body',
    ]);
    const header = parseHeader(message);

    expect(header.fields).toEqual([
      { name: 'Subject', value: 'a long\tsubject' },
      { name: 'To', value: 'b@example.test' },
      { name: 'Content-Type', value: 'multipart/alternative;    boundary="bnd_41f2"' },
    ]);
    expect(header.endedByBlankLine).toBe(true);
    expect(message.subarray(header.bodyOffset).toString()).toBe('body');
    expect(header.warnings).toEqual([]);
  });

  it('ends the block at the first line that is not a field', () => {
    const message = crlf([
      'Subject: Receipt',
      'Content-Type: text/html; charset=utf8',
      '<!DOCTYPE html>',
      '<html></html>',
    ]);
    const header = parseHeader(message);

    expect(header.fields.map((field) => field.name)).toEqual(['Subject', 'Content-Type']);
    expect(header.endedByBlankLine).toBe(false);
    expect(message.subarray(header.bodyOffset).toString()).toBe('<!DOCTYPE html>\r\n<html></html>');
    expect(header.warnings).toHaveLength(1);

    const repaired = withHeaderSeparator(message, header).toString();
    expect(repaired).toContain('charset=utf8\r\n\r\n<!DOCTYPE html>');
  });

  it('accepts bare LF line ends and whitespace before the colon', () => {
    const message = Buffer.from('Subject : old style\nFrom: a@example.test\n\nx');
    const header = parseHeader(message);

    expect(header.fields).toEqual([
      { name: 'Subject', value: 'old style' },
      { name: 'From', value: 'a@example.test' },
    ]);
    expect(message.subarray(header.bodyOffset).toString()).toBe('x');
  });

  it('skips a leading mbox From line and a byte order mark', () => {
    const message = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      crlf(['From a@example.test Thu Jan  1 00:00:00 2026', 'Subject: hi', '', 'x']),
    ]);
    const header = parseHeader(message);

    expect(header.fields).toEqual([{ name: 'Subject', value: 'hi' }]);
    expect(header.warnings).toHaveLength(2);
  });

  it('reads raw UTF-8 header text and falls back to windows-1252', () => {
    const utf8 = parseHeader(Buffer.from('Subject: Grüße\r\n\r\n', 'utf8'));
    const latin = parseHeader(Buffer.from('Subject: Gr\xfc\xdfe\r\n\r\n', 'latin1'));

    expect(utf8.fields[0]?.value).toBe('Grüße');
    expect(latin.fields[0]?.value).toBe('Grüße');
  });

  it('treats a message with no blank line and no body as all header', () => {
    const message = Buffer.from('Subject: only\r\n');
    const header = parseHeader(message);

    expect(header.fields).toEqual([{ name: 'Subject', value: 'only' }]);
    expect(header.bodyOffset).toBe(message.length);
    expect(withHeaderSeparator(message, header)).toBe(message);
  });
});
