import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { abortReason } from '../../src/delivery/abort-reason.js';
import {
  deliver,
  makeMeta,
  makeTempDir,
  openHarness,
  readFixture,
  type Harness,
} from '../store/helpers.js';

/**
 * The fixed set of messages every query runs over, oldest first. Each arrives on its own
 * day at noon UTC, so that after: and before: have known boundaries.
 */
const FIXTURES: Array<{ file: string; subject: string; from?: string; recipients: string[] }> = [
  {
    file: 'base64-body.eml',
    subject: 'Base64 body',
    from: 'alerts-bounce@example.test',
    recipients: ['dana@example.test'],
  },
  {
    file: 'quoted-printable.eml',
    subject: 'Quoted-printable body',
    recipients: ['erin@example.test', 'audit@example.test'],
  },
  {
    file: 'encoded-word-subject.eml',
    subject: 'Quittung für Bestellung',
    recipients: ['frank@example.test', 'hidden-copy@example.test'],
  },
  {
    file: 'html-alternative.eml',
    subject: 'HTML newsletter',
    recipients: ['gina+weekly@example.test'],
  },
  { file: 'attachments.eml', subject: 'Quarterly figures', recipients: ['hank@example.test'] },
  { file: 'x-tags.eml', subject: 'Tagged build', recipients: ['ivy+alpha+beta@example.test'] },
  { file: 'test-run-1.eml', subject: 'Password reset', recipients: ['user1@example.test'] },
  { file: 'test-run-2.eml', subject: 'Welcome aboard', recipients: ['user2@example.test'] },
  { file: 'test-run-3.eml', subject: 'Invoice ready', recipients: ['user3@example.test'] },
];

const ALL_NEWEST_FIRST = FIXTURES.map((fixture) => fixture.subject).reverse();
const except = (...subjects: string[]): string[] =>
  ALL_NEWEST_FIRST.filter((subject) => !subjects.includes(subject));

/** Noon UTC on 2024-01-01 plus `day` days. */
const noonOfDay = (day: number): number => Date.UTC(2024, 0, 1 + day, 12);

let harness: Harness;
let removeTemp: () => Promise<void>;
const subjectOf = new Map<string, string>();
let clock = noonOfDay(0);

beforeAll(async () => {
  const temp = await makeTempDir();
  removeTemp = temp.remove;
  harness = openHarness({ path: path.join(temp.dir, 'search.db'), now: () => clock });
  for (const [day, fixture] of FIXTURES.entries()) {
    clock = noonOfDay(day);
    // A delivery without a message between the messages, so that delivery and message
    // row numbers differ.
    if (day % 3 === 1) await abortedDelivery(harness, `early${day}@example.test`);
    const id = await deliver(harness, readFixture(`search/${fixture.file}`), {
      from: fixture.from,
      recipients: fixture.recipients,
    });
    subjectOf.set(id, fixture.subject);
  }
});

afterAll(async () => {
  harness.close();
  await removeTemp();
});

/** Starts a delivery, adds one recipient and aborts it before DATA. Returns its id. */
async function abortedDelivery(target: Harness, recipient: string): Promise<string> {
  const meta = makeMeta();
  const delivery = await target.pipeline.start(meta, 'quitter@example.test');
  await delivery.addRcpt(recipient);
  await delivery.abort(abortReason('client-reset', 'RSET'));
  return meta.id;
}

/** Runs a search over every page at once and returns the subjects and the total. */
function search(query: string): { subjects: string[]; total: number } {
  const result = harness.store.queries.searchMessages(query, { limit: 1000, timeZone: 'UTC' });
  return { subjects: result.ids.map((id) => subjectOf.get(id) ?? id), total: result.total };
}

