import { Hono } from 'hono';

import { ReleaseRequestError, type MessageRelay } from '../../relay/relay.js';

/**
 * Mailpit's release route, POST /message/{id}/release with `{"To": [...]}`, mounted under
 * /api/v1. It runs the same release as Mailscope's API and responds as Mailpit 1.2x does:
 * the text `ok`, or status 400 with a text error (404 for an unknown message). The texts
 * `No valid addresses found`, `Failed: Address(es) do not match the allowlist: ...` and
 * `SMTP error: ...` are Mailpit's, so that clients matching them keep working.
 */
export function mailpitReleaseRoutes(relay: MessageRelay | undefined): Hono {
  const routes = new Hono();

  routes.post('/message/:id/release', async (c) => {
    if (relay === undefined || relay.settings.server === null) {
      return c.text('Message relay is disabled: no relay server is configured.', 400);
    }
    let body: unknown;
    try {
      const text = await c.req.text();
      body = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      return c.text(
        'Invalid request body: expected JSON such as {"To": ["user@example.test"]}.',
        400,
      );
    }
    const to = (body as { To?: unknown } | null)?.To ?? [];
    if (!Array.isArray(to) || !to.every((item) => typeof item === 'string')) {
      return c.text('Invalid To: expected an array of addresses.', 400);
    }
    if (to.length === 0) return c.text('No valid addresses found', 400);

    try {
      const record = await relay.release(c.req.param('id'), {
        to,
        trigger: 'mailpit',
      });
      if (record.outcome === 'sent') return c.text('ok');
      if (record.outcome === 'not-allowed') {
        const notAllowed = record.rejected.map((entry) => entry.address);
        const noun = notAllowed.length === 1 ? 'Address' : 'Addresses';
        return c.text(`Failed: ${noun} do not match the allowlist: ${notAllowed.join(', ')}`, 400);
      }
      return c.text(`SMTP error: ${record.error ?? 'unknown failure'}`, 400);
    } catch (error) {
      if (!(error instanceof ReleaseRequestError)) throw error;
      return c.text(error.message, error.kind === 'not-found' ? 404 : 400);
    }
  });

  return routes;
}
