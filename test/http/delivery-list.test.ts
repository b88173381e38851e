import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { abortReason } from '../../src/delivery/abort-reason.js';
import type { DeliveryPage } from '../../src/http/api-types.js';
import { crlf, makeMeta } from '../store/helpers.js';
import { openApiHarness, type ApiHarness } from './helpers.js';

let api: ApiHarness;

beforeEach(async () => {
  api = await openApiHarness();
});

afterEach(async () => {
  await api.close();
});

function message(subject: string, headers: string[] = []): Buffer {
  return crlf([
    'From: Sender <sender@example.test>',
    'To: Receiver <receiver@example.test>',
    ...headers,
    `Subject: ${subject}`,
    '',
    'body',
  ]);
}

async function listPage(query = ''): Promise<DeliveryPage> {
  const response = await api.api(`/deliveries${query}`);
  expect(response.status).toBe(200);
  return (await response.json()) as DeliveryPage;
}

/** Starts a delivery with one recipient and aborts it with a client reset. */
async function abortedDelivery(): Promise<string> {
  const meta = makeMeta();
  const delivery = await api.pipeline.start(meta, 'quitter@example.test');
  await delivery.addRcpt('gone@example.test');
  await delivery.abort(abortReason('client-reset', 'RSET'));
  return meta.id;
}

