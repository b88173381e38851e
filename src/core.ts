import { mkdir, readFile, rm } from 'node:fs/promises';

import { startAfterCommitServices, type AfterCommitServices } from './after-commit.js';
import type { Config, ListenAddress } from './config.js';
import { EventBus } from './delivery/events.js';
import { DeliveryPipeline } from './delivery/pipeline.js';
import { createHttpApp } from './http/app.js';
import { LiveEventHub } from './http/live-events.js';
import { startHttpServer, type HttpServer } from './http/server.js';
import { importMessage, ImportError, type ImportResult } from './import/index.js';
import type { Logger } from './log.js';
import { createSpillDir, lockDatabase } from './paths.js';
import { SmtpEndpoint } from './smtp/endpoint.js';
import { loadOrCreateCertificate, type TlsCertificate } from './smtp/tls.js';
import { RuleService } from './rules/index.js';
import { openStore, type Store } from './store/index.js';

/** A running Mailscope: the store, the SMTP endpoint and the HTTP server in one process. */
export interface Core {
  smtpAddress: ListenAddress;
  httpAddress: ListenAddress;
  store: Store;
  events: EventBus;
  /** The live events that the HTTP server streams to the UI. */
  liveEvents: LiveEventHub;
  /** The pipeline that SMTP deliveries and imported messages go through. */
  pipeline: DeliveryPipeline;
  /** Release, automatic relay and webhook, which run after commit. */
  afterCommit: AfterCommitServices;
  /** The failure rules and the pause switch. */
  rules: RuleService;
  /**
   * Stores a message file as a local delivery through the pipeline, within the message
   * size limit. Throws ImportError when the message is refused or the core is closing.
   */
  importMessage(bytes: Buffer, options: { source: string }): Promise<ImportResult>;
  /** Stops accepting mail, aborts open deliveries with `reason`, and closes the store. */
  close(reason?: string): Promise<void>;
}

/** Bodies above this size wait for the store in a temporary file instead of memory. */
const SPILL_THRESHOLD = 1024 * 1024;

/** Starts the core with the given configuration. */
export async function startCore(config: Config, logger: Logger): Promise<Core> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });

  const events = new EventBus((error, event) => {
    logger.error({ err: error, event: event.type }, 'event listener failed');
  });
  const unlock = config.dbPath === ':memory:' ? null : await lockDatabase(config.dbPath);
  let store: Store;
  try {
    store = openStore({
      path: config.dbPath,
      logger: logger.child({ module: 'store' }),
      retention: { maxMessages: config.maxMessages, maxAgeMs: config.maxAgeMs },
      // The pipeline below waits for the commit, together with its trace.
      durableCommit: false,
    });
  } catch (error) {
    await unlock?.();
    throw new Error(`Could not open the database ${config.dbPath}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const cleanups: Array<() => Promise<void> | void> = [() => store.close()];
  if (unlock) cleanups.push(unlock);
  const detachStore = store.attach(events);
  cleanups.unshift(detachStore);

  try {
    const spillDir = await createSpillDir(config.dataDir);
    cleanups.unshift(() => rm(spillDir, { recursive: true, force: true }));

    const rules = new RuleService({
      db: store.db,
      events,
      logger: logger.child({ module: 'rules' }),
    });
    if (config.rulesFile) await rules.loadFile(config.rulesFile);
    const pipeline = new DeliveryPipeline({
      targets: [store.target],
      events,
      logger: logger.child({ module: 'pipeline' }),
      maxRecipients: config.maxRecipients,
      rules: rules.hooks,
      durable: () => store.durable(),
    });
    const smtp = new SmtpEndpoint({
      host: config.smtp.host,
      port: config.smtp.port,
      target: pipeline,
      events,
      logger: logger.child({ module: 'smtp' }),
      maxMessageSize: config.maxMessageSize,
      spillDir,
      spillThreshold: SPILL_THRESHOLD,
      gate: rules.hooks,
      tls: await loadTls(config, logger.child({ module: 'tls' })),
      auth: {
        users: config.smtpAuth ? { [config.smtpAuth.user]: config.smtpAuth.password } : null,
        requireTls: config.smtpAuthRequireTls,
        // With fixed credentials a client must log in; otherwise AUTH is optional.
        required: config.smtpAuth !== null,
      },
    });
    rules.hooks.dropConnection = (sessionId, rule) => smtp.dropConnection(sessionId, rule);
    const smtpAddress = await smtp.listen();
    cleanups.unshift((reason?: string) => smtp.close(reason));

    // The hub subscribes after the store's trace writer, so a step is stored before the
    // hub reads the delivery back for its live event.
    const liveEvents = new LiveEventHub({ bus: events, queries: store.queries });

    let ready = true;
    let httpAddress: ListenAddress = config.http;
    const afterCommit = startAfterCommitServices({ config, store, events, logger });
    cleanups.unshift(() => afterCommit.close());

    const app = createHttpApp({
      isReady: () => ready,
      store,
      events,
      liveEvents,
      addresses: () => ({ smtp: smtpAddress, http: httpAddress }),
      logger: logger.child({ module: 'http' }),
      auth: config.httpAuth,
      relay: afterCommit.relay,
      rules,
      import: {
        importMessage: (bytes, options) => core.importMessage(bytes, options),
        maxMessageSize: config.maxMessageSize,
      },
    });
    const http: HttpServer = await startHttpServer(app, config.http);
    httpAddress = http.address;
    cleanups.unshift(() => http.close());
    // Closing the hub first ends the open event streams cleanly, before the server drops
    // the connections that remain.
    cleanups.unshift(() => liveEvents.close());

    logger.info({ smtp: smtpAddress, http: http.address, db: config.dbPath }, 'mailscope started');

    let closing: Promise<void> | null = null;
    const core: Core = {
      smtpAddress,
      httpAddress: http.address,
      store,
      events,
      liveEvents,
      pipeline,
      afterCommit,
      rules,
      importMessage(bytes, options) {
        if (closing !== null) {
          return Promise.reject(new ImportError('Mailscope is shutting down.'));
        }
        const limits = { maxMessageSize: config.maxMessageSize };
        return importMessage({ pipeline, events }, bytes, { ...options, ...limits });
      },
      close(reason = 'Server shutdown') {
        ready = false;
        closing ??= runCleanups(cleanups, reason, logger);
        return closing;
      },
    };
    return core;
  } catch (error) {
    await runCleanups(cleanups, 'Start-up failed', logger);
    throw error;
  }
}

async function loadTls(config: Config, logger: Logger): Promise<TlsCertificate | null> {
  if (config.noStartTls) return null;
  if (config.tlsCertFile && config.tlsKeyFile) {
    const cert = await readPem(config.tlsCertFile, '--tls-cert');
    const key = await readPem(config.tlsKeyFile, '--tls-key');
    return { cert, key };
  }
  const { key, cert } = await loadOrCreateCertificate(config.dataDir, { logger });
  return { key, cert };
}

async function readPem(file: string, option: string): Promise<Buffer> {
  const pem = await readFile(file).catch((error: Error) => {
    throw new Error(`Could not read the ${option} file ${file}: ${error.message}`);
  });
  if (!pem.includes('-----BEGIN')) {
    throw new Error(`The ${option} file ${file} is not in PEM format (no "-----BEGIN" line).`);
  }
  return pem;
}

async function runCleanups(
  cleanups: Array<(reason?: string) => Promise<void> | void>,
  reason: string,
  logger: Logger,
): Promise<void> {
  for (const cleanup of cleanups) {
    try {
      await cleanup(reason);
    } catch (error) {
      logger.error({ err: error }, 'shutdown step failed');
    }
  }
}
