import { ConfigError } from '../config.js';
import { DEFAULT_WEBHOOK_OPTIONS, type WebhookOptions } from './webhook.js';

/** The webhook's command-line options, in the form node:util parseArgs takes. */
export const WEBHOOK_CLI_OPTIONS = {
  'webhook-url': { type: 'string' },
  'webhook-limit': { type: 'string' },
} as const;

export const WEBHOOK_HELP = `  --webhook-url URL         POST a JSON summary of each new message to this
                            http or https URL (MAILSCOPE_WEBHOOK_URL)
  --webhook-limit N         most webhook requests per second, 0 for no limit
                            (MAILSCOPE_WEBHOOK_LIMIT), default 1; messages beyond
                            it wait in a queue of 1000
`;

/** Reads the webhook settings; returns null when no URL is set. Throws ConfigError. */
export function parseWebhookOptions(
  values: { 'webhook-url'?: string; 'webhook-limit'?: string },
  pick: (option: string | undefined, variable: string) => string | undefined,
): WebhookOptions | null {
  const url = pick(values['webhook-url'], 'MAILSCOPE_WEBHOOK_URL');
  const limit = pick(values['webhook-limit'], 'MAILSCOPE_WEBHOOK_LIMIT');
  if (url === undefined) return null;

  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`Invalid --webhook-url value "${url}": expected an http or https URL.`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(`Invalid --webhook-url value "${url}": expected an http or https URL.`);
  }

  const rate = limit === undefined ? DEFAULT_WEBHOOK_OPTIONS.ratePerSecond : Number(limit);
  if (limit !== undefined && (!/^\d+(\.\d+)?$/.test(limit.trim()) || !Number.isFinite(rate))) {
    throw new ConfigError(
      `Invalid --webhook-limit value "${limit}": expected requests per second, 0 for no limit.`,
    );
  }
  return { ...DEFAULT_WEBHOOK_OPTIONS, url: parsed.href, ratePerSecond: rate };
}
