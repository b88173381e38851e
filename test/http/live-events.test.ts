import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { abortReason } from '../../src/delivery/abort-reason.js';
import type { LiveEvent } from '../../src/http/api-types.js';
import { createHttpApp } from '../../src/http/app.js';
import { startHttpServer, type HttpServer } from '../../src/http/server.js';
import { crlf, makeMeta, silentLogger } from '../store/helpers.js';
import { EventStreamReader, openApiHarness, waitFor, type ApiHarness } from './helpers.js';

let api: ApiHarness;

beforeEach(async () => {
  api = await openApiHarness({ capacity: 5 });
});

afterEach(async () => {
  await api.close();
});

const MESSAGE = crlf(['From: a@example.test', 'To: b@example.test', 'Subject: Live', '', 'hi']);

type DeliveryStep = Extract<LiveEvent, { delivery: unknown }>;

function steps(events: LiveEvent[]): DeliveryStep[] {
  return events.filter((event): event is DeliveryStep => 'delivery' in event);
}

describe('LiveEventHub', () => {
  it('turns the steps of a delivery into numbered live events', async () => {
    const id = await api.deliver(MESSAGE, { recipients: ['b@example.test', 'B@example.test'] });

    const events = steps(api.liveEvents);
    expect(events.map((event) => event.type)).toEqual([
      'delivery.started',
      'rcpt.accepted',
      'rcpt.accepted',
      'body.received',
      'delivery.committed',
    ]);
    expect(events.map((event) => event.id)).toEqual([1, 2, 3, 4, 5]);
    expect(events.every((event) => event.deliveryId === id)).toBe(true);
  });

  it('carries the delivery as stored after each step', async () => {
    await api.deliver(MESSAGE, { recipients: ['b@example.test'] });

    const [started, rcpt, body, committed] = steps(api.liveEvents);
    expect(started?.delivery).toMatchObject({ state: 'in-progress', recipientCount: 0 });
    expect(rcpt?.delivery).toMatchObject({
      recipientCount: 1,
      recipientsPreview: ['b@example.test'],
    });
    expect(body?.delivery).toMatchObject({ state: 'in-progress', size: MESSAGE.length });
    expect(committed?.delivery).toMatchObject({
      state: 'committed',
      subject: 'Live',
      hasMessage: true,
      read: false,
    });
  });

  it('sends the abort with its reason', async () => {
    const meta = makeMeta();
    const delivery = await api.pipeline.start(meta, 'a@example.test');
    await delivery.abort(abortReason('client-reset', 'RSET'));

    const aborted = steps(api.liveEvents).at(-1);
    expect(aborted?.type).toBe('delivery.aborted');
    expect(aborted?.delivery).toMatchObject({
      state: 'aborted',
      abortKind: 'client-reset',
      abortDetail: 'RSET',
    });
  });

  it('sends nothing for body.failed or an unknown delivery', async () => {
    const id = await api.deliver(MESSAGE);
    const before = api.liveEvents.length;

    api.bus.emit({
      type: 'body.failed',
      deliveryId: id,
      at: Date.now(),
      reply: { code: 451, enhancedCode: '4.3.0', message: 'failed' },
      error: 'failed',
    });
    api.bus.emit({
      type: 'delivery.committed',
      deliveryId: 'deleted-meanwhile',
      at: Date.now(),
      reply: { code: 250, enhancedCode: '2.0.0', message: 'Ok' },
    });
    expect(api.liveEvents.length).toBe(before);
  });

  describe('replayAfter()', () => {
    it('returns the events after the given id', async () => {
      await api.deliver(MESSAGE);

      const replay = api.hub.replayAfter(2);
      expect(replay).toEqual({
        kind: 'events',
        events: [expect.objectContaining({ id: 3 }), expect.objectContaining({ id: 4 })],
      });
      expect(api.hub.replayAfter(4)).toEqual({ kind: 'events', events: [] });
    });

    it('asks for a resync once events were dropped', async () => {
      await api.deliver(MESSAGE);
      await api.deliver(MESSAGE);

      // Two deliveries make events 1 to 8, and with a capacity of 5, ids 4 to 8 are kept.
      expect(api.hub.replayAfter(3).kind).toBe('events');
      const replay = api.hub.replayAfter(2);
      expect(replay).toEqual({
        kind: 'resync',
        event: { id: 8, type: 'resync', at: expect.any(Number) },
      });
    });

    it('asks for a resync for an id from an earlier run', async () => {
      await api.deliver(MESSAGE);

      expect(api.hub.replayAfter(5).kind).toBe('resync');
    });
  });

  it('closes its subscribers when it closes', () => {
    let closed = 0;
    api.hub.subscribe({ event() {}, close: () => (closed += 1) });

    api.hub.close();
    expect(closed).toBe(1);
    api.hub.subscribe({ event() {}, close: () => (closed += 1) });
    expect(closed).toBe(2);
  });
});

