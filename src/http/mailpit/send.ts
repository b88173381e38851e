import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { MailComposerAttachment } from 'nodemailer/lib/mail-composer';

import { ImportError } from '../../import/index.js';
import { cleanTagNames, MAX_TAG_LENGTH, MAX_TAGS_PER_MESSAGE } from '../../store/tags.js';
import { INTAKE_PAUSED_MESSAGE } from '../import-routes.js';
import type { MailpitDeps } from './index.js';
import { field, readJsonBody } from './request.js';

/** Path of Mailpit's send route, which takes bodies up to the message size limit. */
export const SEND_PATH = '/api/v1/send';

/** Headers the request's `Headers` may not set, as in Mailpit 1.30. */
const RESERVED_HEADERS = [
  'To',
  'From',
  'Cc',
  'Bcc',
  'Reply-To',
  'Date',
  'Subject',
  'Content-Type',
  'Mime-Version',
];

const ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+$/;

/** A request error: status 400 (413 for size) with `{"Error": message}`, as Mailpit sends. */
class SendError extends Error {
  override name = 'SendError';
}

interface Mailbox {
  name: string;
  address: string;
}

/**
 * POST /send: builds a message from Mailpit's SendRequest JSON and stores it through the
 * core's pipeline as a local delivery, like an imported file. Bcc recipients stay in a Bcc
 * header, so that they become envelope recipients. Returns `{"ID": "<message id>"}`.
 * While intake is paused it stores nothing and returns 503 with `{"Error": message}`, the
 * HTTP counterpart of the SMTP endpoint's 421/451 reply: a temporary refusal.
 */
export function sendRoutes(deps: MailpitDeps): Hono {
  const routes = new Hono();
  const maxSize = deps.maxMessageSize ?? 50 * 1024 * 1024;

  routes.post(
    '/send',
    bodyLimit({
      maxSize,
      onError: (c) =>
        c.json({ Error: `Request body too large: the limit is ${maxSize} bytes` }, 413),
    }),
    async (c) => {
      if (deps.importMessage === undefined) {
        return c.json({ Error: 'Sending is not available on this server' }, 400);
      }
      if (deps.rules?.intakeState().paused) return c.json({ Error: INTAKE_PAUSED_MESSAGE }, 503);
      const body = await readJsonBody(c);
      if (!body.ok) return c.json({ Error: body.error }, 400);

      let raw: Buffer;
      try {
        raw = await buildSendMessage(body.value);
      } catch (error) {
        if (error instanceof SendError) return c.json({ Error: error.message }, 400);
        throw error;
      }
      return storeMessage(c, deps, raw);
    },
  );

  return routes;
}

async function storeMessage(c: Context, deps: MailpitDeps, raw: Buffer): Promise<Response> {
  try {
    // NOTE: the Basic-auth user of the request is not stored as the message's Username.
    const result = await (deps.importMessage as NonNullable<MailpitDeps['importMessage']>)(raw, {
      source: 'the Mailpit send API (POST /api/v1/send)',
    });
    return c.json({ ID: result.deliveryId });
  } catch (error) {
    if (!(error instanceof ImportError)) throw error;
    const status = raw.length > (deps.maxMessageSize ?? Infinity) ? 413 : 400;
    return c.json({ Error: error.message }, status);
  }
}

/**
 * Builds the raw message of a SendRequest, reading its keys without regard to case as
 * Go's encoding/json does. Throws SendError with Mailpit's message for invalid input.
 */
