import { ReleaseRequestError, type MessageRelay } from '../../relay/relay.js';
import { field } from '../mailpit/request.js';

/** The outcome of a MailHog release request: an empty 200 or 404, or an error to return. */
export type MailhogReleaseResult = { status: 200 | 404 } | { status: 400 | 500; error: string };

/**
 * Runs MailHog's release, `POST /api/v1/messages/{id}/release` with the JSON body
 * `{"Email", "Host", "Port", "Username", "Password", "Mechanism"}` (keys in any case, as
 * Go's encoding/json reads them), through the configured relay, like Mailscope's own
 * release: release is off without a relay server, the allowlist applies, and the result
 * is recorded on the message with the trigger `mailpit`.
 *
 * The message goes to `Email` through the configured relay server only. `Host` and `Port`
 * may be left out. When given, they must name that server, so that the `mailhog` npm
 * client's `releaseMessage(id, { host, port, email })` works when it names the relay. The
 * host is compared without regard to case and without resolving it. Any other server is
 * rejected before a connection is made. `Username`, `Password`, `Mechanism`, `Name` and
 * `Save` are ignored because the relay settings contain the credentials.
 */
export async function releaseToRelay(
  relay: MessageRelay | undefined,
  id: string,
  body: string,
): Promise<MailhogReleaseResult> {
  let request: unknown;
  try {
    request = JSON.parse(body) as unknown;
  } catch {
    return { status: 400, error: 'Invalid request body: expected JSON with Email, Host and Port.' };
  }
  const email = field(request, 'Email');
  if (typeof email !== 'string' || email.trim() === '') {
    return { status: 400, error: 'Invalid request body: Email is required.' };
  }

  const server = relay?.settings.server ?? null;
  if (relay === undefined || server === null) {
    return {
      status: 400,
      error:
        'Release is off: no relay server is configured. Set one with --relay-server or in the relay settings.',
    };
  }
  const mismatch = serverMismatch(request, server);
  if (mismatch !== null) return { status: 400, error: mismatch };

  try {
    // The relay reads its settings when called, with no await since the check above,
    // so the server that was checked is the one it connects to.
    const record = await relay.release(id, { to: [email], trigger: 'mailpit' });
    if (record.outcome === 'sent') return { status: 200 };
    if (record.outcome === 'not-allowed') {
      return { status: 400, error: record.error ?? 'Not released: the allowlist rejected it.' };
    }
    return { status: 500, error: `Release failed: ${record.error ?? 'unknown failure'}` };
  } catch (error) {
    if (!(error instanceof ReleaseRequestError)) throw error;
    return error.kind === 'not-found' ? { status: 404 } : { status: 400, error: error.message };
  }
}

/**
 * Compares the request's Host and Port with the configured relay server. Returns null when
 * they are absent or name it, else the error to return.
 */
function serverMismatch(request: unknown, server: { host: string; port: number }): string | null {
  const host = field(request, 'Host');
  const port = field(request, 'Port');
  const configured = `${server.host}:${server.port}`;
  const hint = `Mailscope releases only to the configured relay server ${configured}: give that Host and Port, or leave them out.`;

  if (host !== undefined && host !== null && host !== '') {
    if (typeof host !== 'string') return `Invalid Host: expected a string. ${hint}`;
    if (bareHost(host) !== bareHost(server.host))
      return `Host ${host} is not the relay server. ${hint}`;
  }
  if (port !== undefined && port !== null && port !== '') {
    const number = typeof port === 'number' ? port : Number(typeof port === 'string' ? port : NaN);
    if (!Number.isInteger(number))
      return `Invalid Port ${String(port)}: expected a number. ${hint}`;
    if (number !== server.port) return `Port ${number} is not the relay server's. ${hint}`;
  }
  return null;
}

/** Lowercases a host name and removes the brackets of an IPv6 literal. */
function bareHost(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
}
