import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';

import { pino, type Logger } from 'pino';

import { EventBus, type CoreEvent, type SessionEvent } from '../../src/delivery/events.js';
import type { DeliveryTarget } from '../../src/delivery/types.js';
import { SmtpEndpoint, type SmtpEndpointOptions } from '../../src/smtp/endpoint.js';
import { FakeTarget } from './fake-target.js';

/** Creates a logger that keeps every line in memory, at every level, for tests to search. */
export function createMemoryLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { logger: pino({ level: 'trace', base: undefined }, destination), lines };
}

export interface EndpointHarness {
  endpoint: SmtpEndpoint;
  /** The fake target, unless the test passed a target of its own. */
  target: FakeTarget;
  port: number;
  events: CoreEvent[];
  eventBus: EventBus;
  logLines: string[];
  spillDir: string;
  /** Session events of one session, in order. */
  sessionEvents(sessionId: string): SessionEvent[];
  /** Closes the endpoint (if the test did not) and removes the spill folder. */
  stop(): Promise<void>;
}

export type HarnessOptions = Partial<Omit<SmtpEndpointOptions, 'events' | 'logger'>> & {
  target?: DeliveryTarget;
};

/**
 * Starts an SmtpEndpoint on 127.0.0.1 with a free port, a FakeTarget, an in-memory
 * logger and an event bus that records every event. Listener errors fail loudly.
 */
export async function startEndpoint(options: HarnessOptions = {}): Promise<EndpointHarness> {
  const spillDir = await mkdtemp(path.join(tmpdir(), 'mailscope-smtp-test-'));
  const fakeTarget = new FakeTarget();
  const events: CoreEvent[] = [];
  const listenerErrors: unknown[] = [];
  const eventBus = new EventBus((error) => listenerErrors.push(error));
  eventBus.subscribe((event) => events.push(event));
  const { logger, lines } = createMemoryLogger();

  const endpoint = new SmtpEndpoint({
    spillDir,
    ...options,
    host: '127.0.0.1',
    port: 0,
    target: options.target ?? fakeTarget,
    events: eventBus,
    logger,
  });
  const { port } = await endpoint.listen();

  return {
    endpoint,
    target: fakeTarget,
    port,
    events,
    eventBus,
    logLines: lines,
    spillDir,
    sessionEvents(sessionId) {
      return events.filter(
        (event): event is SessionEvent =>
          event.type.startsWith('session.') && (event as SessionEvent).sessionId === sessionId,
      );
    },
    async stop() {
      await endpoint.close('The test finished.');
      await rm(spillDir, { recursive: true, force: true });
      if (listenerErrors.length > 0) {
        throw new Error(`An event listener failed: ${String(listenerErrors[0])}`);
      }
    },
  };
}