describe('GET /deliveries', () => {
  it('lists deliveries newest first', async () => {
    const first = await api.deliver(message('first'));
    const second = await api.deliver(message('second'));
    const aborted = await abortedDelivery();

    const page = await listPage();
    expect(page.deliveries.map((item) => item.id)).toEqual([aborted, second, first]);
    expect(page.deliveries.map((item) => item.state)).toEqual([
      'aborted',
      'committed',
      'committed',
    ]);
    expect(page.total).toBe(3);
    expect(page.nextCursor).toBeNull();
  });

  it('returns the summary fields of each row', async () => {
    const id = await api.deliver(message('summary'), {
      from: 'app@example.test',
      recipients: ['a@example.test', 'b@example.test', 'c@example.test'],
    });

    const [row] = (await listPage()).deliveries;
    expect(row).toMatchObject({
      id,
      state: 'committed',
      mailFrom: 'app@example.test',
      subject: 'summary',
      recipientCount: 3,
      recipientsPreview: ['a@example.test', 'b@example.test', 'c@example.test'],
      hasAttachments: false,
      hasMessage: true,
      read: false,
    });
  });

  it('previews at most five accepted recipients', async () => {
    const recipients = Array.from({ length: 8 }, (_unused, index) => `r${index + 1}@example.test`);
    await api.deliver(message('many'), { recipients });

    const [row] = (await listPage()).deliveries;
    expect(row?.recipientCount).toBe(8);
    expect(row?.recipientsPreview).toEqual(recipients.slice(0, 5));
  });

  it('reports read as null without a message', async () => {
    await abortedDelivery();

    const [row] = (await listPage()).deliveries;
    expect(row?.hasMessage).toBe(false);
    expect(row?.read).toBeNull();
    expect(row?.recipientsPreview).toEqual(['gone@example.test']);
  });

  describe('outcome filter', () => {
    it('keeps only the listed states', async () => {
      const committed = await api.deliver(message('kept'));
      const aborted = await abortedDelivery();

      const onlyAborted = await listPage('?outcome=aborted');
      expect(onlyAborted.deliveries.map((item) => item.id)).toEqual([aborted]);
      expect(onlyAborted.total).toBe(1);

      const both = await listPage('?outcome=committed,aborted');
      expect(both.deliveries.map((item) => item.id)).toEqual([aborted, committed]);

      const none = await listPage('?outcome=interrupted');
      expect(none.deliveries).toEqual([]);
      expect(none.total).toBe(0);
    });

    it('rejects an unknown state with 400', async () => {
      const response = await api.api('/deliveries?outcome=committed,lost');

      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: string };
      expect(body.error).toContain('"lost"');
      expect(body.error).toContain('in-progress, committed, aborted, interrupted');
    });
  });

  describe('text search', () => {
    it.each([
      ['the subject', 'quarterly REPORT'],
      ['MAIL FROM', 'billing@'],
      ['an envelope-only recipient', 'HIDDEN@example'],
      ['the To header name', 'receiver team'],
      ['the From header name', 'sales desk'],
    ])('finds a delivery by %s', async (_field, query) => {
      const match = await api.deliver(
        crlf([
          'From: Sales Desk <sales@example.test>',
          'To: Receiver Team <receiver@example.test>',
          'Subject: Quarterly report',
          '',
          'body',
        ]),
        {
          from: 'billing@example.test',
          recipients: ['receiver@example.test', 'hidden@example.test'],
        },
      );
      await api.deliver(message('unrelated'));

      const page = await listPage(`?q=${encodeURIComponent(query)}`);
      expect(page.deliveries.map((item) => item.id)).toEqual([match]);
      expect(page.total).toBe(1);
    });

    it('matches non-ASCII text without regard to case', async () => {
      const match = await api.deliver(message('Grüße aus Köln'));
      await api.deliver(message('plain'));

      const page = await listPage(`?q=${encodeURIComponent('GRÜßE AUS KÖLN')}`);
      expect(page.deliveries.map((item) => item.id)).toEqual([match]);
    });

    it('treats LIKE wildcards as plain characters', async () => {
      const match = await api.deliver(message('100% done_now'));
      await api.deliver(message('100 percent done'));

      expect((await listPage('?q=100%25')).deliveries.map((item) => item.id)).toEqual([match]);
      expect((await listPage('?q=done_now')).deliveries.map((item) => item.id)).toEqual([match]);
      expect((await listPage('?q=0%25%25')).deliveries).toEqual([]);
    });

    it('combines the search with the outcome filter', async () => {
      await api.deliver(message('invoice one'));
      const aborted = await abortedDelivery();

      const page = await listPage('?q=gone@&outcome=aborted');
      expect(page.deliveries.map((item) => item.id)).toEqual([aborted]);
      expect((await listPage('?q=invoice&outcome=aborted')).total).toBe(0);
    });
  });

  describe('keyset pages', () => {
    it('lists every delivery once across pages, and total counts them', async () => {
      const ids: string[] = [];
      for (let index = 0; index < 7; index += 1) ids.push(await api.deliver(message(`m${index}`)));

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor === null ? '?limit=3' : `?limit=3&cursor=${cursor}`;
        const page = await listPage(query);
        expect(page.total).toBe(7);
        seen.push(...page.deliveries.map((item) => item.id));
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor !== null && pages < 10);

      expect(pages).toBe(3);
      expect(seen).toEqual([...ids].reverse());
    });

    it('neither repeats nor skips when deliveries arrive between pages', async () => {
      const ids: string[] = [];
      for (let index = 0; index < 4; index += 1)
        ids.push(await api.deliver(message(`old${index}`)));

      const first = await listPage('?limit=2');
      expect(first.deliveries.map((item) => item.id)).toEqual([ids[3], ids[2]]);

      const newer = await api.deliver(message('arrived later'));
      const second = await listPage(`?limit=2&cursor=${first.nextCursor}`);
      expect(second.deliveries.map((item) => item.id)).toEqual([ids[1], ids[0]]);
      expect(second.nextCursor).toBeNull();
      expect(second.total).toBe(5);

      const fresh = await listPage('?limit=2');
      expect(fresh.deliveries[0]?.id).toBe(newer);
    });

    it('pages through a filtered list with the filter total', async () => {
      const matches: string[] = [];
      for (let index = 0; index < 5; index += 1) {
        matches.push(await api.deliver(message(`needle ${index}`)));
        await api.deliver(message(`hay ${index}`));
      }

      const first = await listPage('?q=needle&limit=3');
      expect(first.total).toBe(5);
      const second = await listPage(`?q=needle&limit=3&cursor=${first.nextCursor}`);
      expect(second.total).toBe(5);
      expect([...first.deliveries, ...second.deliveries].map((item) => item.id)).toEqual(
        [...matches].reverse(),
      );
      expect(second.nextCursor).toBeNull();
    });

    it.each([
      ['a cursor that is not one', '?cursor=bm90LWEtY3Vyc29y'],
      ['a limit of 0', '?limit=0'],
      ['a limit above the maximum', '?limit=501'],
      ['a fractional limit', '?limit=2.5'],
    ])('rejects %s with 400', async (_case, query) => {
      const response = await api.api(`/deliveries${query}`);

      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toMatch(/^Invalid /);
    });
  });
});
