import { Hono, type Context } from 'hono';

import type { ReleaseRecord } from '../relay/release-records.js';
import { MessageRelay, ReleaseRequestError } from '../relay/relay.js';
import { toRelaySettingsView, type RelaySettingsView } from '../relay/settings.js';
import { RelaySettingsSaveError } from '../relay/stored-settings.js';
import type { Store } from '../store/index.js';
import { apiError } from './responses.js';

/** HTTP status of each reason a release was not attempted. */
const REQUEST_ERROR_STATUS = { 'not-found': 404, disabled: 409, invalid: 400 } as const;

/** The body of POST /messages/:id/release. */
export interface ReleaseRequestBody {
  /** Addresses to send to; missing or empty sends to the original envelope recipients. */
  to?: string[];
}

/**
 * Routes of the relay: its settings (GET and PUT /relay), releasing a message
 * (POST /messages/:id/release) and the results of its releases (GET /messages/:id/releases).
 */
export function releaseRoutes(relay: MessageRelay, store: Store): Hono {
  const routes = new Hono();

  routes.get('/relay', (c) =>
    c.json(toRelaySettingsView(relay.settings) satisfies RelaySettingsView),
  );

  routes.put('/relay', async (c) => {
    const body = await readJson(c);
    try {
      relay.updateSettings(body);
    } catch (error) {
      const status = error instanceof RelaySettingsSaveError ? 500 : 400;
      return apiError(c, status, (error as Error).message);
    }
    return c.json(toRelaySettingsView(relay.settings) satisfies RelaySettingsView);
  });

  routes.get('/messages/:id/releases', (c) => {
    const id = c.req.param('id');
    if (store.queries.getMessageSubject(id) === null) {
      return apiError(c, 404, `Message ${id} not found.`);
    }
    return c.json({ releases: relay.records.list(id) } satisfies { releases: ReleaseRecord[] });
  });

  routes.post('/messages/:id/release', async (c) => {
    const id = c.req.param('id');
    const body = await readJson(c);
    const to = (body as ReleaseRequestBody | null)?.to;
    if (
      body === undefined ||
      (to !== undefined && (!Array.isArray(to) || !to.every((item) => typeof item === 'string')))
    ) {
      return apiError(
        c,
        400,
        'Invalid request body: expected JSON such as {"to": ["user@example.test"]}.',
      );
    }
    try {
      const record = await relay.release(id, { to, trigger: 'manual' });
      return c.json(record satisfies ReleaseRecord, releaseStatus(record));
    } catch (error) {
      if (!(error instanceof ReleaseRequestError)) throw error;
      const status = REQUEST_ERROR_STATUS[error.kind];
      return apiError(c, status, error.message);
    }
  });

  return routes;
}

/**
 * Returns the status of a recorded release: 200 when sent, 403 when the allowlist
 * rejected a recipient (nothing was sent), 502 when the relay server failed it.
 */
export function releaseStatus(record: ReleaseRecord): 200 | 403 | 502 {
  const statuses = { sent: 200, 'not-allowed': 403, failed: 502 } as const;
  return statuses[record.outcome];
}

/** Reads a JSON body: null when the body is empty, undefined when it is not JSON. */
async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