describe('searchMessages', () => {
  it.each<[string, string[]]>([
    ['', ALL_NEWEST_FIRST],
    // Free words and phrases match decoded text only.
    ['zephyrine', ['Base64 body']],
    ['"verification code"', ['Base64 body']],
    ['"code verification"', []],
    ['WW91ciB2ZXJpZmljYXRpb24', []],
    ['supercalifragilistic', ['Quoted-printable body']],
    ['supercalifrag=', []],
    ['a=b', ['Quoted-printable body']],
    ['=3D', []],
    ['KÖLN', ['Quoted-printable body']],
    ['grüße', ['Quoted-printable body']],
    ['quittung', ['Quittung für Bestellung']],
    ['UXVpdHR1bmc', []],
    ['jürgen', ['Quittung für Bestellung']],
    ['café', ['HTML newsletter']],
    ['machines', ['HTML newsletter']],
    ['scriptonlyword', []],
    // Values of one or two characters, which the trigram index cannot find.
    ['fé', ['HTML newsletter']],
    ['pd', ['Quarterly figures', 'Quoted-printable body']],
    ['7f', ['Invoice ready', 'Welcome aboard', 'Password reset']],
    ['zz', []],
    ['-7f', except('Invoice ready', 'Welcome aboard', 'Password reset')],
    ['from:jü', ['Quittung für Bestellung']],
    ['to:da', ['Base64 body']],
    ['message-id:-2', ['Welcome aboard', 'Quoted-printable body']],
    ['hiddenstyleword', []],
    ['report.pdf', ['Quarterly figures']],
    ['hidden-copy', ['Quittung für Bestellung']],
    ['alerts-bounce', ['Base64 body']],
    // Values of X- header fields are searchable; header names are not.
    ['7f3a9c2e51', ['Invoice ready', 'Welcome aboard', 'Password reset']],
    ['x-test-run', []],
    // Negation.
    ['-zephyrine', except('Base64 body')],
    ['!zephyrine', except('Base64 body')],
    [
      '-7f3a9c2e51 -zephyrine',
      except('Base64 body', 'Password reset', 'Welcome aboard', 'Invoice ready'),
    ],
    // Fields.
    ['subject:"password reset"', ['Password reset']],
    ['subject:password reset', ['Password reset']],
    ['SUBJECT:QUITTUNG', ['Quittung für Bestellung']],
    ['-subject:body', except('Base64 body', 'Quoted-printable body')],
    ['from:alerts', ['Base64 body']],
    ['from:"jürgen müller"', ['Quittung für Bestellung']],
    ['to:dana', ['Base64 body']],
    ['cc:audit', ['Quoted-printable body']],
    ['reply-to:helpdesk', ['Quoted-printable body']],
    ['bcc:hidden-copy', ['Quittung für Bestellung']],
    ['bcc:frank', []],
    ['addressed:helpdesk', ['Quoted-printable body']],
    ['-addressed:example.test', []],
    ['message-id:qp-2', ['Quoted-printable body']],
    ['message-id:<att-5@example.test>', ['Quarterly figures']],
    // Tags from X-Tags and plus addresses.
    ['tag:urgent', ['Tagged build']],
    ['tag:"billing dept"', ['Tagged build']],
    ['tag:alpha', ['Tagged build']],
    ['tag:builds', ['Tagged build']],
    ['tag:weekly', ['HTML newsletter']],
    ['tag:"bad char"', ['Tagged build']],
    ['tag:bad', []],
    ['is:tagged', ['Tagged build', 'HTML newsletter']],
    ['!is:tagged', except('Tagged build', 'HTML newsletter')],
    // Flags, sizes and dates.
    ['is:unread', ALL_NEWEST_FIRST],
    ['is:read', []],
    ['has:attachment', ['Quarterly figures']],
    ['-has:attachments', except('Quarterly figures')],
    ['has:inline', ['Quarterly figures']],
    ['larger:1m', []],
    ['-larger:1m', ALL_NEWEST_FIRST],
    ['smaller:10kb', ALL_NEWEST_FIRST],
    ['larger:abc', []],
    ['after:2024-01-08', ['Invoice ready', 'Welcome aboard']],
    ['-after:2024-01-08', except('Invoice ready', 'Welcome aboard')],
    ['before:"2024-01-01 12:00"', ['Base64 body']],
    ['after:2024-01-03 before:2024-01-05', ['HTML newsletter', 'Quittung für Bestellung']],
    ['after:not-a-date', ALL_NEWEST_FIRST],
    // Envelope fields.
    ['mail-from:alerts-bounce', ['Base64 body']],
    ['rcpt:user2', ['Welcome aboard']],
    ['outcome:committed', ALL_NEWEST_FIRST],
    ['outcome:aborted', []],
  ])('%s', (query, expected) => {
    const result = search(query);
    expect(result.subjects).toEqual(expected);
    expect(result.total).toBe(expected.length);
  });

  it('pages the header value case', () => {
    const queries = harness.store.queries;
    const first = queries.searchMessages('7f3a9c2e51', { limit: 2 });
    const second = queries.searchMessages('7f3a9c2e51', { limit: 2, offset: 2 });

    expect(first.total).toBe(3);
    expect(second.total).toBe(3);
    expect(first.ids.length + second.ids.length).toBe(3);
    expect(new Set([...first.ids, ...second.ids]).size).toBe(3);
  });

  it('counts unread matches', () => {
    const queries = harness.store.queries;
    const [newest] = queries.searchMessages('7f3a9c2e51').ids;
    queries.setRead(newest as string, true);
    try {
      const result = queries.searchMessages('7f3a9c2e51');
      expect(result.total).toBe(3);
      expect(result.unread).toBe(2);
      expect(search('is:read').subjects).toEqual(['Invoice ready']);
    } finally {
      queries.setRead(newest as string, false);
    }
  });

  it.each([
    '"',
    '*',
    'zeph*',
    'AND',
    'NOT zephyrine',
    '^zeph',
    '(a OR b)',
    '{search_text}:zephyrine',
    'search_text:zephyrine',
    'NEAR(zephyrine meadows)',
    "'; DROP TABLE messages; --",
    '\\"zephyrine',
    'zephyrine"',
    'subject:"',
    '-',
    '!',
  ])('takes FTS5 syntax as text: %s', (query) => {
    const result = harness.store.queries.searchMessages(query, { limit: 1000 });
    expect(result.total).toBe(result.ids.length);
  });

  it('finds no wildcard matches', () => {
    expect(search('zeph*').total).toBe(0);
    expect(search('{search_text}:zephyrine').total).toBe(0);
    expect(search('zephyrine"').subjects).toEqual(['Base64 body']);
  });
});

