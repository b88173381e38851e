import type { Config } from './config.js';
import type { EventBus } from './delivery/events.js';
import { buildMessageSummary } from './http/mailpit/index.js';
import { readPackageVersion } from './http/server-routes.js';
import type { Logger } from './log.js';
import { AutoRelay } from './relay/auto-relay.js';
import { MessageRelay } from './relay/relay.js';
import type { Store } from './store/index.js';
import { WebhookSender } from './webhook/webhook.js';

/** The work that runs after a delivery commits: release, automatic relay and the webhook. */
export interface AfterCommitServices {
  relay: MessageRelay;
  autoRelay: AutoRelay;
  /** The webhook sender, or null when no webhook URL is configured. */
  webhook: WebhookSender | null;
  /** Unsubscribes from the bus and abandons queued work. */
  close(): void;
}

/**
 * Starts the relay and the webhook. Both subscribe to committed deliveries on `events` and
 * only queue work there, so neither can change or delay an SMTP reply.
 */
export function startAfterCommitServices(options: {
  config: Config;
  store: Store;
  events: EventBus;
  logger: Logger;
}): AfterCommitServices {
  const { config, store, events, logger } = options;
  const relayLogger = logger.child({ module: 'relay' });
  const relay = new MessageRelay({
    store,
    logger: relayLogger,
    settings: config.relay,
    optionFields: config.relayOptionFields,
  });
  const autoRelay = new AutoRelay({
    bus: events,
    relay,
    matcher: (id, query) => store.queries.messageMatches(id, query),
    logger: relayLogger,
  });

  const server = relay.settings.server;
  if (server !== null) {
    relayLogger.info(
      { server, tls: relay.settings.tls, relayMatching: relay.settings.relayMatching },
      'release enabled',
    );
  }

  const webhook =
    config.webhook === undefined || config.webhook === null
      ? null
      : new WebhookSender({
          ...config.webhook,
          bus: events,
          buildPayload: (id) => buildMessageSummary(store, id),
          logger: logger.child({ module: 'webhook' }),
          userAgent: `Mailscope/${readPackageVersion()}`,
        });
  if (webhook !== null) {
    logger.info({ url: config.webhook?.url }, 'webhook enabled');
  }

  return {
    relay,
    autoRelay,
    webhook,
    close() {
      autoRelay.close();
      webhook?.close();
    },
  };
}
