import { statSync } from 'node:fs';

import { Hono } from 'hono';

import type { MailpitDeps } from './index.js';

/**
 * GET /info (Mailpit's AppInformation) and GET /webui (its WebUIConfiguration). The SMTP
 * figures come from the deliveries still stored; MessagesDeleted counts deletions made
 * through the API since this server started.
 */
export function infoRoutes(deps: MailpitDeps): Hono {
  const { store } = deps;
  const now = deps.now ?? Date.now;
  const startedAt = now();
  let deleted = 0;
  deps.events.subscribeUserEvents((event) => {
    if (event.type === 'message.deleted') deleted += 1;
    if (event.type === 'messages.cleared') deleted += event.deleted;
  });
  const smtpStatement = store.db.prepare(`
    SELECT
      COALESCE(SUM(state = 'committed'), 0) AS accepted,
      COALESCE(SUM(CASE WHEN state = 'committed' THEN size ELSE 0 END), 0) AS acceptedSize,
      COALESCE(SUM(state = 'aborted'), 0) AS rejected
    FROM deliveries`);

  const routes = new Hono();

  routes.get('/info', (c) => {
    const counts = store.queries.counts();
    const smtp = smtpStatement.get() as {
      accepted: number;
      acceptedSize: number;
      rejected: number;
    };
    return c.json({
      Version: deps.version,
      LatestVersion: 'disabled',
      Database: store.path,
      DatabaseSize: databaseSize(store.path),
      Messages: counts.messages,
      Unread: counts.unread,
      Tags: Object.fromEntries(store.queries.countTags().map((tag) => [tag.name, tag.messages])),
      RuntimeStats: {
        Uptime: Math.floor((now() - startedAt) / 1000),
        Memory: process.memoryUsage().rss,
        MessagesDeleted: deleted,
        SMTPAccepted: smtp.accepted,
        SMTPAcceptedSize: smtp.acceptedSize,
        SMTPRejected: smtp.rejected,
        SMTPIgnored: 0,
      },
    });
  });

  routes.get('/webui', (c) => c.json(webUiConfiguration(deps)));

  return routes;
}

/** Size of the database file with its write-ahead log, in bytes; 0 for `:memory:`. */
function databaseSize(path: string): number {
  if (path === ':memory:' || path === '') return 0;
  let size = 0;
  for (const file of [path, `${path}-wal`]) {
    try {
      size += statSync(file).size;
    } catch {
      // A missing write-ahead log adds nothing.
    }
  }
  return size;
}

/**
 * Builds Mailpit's WebUIConfiguration from the relay settings and the failure rules. The
 * relay fields stay empty while release is off, as in Mailpit.
 */
function webUiConfiguration(deps: MailpitDeps) {
  const relay = deps.relay?.settings ?? null;
  const server = relay?.server ?? null;
  const allowed = server === null ? '' : (relay?.allowedRecipients ?? []).join(',');
  return {
    Label: '',
    MessageRelay: {
      Enabled: server !== null,
      SMTPServer: server === null ? '' : `${server.host}:${server.port}`,
      ReturnPath: server === null ? '' : (relay?.from ?? ''),
      AllowedRecipients: allowed,
      BlockedRecipients: '',
      OverrideFrom: '',
      PreserveMessageIDs: server !== null,
      RecipientAllowlist: allowed,
    },
    SpamAssassin: false,
    ChaosEnabled: deps.rules !== undefined,
    DuplicatesIgnored: false,
    HideDeleteAllButton: false,
  };
}
