import { abortReason } from '../delivery/abort-reason.js';
import { MemoryBodyBuffer } from '../delivery/body-buffer.js';
import type { EventBus, TranscriptLine } from '../delivery/events.js';
import { causeMessage } from '../delivery/smtp-error.js';
import type { Delivery, DeliveryTarget, MsgMetadata } from '../delivery/types.js';
import { parseHeader, type MessageHeader } from '../message/header.js';
import { newId } from '../util/id.js';
import { FALLBACK_RECIPIENT, envelopeFromHeader, type LocalEnvelope } from './envelope.js';

/** The destination of an imported message: the core's pipeline and event bus, or a test's own. */
export interface ImportTarget {
  pipeline: DeliveryTarget;
  events: EventBus;
}

export interface ImportOptions {
  /** The origin of the message, such as a file path, which the session's transcript records. */
  source: string;
  /** Largest accepted message in bytes. No limit when absent. */
  maxMessageSize?: number;
}

export interface ImportResult {
  /** Id of the committed delivery, which is also the message id. */
  deliveryId: string;
  /** MAIL FROM address used, the empty string for the null sender. */
  mailFrom: string;
  /** Recipients that the pipeline accepted. */
  recipients: string[];
}

/** A message that could not be imported, with the reason in `message` for people to read. */
export class ImportError extends Error {
  override name = 'ImportError';
}

/**
 * Stores a message file (an `.eml`) as a local delivery through the same pipeline as SMTP
 * deliveries, so it gets a delivery row, a trace and live events like any other.
 *
 * The delivery has protocol LOCAL and a session id `local-<delivery id>`, whose
 * transcript notes the source and where the envelope came from (see envelopeFromHeader).
 * Recipients that the pipeline rejects are recorded as rejected and skipped. When it
 * rejects them all, the message goes to FALLBACK_RECIPIENT. Throws ImportError when the
 * bytes are empty, too large or have no header field, and when a step of the delivery
 * fails, after aborting it.
 */
export async function importMessage(
  target: ImportTarget,
  bytes: Buffer,
  options: ImportOptions,
): Promise<ImportResult> {
  checkSize(bytes, options);
  const header = parseHeader(bytes);
  if (header.fields.length === 0) {
    throw new ImportError(
      `${options.source} is not an email message: it starts with no header field.`,
    );
  }

  const envelope = envelopeFromHeader(header);
  const meta = localMetadata(envelope.mailFrom);
  const sessionId = meta.conn.sessionId;
  const note = (text: string): TranscriptLine => ({ at: Date.now(), direction: 'I', text });
  target.events.emit({
    type: 'session.transcript',
    sessionId,
    lines: [
      note(`Imported from ${options.source} (${bytes.length} bytes)`),
      note(describe(envelope)),
    ],
  });

  try {
    let delivery: Delivery;
    try {
      delivery = await target.pipeline.start(meta, envelope.mailFrom);
    } catch (error) {
      throw new ImportError(`Starting the delivery failed: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    const recipients = await deliver(delivery, envelope, bytes, header);
    return { deliveryId: meta.id, mailFrom: envelope.mailFrom, recipients };
  } finally {
    target.events.emit({ type: 'session.closed', sessionId, at: Date.now() });
  }
}

function checkSize(bytes: Buffer, options: ImportOptions): void {
  if (bytes.length === 0) {
    throw new ImportError(`${options.source} is empty.`);
  }
  const limit = options.maxMessageSize;
  if (limit !== undefined && bytes.length > limit) {
    throw new ImportError(
      `${options.source} has ${bytes.length} bytes, more than the message size limit of ` +
        `${limit} bytes.`,
    );
  }
}

/** Adds the recipients, hands over the message and commits; aborts if a step fails. */
async function deliver(
  delivery: Delivery,
  envelope: LocalEnvelope,
  bytes: Buffer,
  header: MessageHeader,
): Promise<string[]> {
  let accepted: string[];
  try {
    accepted = await addRecipients(delivery, envelope.recipients);
    if (accepted.length === 0 && !envelope.usedFallbackRecipient) {
      accepted = await addRecipients(delivery, [FALLBACK_RECIPIENT]);
    }
    await delivery.body(header, new MemoryBodyBuffer(bytes));
  } catch (error) {
    const detail = `The imported message could not be stored: ${causeMessage(error)}`;
    await delivery.abort(abortReason('storage-error', detail));
    throw new ImportError(detail, { cause: error });
  }

  try {
    await delivery.commit();
  } catch (error) {
    // The pipeline has recorded the failed commit as an abort in the trace already.
    throw new ImportError(`Committing the message failed: ${causeMessage(error)}`, {
      cause: error,
    });
  }
  return accepted;
}

/** Adds each recipient and returns those accepted; a rejection is in the trace already. */
async function addRecipients(delivery: Delivery, recipients: string[]): Promise<string[]> {
  const accepted: string[] = [];
  for (const recipient of recipients) {
    try {
      await delivery.addRcpt(recipient);
      accepted.push(recipient);
    } catch {
      continue;
    }
  }
  return accepted;
}

function localMetadata(mailFrom: string): MsgMetadata {
  const id = newId();
  return {
    id,
    startedAt: Date.now(),
    originalFrom: mailFrom,
    mailFrom: { size: null, body: null, smtpUtf8: false, all: {} },
    conn: {
      sessionId: `local-${id}`,
      protocol: 'LOCAL',
      heloName: '',
      localAddress: '',
      localPort: 0,
      remoteAddress: '',
      remotePort: 0,
      tls: null,
      authUser: null,
    },
  };
}

function describe(envelope: LocalEnvelope): string {
  const sender =
    envelope.mailFromHeader === null
      ? 'MAIL FROM:<> (the message has no Return-Path or From header)'
      : `MAIL FROM:<${envelope.mailFrom}> from the ${envelope.mailFromHeader} header`;
  const recipients = envelope.usedFallbackRecipient
    ? `RCPT TO:<${FALLBACK_RECIPIENT}> (the message has no To, Cc or Bcc address)`
    : `${envelope.recipients.length} RCPT TO from the To, Cc and Bcc headers`;
  return `${sender}; ${recipients}`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
