import path from 'node:path';

import type { Hono } from 'hono';

import { DEFAULT_MAX_MESSAGE_SIZE } from '../../src/config.js';
import { API_PREFIX, type LiveEvent } from '../../src/http/api-types.js';
import { createHttpApp } from '../../src/http/app.js';
import { LiveEventHub } from '../../src/http/live-events.js';
import { importMessage } from '../../src/import/index.js';
import { RuleService } from '../../src/rules/index.js';
import {
  deliver,
  makeTempDir,
  openHarness,
  silentLogger,
  type Harness,
  type SendOptions,
} from '../store/helpers.js';

/** The address the in-process app believes it listens on. Requests go to this host. */
export const HTTP_ADDRESS = { host: '127.0.0.1', port: 8025 };
export const ORIGIN = `http://${HTTP_ADDRESS.host}:${HTTP_ADDRESS.port}`;

/** The HTTP app over a real SQLite file store, with the live events it published. */
export interface ApiHarness {
  app: Hono;
  store: Harness['store'];
  bus: Harness['bus'];
  pipeline: Harness['pipeline'];
  hub: LiveEventHub;
  /** Every live event the hub published since the harness opened. */
  liveEvents: LiveEvent[];
  /** Sends a request for `apiPath` (relative to API_PREFIX) to the app, in process. */
  api(apiPath: string, init?: RequestInit): Promise<Response>;
  /** Sends a request for `url` (an absolute path such as `/livez`) to the app. */
  request(url: string, init?: RequestInit): Promise<Response>;
  /** Runs one whole delivery through the pipeline and returns its id. */
  deliver(message: Buffer, options?: SendOptions): Promise<string>;
  close(): Promise<void>;
}

export interface ApiHarnessOptions {
  auth?: { user: string; password: string } | null;
  uiDir?: string;
  capacity?: number;
}

export async function openApiHarness(options: ApiHarnessOptions = {}): Promise<ApiHarness> {
  const temp = await makeTempDir();
  const harness = openHarness({ path: path.join(temp.dir, 'mail.db') });
  const hub = new LiveEventHub({
    bus: harness.bus,
    queries: harness.store.queries,
    capacity: options.capacity,
  });
  const liveEvents: LiveEvent[] = [];
  const unsubscribe = hub.subscribe({ event: (event) => liveEvents.push(event), close() {} });
  const app = createHttpApp({
    isReady: () => true,
    store: harness.store,
    events: harness.bus,
    liveEvents: hub,
    addresses: () => ({ smtp: { host: '127.0.0.1', port: 1025 }, http: HTTP_ADDRESS }),
    logger: silentLogger,
    auth: options.auth ?? null,
    uiDir: options.uiDir ?? path.join(temp.dir, 'no-ui'),
    version: '9.9.9-test',
    rules: new RuleService({ db: harness.store.db, events: harness.bus, logger: silentLogger }),
    import: {
      importMessage: (bytes, importOptions) =>
        importMessage({ pipeline: harness.pipeline, events: harness.bus }, bytes, {
          ...importOptions,
          maxMessageSize: DEFAULT_MAX_MESSAGE_SIZE,
        }),
      maxMessageSize: DEFAULT_MAX_MESSAGE_SIZE,
    },
  });
  const request = async (url: string, init?: RequestInit): Promise<Response> =>
    app.request(`${ORIGIN}${url}`, init);

  return {
    app,
    store: harness.store,
    bus: harness.bus,
    pipeline: harness.pipeline,
    hub,
    liveEvents,
    request,
    api: (apiPath, init) => request(`${API_PREFIX}${apiPath}`, init),
    deliver: (message, sendOptions) => deliver(harness, message, sendOptions),
    async close() {
      unsubscribe();
      hub.close();
      harness.close();
      await temp.remove();
    },
  };
}

/** Sends a JSON body with `method`. */
export function jsonRequest(method: string, body: unknown): RequestInit {
  return { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
}

/** One message of an event stream: an event with its id, or a comment. */
export interface StreamMessage {
  id: string | null;
  data: string | null;
  comment: string | null;
}

/**
 * Reads Server-Sent Events from a streaming fetch response. Each call to `next` returns
 * the next message or fails after `timeoutMs`.
 */
export class EventStreamReader {
  private buffer = '';
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private pendingRead: ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']> | null = null;

  constructor(
    readonly response: Response,
    private readonly controller: AbortController,
  ) {
    if (response.body === null) throw new Error('the event stream response has no body');
    this.reader = response.body.getReader();
  }

  /** Opens the stream at `url`; rejects unless the response status is 200. */
  static async open(url: string, headers: Record<string, string> = {}): Promise<EventStreamReader> {
    const controller = new AbortController();
    const response = await fetch(url, { headers, signal: controller.signal });
    if (response.status !== 200) {
      controller.abort();
      throw new Error(`event stream answered ${response.status}: ${await response.text()}`);
    }
    return new EventStreamReader(response, controller);
  }

  /** Returns the next message, comments included. */
  async nextMessage(timeoutMs = 10_000): Promise<StreamMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end !== -1) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        return parseBlock(block);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no event within ${timeoutMs} ms; buffered "${this.buffer}"`);
      this.pendingRead ??= this.reader.read();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), left);
      });
      const result = await Promise.race([this.pendingRead, timeout]);
      clearTimeout(timer);
      if (result === 'timeout') continue;
      this.pendingRead = null;
      if (result.done) throw new Error(`the event stream ended; buffered "${this.buffer}"`);
      this.buffer += this.decoder.decode(result.value, { stream: true });
    }
  }

  /** Returns the next live event, skipping comments. */
  async nextEvent(timeoutMs = 10_000): Promise<LiveEvent & { sseId: string | null }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = await this.nextMessage(Math.max(1, deadline - Date.now()));
      if (message.data !== null) {
        return { ...(JSON.parse(message.data) as LiveEvent), sseId: message.id };
      }
    }
  }

  /** Returns the next `count` live events. */
  async nextEvents(count: number, timeoutMs = 10_000): Promise<LiveEvent[]> {
    const events: LiveEvent[] = [];
    while (events.length < count) events.push(await this.nextEvent(timeoutMs));
    return events;
  }

  close(): void {
    this.controller.abort();
  }
}

function parseBlock(block: string): StreamMessage {
  const message: StreamMessage = { id: null, data: null, comment: null };
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) message.comment = line.slice(1).trim();
    else if (line.startsWith('id: ')) message.id = line.slice(4);
    else if (line.startsWith('data: ')) {
      message.data = message.data === null ? line.slice(6) : `${message.data}\n${line.slice(6)}`;
    }
  }
  return message;
}

/** Polls `condition` every 20 ms until it is true or `timeoutMs` passes. */
export async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}