describe('delivery list search', () => {
  it('matches envelope fields of aborted deliveries', async () => {
    const id = await abortedDelivery(harness, 'gone@example.test');
    const queries = harness.store.queries;
    const ids = (text: string): string[] =>
      queries.listDeliveryOverviews({ text }).items.map((item) => item.id);

    try {
      expect(ids('rcpt:gone@')).toEqual([id]);
      expect(ids('gone@example')).toEqual([id]);
      expect(ids('outcome:aborted rcpt:gone')).toEqual([id]);
      expect(ids('outcome:aborted').length).toBe(4);
      expect(ids('mail-from:quitter').length).toBe(4);
      expect(ids('-outcome:committed').length).toBe(4);
      expect(ids('is:unread outcome:aborted')).toEqual([]);
      expect(queries.listDeliveryOverviews({ text: '7f3a9c2e51' }).total).toBe(3);
      expect(queries.listDeliveryOverviews({ text: 'zephyrine' }).total).toBe(1);
    } finally {
      queries.deleteDelivery(id);
    }
  });
});

describe('deleteMessagesMatching', () => {
  it('deletes the matching deliveries only', async () => {
    const temp = await makeTempDir();
    const own = openHarness({ path: path.join(temp.dir, 'delete.db') });
    try {
      for (const name of ['test-run-1.eml', 'test-run-2.eml', 'base64-body.eml']) {
        await deliver(own, readFixture(`search/${name}`));
      }
      const queries = own.store.queries;

      expect(queries.deleteMessagesMatching('7f3a9c2e51 -subject:welcome')).toBe(1);
      expect(queries.searchMessages('7f3a9c2e51').total).toBe(1);
      expect(queries.searchMessages('').total).toBe(2);
      expect(own.store.db.prepare('SELECT COUNT(*) AS n FROM message_search').get()).toEqual({
        n: 2,
      });
    } finally {
      own.close();
      await temp.remove();
    }
  });
});
