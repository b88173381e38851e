import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { MemoryBodyBuffer } from '../../src/delivery/body-buffer.js';
import { EventBus } from '../../src/delivery/events.js';
import { DeliveryPipeline } from '../../src/delivery/pipeline.js';
import type { MsgMetadata } from '../../src/delivery/types.js';
import { createLogger, type Logger } from '../../src/log.js';
import { parseHeader } from '../../src/message/header.js';
import { openStore, type Store, type StoreOptions } from '../../src/store/index.js';
import { newId } from '../../src/util/id.js';

const fixturesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export const silentLogger = createLogger({ level: 'silent' });

/** Creates a logger that keeps every line it writes, parsed, in `lines`. */
export function recordingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = {
    write(line: string): boolean {
      lines.push(JSON.parse(line) as Record<string, unknown>);
      return true;
    },
  } as NodeJS.WritableStream;
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

/** pino's number for the `error` level. */
export const ERROR_LEVEL = 50;

/** Reads a message from test/fixtures as bytes. */
export function readFixture(name: string): Buffer {
  return readFileSync(path.join(fixturesDir, name));
}

/** Builds a message from lines joined with CRLF, as SMTP delivers it. */
export function crlf(lines: string[]): Buffer {
  return Buffer.from(lines.join('\r\n') + '\r\n', 'utf8');
}

/** Creates a temporary folder. `remove` deletes it with everything in it. */
export async function makeTempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mailscope-store-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Builds delivery metadata for a plain ESMTP connection from 127.0.0.1. */
export function makeMeta(overrides: Partial<MsgMetadata> = {}): MsgMetadata {
  return {
    id: newId(),
    startedAt: Date.now(),
    originalFrom: 'Sender@Example.test',
    mailFrom: { size: null, body: null, smtpUtf8: false, all: {} },
    conn: {
      sessionId: 'session-1',
      protocol: 'ESMTP',
      heloName: 'client.example.test',
      localAddress: '127.0.0.1',
      localPort: 2525,
      remoteAddress: '127.0.0.1',
      remotePort: 40000,
      tls: null,
      authUser: null,
    },
    ...overrides,
  };
}

/** A store wired to a pipeline and an event bus, the way the core wires them. */
export interface Harness {
  store: Store;
  bus: EventBus;
  pipeline: DeliveryPipeline;
  listenerErrors: unknown[];
  /** Lines the store logged. */
  logLines: Array<Record<string, unknown>>;
  close(): void;
}

export function openHarness(options: Omit<StoreOptions, 'logger'>): Harness {
  const listenerErrors: unknown[] = [];
  const bus = new EventBus((error) => listenerErrors.push(error));
  const { logger, lines } = recordingLogger();
  const store = openStore({ logger, ...options });
  const detach = store.attach(bus);
  const pipeline = new DeliveryPipeline({
    targets: [store.target],
    events: bus,
    logger: silentLogger,
    maxRecipients: 1000,
  });
  return {
    store,
    bus,
    pipeline,
    listenerErrors,
    logLines: lines,
    close() {
      detach();
      store.close();
    },
  };
}

export interface SendOptions {
  from?: string;
  recipients?: string[];
  meta?: Partial<MsgMetadata>;
}

/** Runs one whole delivery through the pipeline and returns its id. */
export async function deliver(
  harness: Harness,
  message: Buffer,
  options: SendOptions = {},
): Promise<string> {
  const meta = makeMeta(options.meta);
  const delivery = await harness.pipeline.start(meta, options.from ?? 'sender@example.test');
  for (const recipient of options.recipients ?? ['receiver@example.test']) {
    await delivery.addRcpt(recipient);
  }
  await delivery.body(parseHeader(message), new MemoryBodyBuffer(message));
  await delivery.commit();
  return meta.id;
}

/** Opens a store in a temporary folder for tests that only store messages and read them. */
export async function openCaseStore(): Promise<{
  harness: Harness;
  dir: string;
  store: (message: Buffer) => Promise<string>;
  close: () => Promise<void>;
}> {
  const temp = await makeTempDir();
  const harness = openHarness({ path: path.join(temp.dir, 'mail.db') });
  return {
    harness,
    dir: temp.dir,
    store: (message) => deliver(harness, message),
    close: async () => {
      harness.close();
      await temp.remove();
    },
  };
}
