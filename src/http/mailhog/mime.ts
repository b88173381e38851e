/** MailHog's Content: a header map, the still-encoded body, its size and nested MIME. */
export interface MailhogContent {
  Headers: Record<string, string[]>;
  Body: string;
  Size: number;
  MIME: null;
}

/**
 * Header names that the `mailhog` npm client looks up with this exact case. A sender's
 * `content-type` is returned as `Content-Type` so that the client finds it; MailHog
 * itself keeps the sender's case.
 */
const CANONICAL_NAMES = new Map(
  [
    'Subject',
    'From',
    'To',
    'Cc',
    'Bcc',
    'Reply-To',
    'Date',
    'Message-ID',
    'Content-Type',
    'Content-Transfer-Encoding',
    'Content-Disposition',
    'Content-ID',
    'MIME-Version',
    'Received',
    'Return-Path',
  ].map((name) => [name.toLowerCase(), name]),
);

/** Splits raw text into its header block and its body at the first empty line. */
export function splitEntity(raw: string): { header: string; body: string } {
  const match = /\r?\n\r?\n/.exec(raw);
  if (match === null) return { header: raw, body: '' };
  return { header: raw.slice(0, match.index), body: raw.slice(match.index + match[0].length) };
}

/**
 * Reads a header block as MailHog does: folded lines are joined, and a repeated field
 * keeps only its last value, except `Received`, which keeps every value in order.
 */
export function parseHeaderBlock(header: string): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  const unfolded = header.replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const rawName = line.slice(0, colon).trim();
    const name = CANONICAL_NAMES.get(rawName.toLowerCase()) ?? rawName;
    const value = line.slice(colon + 1).trim();
    if (name === 'Received' && headers[name] !== undefined) headers[name].push(value);
    else headers[name] = [value];
  }
  return headers;
}

export function toContent(raw: string): MailhogContent {
  const { header, body } = splitEntity(raw);
  return {
    Headers: parseHeaderBlock(header),
    Body: body,
    Size: Buffer.byteLength(raw),
    MIME: null,
  };
}

/** Nesting depth at which splitting stops, so that a crafted message cannot recurse deeply. */
const MAX_DEPTH = 20;

/**
 * Lists the leaf parts of a multipart entity depth first, each with its own headers and
 * encoded body. MailHog nests the parts of an inner multipart, where the client cannot
 * see them. A flat list lets the client find a text part inside multipart/alternative.
 * Returns null for an entity that is not multipart, as MailHog does.
 */
export function leafParts(raw: string): MailhogContent[] | null {
  const { header, body } = splitEntity(raw);
  const boundary = boundaryOf(parseHeaderBlock(header));
  if (boundary === null) return null;
  const leaves: MailhogContent[] = [];
  collectLeaves(body, boundary, leaves, 0);
  return leaves;
}

function collectLeaves(
  body: string,
  boundary: string,
  into: MailhogContent[],
  depth: number,
): void {
  for (const part of splitMultipart(body, boundary)) {
    const content = toContent(part);
    const inner = boundaryOf(content.Headers);
    if (inner !== null && depth < MAX_DEPTH) collectLeaves(content.Body, inner, into, depth + 1);
    else into.push(content);
  }
}

function boundaryOf(headers: Record<string, string[]>): string | null {
  const type = headers['Content-Type']?.[0] ?? '';
  if (!/^\s*multipart\//i.test(type)) return null;
  const match = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(type);
  return match?.[1] ?? match?.[2] ?? null;
}

/** Splits a multipart body on its boundary lines, dropping the preamble and epilogue. */
function splitMultipart(body: string, boundary: string): string[] {
  const lines = body.split(/\r?\n/);
  const delimiter = `--${boundary}`;
  const parts: string[] = [];
  let current: string[] | null = null;
  for (const line of lines) {
    const trimmed = line.trimEnd();
    if (trimmed === delimiter || trimmed === `${delimiter}--`) {
      if (current !== null) parts.push(current.join('\r\n'));
      if (trimmed.endsWith('--') && trimmed !== delimiter) return parts;
      current = [];
    } else if (current !== null) {
      current.push(line);
    }
  }
  if (current !== null) parts.push(current.join('\r\n'));
  return parts;
}
