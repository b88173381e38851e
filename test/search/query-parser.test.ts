import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { parseSearchDate } from '../../src/search/dates.js';
import { htmlToSearchText } from '../../src/search/html-text.js';
import { parseQuery, parseSize, splitQuery } from '../../src/search/query-parser.js';
import { openDatabase } from '../../src/store/db.js';
import { openStore } from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { makeTempDir, silentLogger } from '../store/helpers.js';

describe('splitQuery', () => {
  it.each<[string, string[]]>([
    ['a b  c', ['a', 'b', 'c']],
    ['"a phrase" word', ['a phrase', 'word']],
    ['subject:"two words" -x', ['subject:two words', '-x']],
    ['"unclosed phrase', ['unclosed phrase']],
    ['""', []],
    ['tab\tstays', ['tab\tstays']],
  ])('splits %j', (query, expected) => {
    expect(splitQuery(query)).toEqual(expected);
  });
});

describe('parseQuery', () => {
  it('reads prefixes without regard to case', () => {
    expect(parseQuery('FROM:Alice IS:READ Has:Attachments')).toEqual([
      { negated: false, condition: { kind: 'field', field: 'from', value: 'alice' } },
      { negated: false, condition: { kind: 'read', read: true } },
      { negated: false, condition: { kind: 'attachment' } },
    ]);
  });

  it('negates with - and !', () => {
    expect(parseQuery('-tag:x !is:unread')).toEqual([
      { negated: true, condition: { kind: 'tag', name: 'x' } },
      { negated: true, condition: { kind: 'read', read: false } },
    ]);
  });

  it('keeps the subject uncleaned', () => {
    expect(parseQuery('subject:"Re: (urgent)"')).toEqual([
      { negated: false, condition: { kind: 'field', field: 'subject', value: 're: (urgent)' } },
    ]);
  });

  it('cleans address values', () => {
    expect(parseQuery('to:"<Bob>, bob@example.test;"')).toEqual([
      { negated: false, condition: { kind: 'field', field: 'to', value: 'bob bob@example.test' } },
    ]);
  });

  it('reads unknown prefixes and bad values as words', () => {
    expect(parseQuery('is:flagged larger:huge outcome:lost http://x')).toEqual([
      { negated: false, condition: { kind: 'word', value: 'is:flagged' } },
      { negated: false, condition: { kind: 'word', value: 'larger:huge' } },
      { negated: false, condition: { kind: 'word', value: 'outcome:lost' } },
      { negated: false, condition: { kind: 'word', value: 'http://x' } },
    ]);
  });

  it('skips terms without a letter or digit', () => {
    expect(parseQuery('- ! "" ... (),')).toEqual([]);
  });

  it('reads envelope fields', () => {
    expect(parseQuery('mail-from:app rcpt:a@b outcome:In-Progress')).toEqual([
      { negated: false, condition: { kind: 'field', field: 'mail-from', value: 'app' } },
      { negated: false, condition: { kind: 'field', field: 'rcpt', value: 'a@b' } },
      { negated: false, condition: { kind: 'outcome', outcome: 'in-progress' } },
    ]);
  });
});

describe('parseSize', () => {
  it.each<[string, number]>([
    ['250', 250],
    ['10k', 10_240],
    ['10KB', 10_240],
    ['1.5m', 1_572_864],
    ['2mb', 2_097_152],
    ['1g', 0],
    ['abc', 0],
  ])('reads %s', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });
});

describe('parseSearchDate', () => {
  it.each<[string, string | undefined, number | null]>([
    ['2024-01-31', 'UTC', Date.UTC(2024, 0, 31)],
    ['2024-01-31 14:00', 'UTC', Date.UTC(2024, 0, 31, 14)],
    ['2024/01/31', 'UTC', Date.UTC(2024, 0, 31)],
    ['2024-01-31', 'Europe/Berlin', Date.UTC(2024, 0, 30, 23)],
    ['2024-07-01 12:00', 'Europe/Berlin', Date.UTC(2024, 6, 1, 10)],
    ['wed 31 jan 2024 10:00:00 gmt', 'Europe/Berlin', Date.UTC(2024, 0, 31, 10)],
    ['2026-12-04t18:25:05z', 'Europe/Berlin', Date.UTC(2026, 11, 4, 18, 25, 5)],
    ['2024-01-31t14:00:00.500+01:00', 'UTC', Date.UTC(2024, 0, 31, 13, 0, 0, 500)],
    ['2024-13-01', 'UTC', null],
    ['yesterday-ish', 'UTC', null],
  ])('reads %s in %s', (text, zone, expected) => {
    expect(parseSearchDate(text, zone)).toBe(expected);
  });
});

describe('htmlToSearchText', () => {
  it('keeps words and drops code', () => {
    const text = htmlToSearchText(
      '<head><style>.x{}</style></head><p>Caf&eacute; &#233;&#x41; <b>bo</b>ld</p><div>next</div>' +
        '<script>secret()</script><!-- note -->',
    );
    expect(text.replace(/\s+/g, ' ').trim()).toBe('Caf&eacute; éA bold next');
  });
});

describe('search index migration', () => {
  it('indexes and tags messages stored before it', async () => {
    const temp = await makeTempDir();
    const dbPath = path.join(temp.dir, 'old.db');
    const initial = MIGRATIONS.filter((migration) => migration.version === 1);
    const old = openDatabase(dbPath, { migrations: initial });
    old.exec(`
      INSERT INTO deliveries (id, state, started_at, mail_from, mail_from_original, protocol,
        helo, remote_address, remote_port, local_address, local_port)
      VALUES ('old-1', 'committed', 1, 'app@example.test', 'app@example.test', 'ESMTP',
        'client', '127.0.0.1', 1, '127.0.0.1', 2);
      INSERT INTO messages (id, staged, received_at, subject, to_addresses,
        envelope_recipients, date, size, text, raw)
      VALUES ('old-1', 0, 1, 'Legacy invoice', '[{"name":"","address":"qa+legacy@example.test"}]',
        '["qa+legacy@example.test"]', 1, 10, 'stored before search existed', x'00');
    `);
    old.close();

    const store = openStore({ path: dbPath, logger: silentLogger });
    try {
      expect(store.queries.searchMessages('before search existed').ids).toEqual(['old-1']);
      expect(store.queries.searchMessages('tag:legacy').ids).toEqual(['old-1']);
    } finally {
      store.close();
      await temp.remove();
    }
  });
});
