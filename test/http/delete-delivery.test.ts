import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { abortReason } from '../../src/delivery/abort-reason.js';
import { crlf, makeMeta } from '../store/helpers.js';
import { jsonRequest, openApiHarness, type ApiHarness } from './helpers.js';

let api: ApiHarness;

beforeEach(async () => {
  api = await openApiHarness();
});

afterEach(async () => {
  await api.close();
});

describe('DELETE /deliveries/:id', () => {
  it('deletes an aborted delivery that has no message', async () => {
    const meta = makeMeta();
    const delivery = await api.pipeline.start(meta, 'sender@example.test');
    await delivery.abort(abortReason('client-reset', 'RSET'));

    const response = await api.api(`/deliveries/${meta.id}`, { method: 'DELETE' });

    expect(response.status).toBe(204);
    expect((await api.api(`/deliveries/${meta.id}`)).status).toBe(404);
    expect(api.liveEvents.at(-1)).toMatchObject({ type: 'message.deleted', deliveryId: meta.id });
  });

  it('deletes a committed delivery with its message', async () => {
    const id = await api.deliver(crlf(['Subject: bye', '', 'x']), {
      recipients: ['b@example.test'],
    });

    expect((await api.api(`/deliveries/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api.api(`/messages/${id}`)).status).toBe(404);
  });

  it('keeps a delivery in progress with 409', async () => {
    const meta = makeMeta();
    await api.pipeline.start(meta, 'sender@example.test');

    const response = await api.api(`/deliveries/${meta.id}`, { method: 'DELETE' });

    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({
      error: `Delivery ${meta.id} is still in progress; delete it once it has ended.`,
    });
    expect((await api.api(`/deliveries/${meta.id}`)).status).toBe(200);
  });

  it('answers 404 for an unknown id', async () => {
    const response = await api.api('/deliveries/nope', { method: 'DELETE' });

    expect(response.status).toBe(404);
  });
});

describe('request limits and reserved paths', () => {
  it('rejects a request body over 1 MiB with 413', async () => {
    const id = await api.deliver(crlf(['Subject: read me', '', 'x']), {
      recipients: ['b@example.test'],
    });
    const padding = 'x'.repeat(1024 * 1024);

    const response = await api.api(
      `/messages/${id}/read`,
      jsonRequest('PUT', { read: true, padding }),
    );

    expect(response.status).toBe(413);
  });

  it('answers 404, not the UI page, on Mailpit API paths', async () => {
    for (const url of ['/api/v1/no-such-route', '/api/no-such-route', '/view/latest.html']) {
      const response = await api.request(url);
      expect(response.status, url).toBe(404);
      expect(response.headers.get('content-type') ?? '', url).not.toContain('text/html');
    }
  });
});
