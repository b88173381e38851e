import { ConfigError, parseCli, type Config } from '../config.js';
import type { Core } from '../core.js';
import type { CoreEvent, UserEvent } from '../delivery/events.js';
import type { Logger } from '../log.js';
import type { CoreProcessMessage, ImportOutcome, MainProcessMessage } from './messages.js';

/** The side of a MessagePort that the core process uses; Electron's `process.parentPort`. */
export interface ParentPortLike {
  postMessage(message: CoreProcessMessage): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

export interface CoreBridgeOptions {
  port: ParentPortLike;
  /**
   * The environment that configures the core, with the `MAILSCOPE_*` variables that the
   * `mailscope` command reads. The main process sets MAILSCOPE_SMTP and MAILSCOPE_HTTP in
   * it to restart the core on other ports.
   */
  env: NodeJS.ProcessEnv;
  startCore: (config: Config, logger: Logger) => Promise<Core>;
  createLogger: (level: string) => Logger;
  /** Ends the process; called once the core has closed on a shutdown request. */
  exit: (code: number) => void;
}

/**
 * Runs the core for the desktop app and connects it to the main process. It posts
 * `ready` or an `error` once the start succeeded or failed, forwards committed messages
 * and unread counts, and carries out the requests that the main process posts.
 *
 * Returns the running core, or null when it did not start. After a failed start the
 * process keeps listening, and exits on `shutdown` or when the main process ends it, so
 * that it does not end before the main process has received the error.
 */
export async function runCoreBridge(options: CoreBridgeOptions): Promise<Core | null> {
  const { port } = options;
  let core: Core | null = null;
  let logger: Logger | null = null;
  port.on('message', (event) => {
    handleRequest(core, event.data, options).catch((error: unknown) => {
      logger?.error({ err: error }, 'request from the main process failed');
    });
  });

  const config = parseConfig(options);
  if (config === null) return null;
  logger = options.createLogger(config.logLevel);
  try {
    core = await options.startCore(config, logger);
  } catch (error) {
    logger.error({ err: error }, 'core failed to start');
    port.postMessage(startError(error, config));
    return null;
  }

  forwardEvents(core, port);
  port.postMessage({
    type: 'ready',
    smtpAddress: core.smtpAddress,
    httpAddress: core.httpAddress,
    dataDir: config.dataDir,
    maxMessageSize: config.maxMessageSize,
    unread: core.store.queries.counts().unread,
  } satisfies CoreProcessMessage);
  return core;
}

function parseConfig(options: CoreBridgeOptions): Config | null {
  try {
    const request = parseCli([], options.env);
    if (request.kind === 'run') return request.config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    options.port.postMessage({
      type: 'error',
      code: 'START_FAILED',
      message: error.message,
    } satisfies CoreProcessMessage);
  }
  return null;
}

/** Builds the error message for a failed start, telling a taken port apart. */
export function startError(error: unknown, config: Config): CoreProcessMessage {
  const failure = error as NodeJS.ErrnoException & { port?: number };
  const message = error instanceof Error ? error.message : String(error);
  if (failure.code !== 'EADDRINUSE') {
    return { type: 'error', code: 'START_FAILED', message };
  }
  return {
    type: 'error',
    code: 'EADDRINUSE',
    message,
    // The SMTP endpoint listens first, so a taken port that matches neither is HTTP's.
    service: failure.port === config.smtp.port ? 'smtp' : 'http',
    smtp: config.smtp,
    http: config.http,
  };
}

/** Posts each committed message, and the unread count after each read, delete or clear. */
function forwardEvents(core: Core, port: ParentPortLike): void {
  const localDeliveries = new Set<string>();
  const unread = (): number => core.store.queries.counts().unread;

  core.events.subscribe((event: CoreEvent) => {
    if (event.type === 'delivery.started' && event.meta.conn.protocol === 'LOCAL') {
      localDeliveries.add(event.deliveryId);
    } else if (event.type === 'delivery.aborted') {
      localDeliveries.delete(event.deliveryId);
    } else if (event.type === 'delivery.committed') {
      const local = localDeliveries.delete(event.deliveryId);
      port.postMessage(committedMessage(core, event.deliveryId, local, unread()));
    }
  });
  core.events.subscribeUserEvents((_event: UserEvent) => {
    port.postMessage({ type: 'unread-count', unread: unread() } satisfies CoreProcessMessage);
  });
}

function committedMessage(
  core: Core,
  deliveryId: string,
  local: boolean,
  unread: number,
): CoreProcessMessage {
  const headers = core.store.queries.listHeaders(deliveryId);
  const from = headers.find((header) => header.name.toLowerCase() === 'from');
  return {
    type: 'message-committed',
    deliveryId,
    subject: core.store.queries.getMessageSubject(deliveryId) ?? '',
    from: from?.value ?? '',
    local,
    unread,
  };
}

async function handleRequest(
  core: Core | null,
  data: unknown,
  options: CoreBridgeOptions,
): Promise<void> {
  const request = data as MainProcessMessage;
  if (core === null) {
    // Before a start, or after a failed one, there is nothing to do but exit.
    if (request?.type === 'shutdown') options.exit(0);
    return;
  }
  switch (request?.type) {
    case 'import': {
      const outcomes = await importFiles(core, request.files);
      options.port.postMessage({
        type: 'import-result',
        requestId: request.requestId,
        outcomes,
      } satisfies CoreProcessMessage);
      break;
    }
    case 'delete-all': {
      const deleted = core.store.queries.deleteAll();
      core.events.emitUserEvent({ type: 'messages.cleared', at: Date.now(), deleted });
      options.port.postMessage({
        type: 'delete-all-result',
        requestId: request.requestId,
        deleted,
      } satisfies CoreProcessMessage);
      break;
    }
    case 'shutdown':
      await core.close('The desktop app quit.');
      options.exit(0);
      break;
    default:
      throw new Error(`Unknown request from the main process: ${JSON.stringify(data)}`);
  }
}

async function importFiles(
  core: Core,
  files: Array<{ source: string; bytes: Uint8Array }>,
): Promise<ImportOutcome[]> {
  const outcomes: ImportOutcome[] = [];
  for (const file of files) {
    try {
      const bytes = Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength);
      const result = await core.importMessage(bytes, { source: file.source });
      outcomes.push({ source: file.source, ok: true, deliveryId: result.deliveryId });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      outcomes.push({ source: file.source, ok: false, error: message });
    }
  }
  return outcomes;
}