describe('GET /events in process', () => {
  it('closes the stream of a client that stops reading', async () => {
    const baseline = api.hub.subscriberCount;
    const response = await api.api('/events');
    expect(response.status).toBe(200);
    expect(api.hub.subscriberCount).toBe(baseline + 1);

    // The test never reads the body, so events queue up until they pass the limit of 1,000.
    for (let index = 0; index < 1001; index += 1) {
      api.bus.emitUserEvent({ type: 'message.read', deliveryId: 'x', at: Date.now(), read: true });
    }
    expect(api.hub.subscriberCount).toBe(baseline);

    const body = await response.text();
    expect(body.length).toBeLessThan(1000);
  });
});

describe('GET /events on a real server', () => {
  let server: HttpServer;

  beforeEach(async () => {
    const app = createHttpApp({
      isReady: () => true,
      store: api.store,
      events: api.bus,
      liveEvents: api.hub,
      addresses: () => ({ smtp: { host: '127.0.0.1', port: 1025 }, http: server.address }),
      logger: silentLogger,
      auth: null,
      heartbeatMs: 50,
    });
    server = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
  });

  afterEach(async () => {
    await server.close();
  });

  function eventsUrl(): string {
    return `http://127.0.0.1:${server.address.port}/api/mailscope/events`;
  }

  it('sends heartbeat comments', async () => {
    const stream = await EventStreamReader.open(eventsUrl());
    try {
      expect(stream.response.headers.get('content-type')).toBe('text/event-stream');
      expect((await stream.nextMessage()).comment).toBe('connected');
      expect(await stream.nextMessage(2000)).toEqual({
        id: null,
        data: null,
        comment: 'heartbeat',
      });
    } finally {
      stream.close();
    }
  });

  it('unsubscribes a client that disconnects', async () => {
    const baseline = api.hub.subscriberCount;
    const stream = await EventStreamReader.open(eventsUrl());
    await stream.nextMessage();
    expect(api.hub.subscriberCount).toBe(baseline + 1);

    stream.close();
    expect(await waitFor(() => api.hub.subscriberCount === baseline)).toBe(true);
  });

  it('ends the stream when the hub closes', async () => {
    const stream = await EventStreamReader.open(eventsUrl());
    await stream.nextMessage();

    api.hub.close();
    await expect(stream.nextMessage(2000)).rejects.toThrow(/ended/);
  });

  it('reads lastEventId from the query', async () => {
    await api.deliver(MESSAGE);

    const stream = await EventStreamReader.open(`${eventsUrl()}?lastEventId=2`);
    try {
      const events = await stream.nextEvents(2);
      expect(events.map((event) => [event.id, event.type])).toEqual([
        [3, 'body.received'],
        [4, 'delivery.committed'],
      ]);
    } finally {
      stream.close();
    }
  });

  it('answers an unreadable Last-Event-ID with resync', async () => {
    await api.deliver(MESSAGE);

    const stream = await EventStreamReader.open(eventsUrl(), { 'Last-Event-ID': 'abc' });
    try {
      const event = await stream.nextEvent();
      expect([event.type, event.id, event.sseId]).toEqual(['resync', 4, '4']);
    } finally {
      stream.close();
    }
  });
});
