import { mkdir } from 'node:fs/promises';

import { API_PREFIX } from '../http/api-types.js';
import type { ImportLimits } from '../http/import-routes.js';
import type { Config } from '../config.js';
import { EventBus } from '../delivery/events.js';
import { DeliveryPipeline } from '../delivery/pipeline.js';
import { importMessage, ImportError } from '../import/index.js';
import type { Logger } from '../log.js';
import { DatabaseInUseError, lockDatabase } from '../paths.js';
import { openStore } from '../store/index.js';

/** Destination of `mailscope import`: a running server or the database file. */
export interface ImportDestination {
  /** Name of the destination, for the user. */
  description: string;
  maxMessageSize: number;
  /** Stores one message; throws ImportError with the reason when it is not stored. */
  store(bytes: Buffer, source: string): Promise<void>;
  close(): Promise<void>;
}

/** A failure to reach or open any destination. The message names the fix. */
export class DestinationError extends Error {
  override name = 'DestinationError';
}

const PROBE_TIMEOUT_MS = 3_000;
const UPLOAD_TIMEOUT_MS = 120_000;

/**
 * Connects to the Mailscope server at `url` when one responds there. Returns null when
 * nothing listens, and throws DestinationError when a server responds but cannot take
 * imports (wrong credentials, or no Mailscope).
 */
export async function connectServer(
  url: string,
  authorization: string | null,
): Promise<ImportDestination | null> {
  const endpoint = new URL(`${API_PREFIX}/import`, url);
  const headers: Record<string, string> = authorization ? { Authorization: authorization } : {};
  let response: Response;
  try {
    response = await fetch(endpoint, { headers, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  } catch {
    return null;
  }
  if (response.status === 401) {
    throw new DestinationError(
      `Mailscope at ${url} requires HTTP credentials: pass --http-auth USER:PASS or set ` +
        'MAILSCOPE_HTTP_AUTH.',
    );
  }
  if (!response.ok) {
    throw new DestinationError(
      `The server at ${url} responded to GET ${endpoint.pathname} with ${response.status}, so it is ` +
        'not a Mailscope that takes imports. Pass --url with the HTTP address of Mailscope.',
    );
  }
  const limits = (await response.json()) as ImportLimits;

  return {
    description: `Mailscope at ${url}`,
    maxMessageSize: limits.maxMessageSize,
    async store(bytes, source) {
      const target = new URL(endpoint);
      target.searchParams.set('source', source);
      const reply = await fetch(target, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'message/rfc822' },
        body: new Uint8Array(
          bytes.buffer,
          bytes.byteOffset,
          bytes.byteLength,
        ) as Uint8Array<ArrayBuffer>,
        signal: AbortSignal.timeout(UPLOAD_TIMEOUT_MS),
      });
      if (reply.status === 201) return;
      const body = (await reply.json().catch(() => ({}))) as { error?: string };
      const reason = body.error ?? `the server responded with ${reply.status}`;
      if (reply.status === 413 || reply.status === 422) throw new ImportError(reason);
      throw new DestinationError(`Storing ${source} failed: ${reason}`);
    },
    close: () => Promise.resolve(),
  };
}

/**
 * Opens the database file directly, as the server would, taking its lock. Throws
 * DestinationError when a running Mailscope uses the database.
 */
export async function openDatabase(config: Config, logger: Logger): Promise<ImportDestination> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  let unlock: () => Promise<void>;
  try {
    unlock = await lockDatabase(config.dbPath);
  } catch (error) {
    if (error instanceof DatabaseInUseError) {
      throw new DestinationError(
        `${error.message} To import through that process, pass --url with its HTTP address.`,
      );
    }
    throw error;
  }

  const events = new EventBus((error, event) => {
    logger.error({ err: error, event: event.type }, 'event listener failed');
  });
  let store;
  try {
    store = openStore({
      path: config.dbPath,
      logger: logger.child({ module: 'store' }),
      retention: { maxMessages: config.maxMessages, maxAgeMs: config.maxAgeMs },
    });
  } catch (error) {
    await unlock();
    throw new DestinationError(
      `Could not open the database ${config.dbPath}: ${(error as Error).message}`,
    );
  }
  const detach = store.attach(events);
  // NOTE: this pipeline has no failure rules, and no webhook or relay receives these messages,
  // because those run in the server. Import through a running server to have them.
  const pipeline = new DeliveryPipeline({
    targets: [store.target],
    events,
    logger: logger.child({ module: 'pipeline' }),
    maxRecipients: config.maxRecipients,
  });
  const openedStore = store;

  return {
    description: `the database ${config.dbPath}`,
    maxMessageSize: config.maxMessageSize,
    async store(bytes, source) {
      await importMessage({ pipeline, events }, bytes, {
        source,
        maxMessageSize: config.maxMessageSize,
      });
    },
    async close() {
      detach();
      openedStore.close();
      await unlock();
    },
  };
}
