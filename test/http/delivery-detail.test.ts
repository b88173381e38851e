import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { abortReason } from '../../src/delivery/abort-reason.js';
import type { DeliveryView, HeaderRecord } from '../../src/http/api-types.js';
import { crlf, makeMeta } from '../store/helpers.js';
import { openApiHarness, type ApiHarness } from './helpers.js';

let api: ApiHarness;

beforeEach(async () => {
  api = await openApiHarness();
});

afterEach(async () => {
  await api.close();
});

const TO_CC_HIDDEN = crlf([
  'From: a@example.test',
  'To: to@example.test',
  'Cc: cc@example.test',
  'Subject: Envelope-only recipient',
  '',
  'Who else got this?',
]);

async function getDelivery(id: string): Promise<DeliveryView> {
  const response = await api.api(`/deliveries/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as DeliveryView;
}

describe('GET /deliveries/:id', () => {
  it('marks the envelope-only recipient as Bcc', async () => {
    const id = await api.deliver(TO_CC_HIDDEN, {
      from: 'a@example.test',
      recipients: ['to@example.test', 'cc@example.test', 'hidden@example.test'],
    });

    const view = await getDelivery(id);
    expect(view.mailFrom).toBe('a@example.test');
    expect(view.recipients.map((r) => [r.address, r.status, r.bcc])).toEqual([
      ['to@example.test', 'accepted', false],
      ['cc@example.test', 'accepted', false],
      ['hidden@example.test', 'accepted', true],
    ]);
  });

  it('leaves the header view without a Bcc line', async () => {
    const id = await api.deliver(TO_CC_HIDDEN, {
      recipients: ['to@example.test', 'cc@example.test', 'hidden@example.test'],
    });

    const response = await api.api(`/messages/${id}/headers`);
    expect(response.status).toBe(200);
    const { headers } = (await response.json()) as { headers: HeaderRecord[] };
    expect(headers.map((header) => header.name.toLowerCase())).toEqual([
      'from',
      'to',
      'cc',
      'subject',
    ]);
    expect(headers.some((header) => header.value.includes('hidden@'))).toBe(false);
  });

  it('finds the Bcc recipient by search', async () => {
    const id = await api.deliver(TO_CC_HIDDEN, {
      recipients: ['to@example.test', 'cc@example.test', 'hidden@example.test'],
    });

    const response = await api.api('/deliveries?q=hidden@example.test');
    const page = (await response.json()) as { deliveries: Array<{ id: string }> };
    expect(page.deliveries.map((item) => item.id)).toEqual([id]);
  });

  it('compares addresses without regard to case or IDNA form', async () => {
    const id = await api.deliver(
      crlf(['To: Bob <BOB@XN--BCHER-KVA.EXAMPLE.TEST>', 'Subject: Mixed forms', '', 'body']),
      { recipients: ['bob@bücher.example.test', 'other@example.test'] },
    );

    const view = await getDelivery(id);
    expect(view.recipients.map((r) => r.bcc)).toEqual([false, true]);
  });

  it('marks no rejected or duplicate recipient', async () => {
    const meta = makeMeta();
    const delivery = await api.pipeline.start(meta, 'a@example.test');
    await delivery.addRcpt('one@example.test');
    await delivery.addRcpt('ONE@example.test');
    await delivery.abort(abortReason('client-reset', 'RSET'));

    const view = await getDelivery(meta.id);
    expect(view.state).toBe('aborted');
    expect(view.message).toBeNull();
    expect(view.recipients.map((r) => [r.status, r.bcc])).toEqual([
      ['accepted', false],
      ['duplicate', false],
    ]);
  });

  it('includes the message view with its URLs', async () => {
    const id = await api.deliver(
      crlf([
        'From: a@example.test',
        'To: b@example.test',
        'Subject: With HTML',
        'Content-Type: text/html; charset=utf-8',
        '',
        '<p>Hello</p>',
      ]),
    );

    const view = await getDelivery(id);
    expect(view.message?.id).toBe(id);
    expect(view.message?.subject).toBe('With HTML');
    expect(view.message?.htmlUrl).toBe(`/api/mailscope/messages/${id}/html`);
    expect(view.message?.rawUrl).toBe(`/api/mailscope/messages/${id}/raw`);
    expect(view.events.map((event) => event.type)).toEqual([
      'delivery.started',
      'rcpt',
      'body.received',
      'delivery.committed',
    ]);
  });

  it('answers 404 for an unknown id', async () => {
    const response = await api.api('/deliveries/no-such-delivery');

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'Delivery no-such-delivery not found.' });
  });
});