export async function buildSendMessage(request: unknown): Promise<Buffer> {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    throw new SendError('Invalid request body: expected a JSON object');
  }
  const from = mailbox(field(request, 'From'), 'From');
  if (from === null) throw new SendError('error building message: from not set');
  const to = mailboxes(field(request, 'To'), 'To');
  const cc = mailboxes(field(request, 'Cc'), 'Cc');
  const replyTo = mailboxes(field(request, 'ReplyTo'), 'ReplyTo');
  const bcc = plainAddresses(field(request, 'Bcc'));
  if (to.length + cc.length + bcc.length === 0) {
    throw new SendError('error building message: no recipients (to, cc, bcc) set');
  }
  const tags = stringArray(field(request, 'Tags'), 'Tags');
  checkTagLimits(tags);
  const headers = extraHeaders(field(request, 'Headers'), tags.length > 0);
  if (tags.length > 0) headers['X-Tags'] = tags.join(', ');

  // Imported on the first send, so a server that never sends keeps the composer out of memory.
  const { default: MailComposer } = await import('nodemailer/lib/mail-composer');
  const composer = new MailComposer({
    from,
    to,
    cc,
    bcc,
    replyTo,
    subject: optionalString(field(request, 'Subject'), 'Subject'),
    text: optionalString(field(request, 'Text'), 'Text') || undefined,
    html: optionalString(field(request, 'HTML'), 'HTML') || undefined,
    attachments: attachments(field(request, 'Attachments')),
    headers,
    date: new Date(),
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const node = composer.compile();
  // The Bcc header carries the Bcc recipients into the envelope of the local delivery.
  node.keepBcc = true;
  return node.build();
}

function mailbox(value: unknown, name: string): Mailbox | null {
  if (value === undefined || value === null) return null;
  const email = field(value, 'Email');
  const displayName = field(value, 'Name') ?? '';
  if (typeof email !== 'string' || typeof displayName !== 'string') {
    throw new SendError(`invalid ${name} address: expected {"Email": "...", "Name": "..."}`);
  }
  if (email === '') return null;
  if (!ADDRESS.test(email)) throw new SendError(`invalid ${name} address: ${email}`);
  return { name: displayName, address: email };
}

function mailboxes(value: unknown, name: string): Mailbox[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new SendError(`invalid ${name}: expected an array`);
  return value.map((item) => {
    const entry = mailbox(item, name);
    if (entry === null) throw new SendError(`invalid ${name} address: ""`);
    return entry;
  });
}

function plainAddresses(value: unknown): string[] {
  const list = stringArray(value, 'Bcc');
  for (const address of list) {
    if (!ADDRESS.test(address)) throw new SendError(`invalid Bcc address: ${address}`);
  }
  return list;
}

function stringArray(value: unknown, name: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new SendError(`invalid ${name}: expected an array of strings`);
  }
  return value as string[];
}

/** Rejects Tags that the store would cut down, so that the caller learns of it. */
function checkTagLimits(tags: string[]): void {
  const cleaned = cleanTagNames(tags);
  const tooLong = cleaned.find((name) => name.length > MAX_TAG_LENGTH);
  if (tooLong !== undefined) {
    throw new SendError(
      `invalid Tags: "${tooLong.slice(0, 40)}..." has ${tooLong.length} characters, ` +
        `the maximum is ${MAX_TAG_LENGTH}`,
    );
  }
  if (cleaned.length > MAX_TAGS_PER_MESSAGE) {
    throw new SendError(
      `invalid Tags: ${cleaned.length} tags, the maximum is ${MAX_TAGS_PER_MESSAGE} per message`,
    );
  }
}

function optionalString(value: unknown, name: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new SendError(`invalid ${name}: expected a string`);
  return value;
}

function extraHeaders(value: unknown, hasTags: boolean): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new SendError('invalid Headers: expected an object of header names and values');
  }
  const reserved = hasTags ? [...RESERVED_HEADERS, 'X-Tags'] : RESERVED_HEADERS;
  const headers: Record<string, string> = {};
  for (const [name, headerValue] of Object.entries(value as Record<string, unknown>)) {
    if (reserved.some((item) => item.toLowerCase() === name.toLowerCase())) {
      throw new SendError(`cannot overwrite header: "${name}"`);
    }
    if (typeof headerValue !== 'string' || !/^[!-9;-~]+$/.test(name)) {
      throw new SendError(`invalid header: "${name}"`);
    }
    headers[name] = headerValue;
  }
  return headers;
}

/**
 * Reads the attachments: base64 `Content` (a `data:...;base64,` prefix is allowed),
 * `Filename`, and optional `ContentType` and `ContentID`; a ContentID makes the part
 * inline. Only the given content is used; nodemailer never reads a file or a URL here.
 */
function attachments(value: unknown): MailComposerAttachment[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new SendError('invalid Attachments: expected an array');
  return value.map((item, index) => {
    const content = optionalString(field(item, 'Content'), `Attachments[${index}].Content`);
    const filename = optionalString(field(item, 'Filename'), `Attachments[${index}].Filename`);
    const contentType = optionalString(field(item, 'ContentType'), 'ContentType');
    const contentId = optionalString(field(item, 'ContentID'), 'ContentID');
    const base64 = content.replace(/^data:[^,]*;base64,/i, '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) {
      throw new SendError(`error building message: invalid base64 content in ${filename}`);
    }
    const attachment: MailComposerAttachment = {
      content: Buffer.from(base64, 'base64'),
      filename: filename || false,
    };
    if (contentType !== '') attachment.contentType = contentType;
    if (contentId !== '') {
      attachment.cid = contentId;
      attachment.contentDisposition = 'inline';
    }
    return attachment;
  });
}
