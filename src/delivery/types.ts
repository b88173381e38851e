import type { BodyBuffer } from './body-buffer.js';
import type { MessageHeader } from '../message/header.js';
import type { AbortReason } from './abort-reason.js';

/**
 * Protocol name of a connection, as RFC 3848 spells it for the `with` clause of a
 * Received header. `LOCAL` marks deliveries that did not come over SMTP (imported files).
 */
export type ProtocolName = 'SMTP' | 'ESMTP' | 'ESMTPS' | 'ESMTPA' | 'ESMTPSA' | 'LOCAL';

/** TLS details of a connection that completed STARTTLS or connected over implicit TLS. */
export interface TlsState {
  /** Negotiated protocol version, such as `TLSv1.3`. */
  version: string;
  /** Negotiated cipher suite name, such as `TLS_AES_256_GCM_SHA384`. */
  cipher: string;
}

/** State of the connection a delivery arrived on. */
export interface ConnState {
  /** Id of the SMTP session, the same id that its log lines and transcript carry. */
  sessionId: string;
  protocol: ProtocolName;
  /** Name the client gave in HELO or EHLO, as sent. */
  heloName: string;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  tls: TlsState | null;
  /** User name accepted by AUTH, or null for an unauthenticated session. */
  authUser: string | null;
}

/** Parameters given on the MAIL FROM command. */
export interface MailFromParams {
  /** Declared message size from `SIZE=`, in bytes. */
  size: number | null;
  /** `BODY=` value, upper-cased: `7BIT`, `8BITMIME` or `BINARYMIME`. */
  body: string | null;
  /** True when the client asked for SMTPUTF8 (RFC 6531). */
  smtpUtf8: boolean;
  /** Every parameter as sent, keys upper-cased; a parameter without a value maps to true. */
  all: Record<string, string | true>;
}

/** Metadata a target receives when a delivery starts. */
export interface MsgMetadata {
  /** Public id of the delivery, also used for the message it commits. */
  id: string;
  /** Time the delivery started (MAIL FROM was accepted), in milliseconds since the epoch. */
  startedAt: number;
  /** MAIL FROM address exactly as the client sent it, before any cleaning. */
  originalFrom: string;
  mailFrom: MailFromParams;
  conn: ConnState;
}

/**
 * An SMTP reply for a failure: the basic code, the enhanced status code (RFC 3463)
 * and a short text that is safe to send to the client.
 */
export interface SmtpReply {
  code: number;
  enhancedCode: string;
  message: string;
}

/**
 * A place that deliveries go to: the SQLite store, and any further targets.
 *
 * Addresses reach a target already cleaned by the caller: the domain is in canonical
 * form (IDNA A-labels converted to U-labels, NFC-normalised, case-folded) and the local
 * part is passed as received. The null reverse path is passed as the empty string.
 */
export interface DeliveryTarget {
  /** Name used in logs and in the trace when this target rejects something. */
  readonly name: string;

  /**
   * Begins a delivery from `mailFrom` and returns the handle for the rest of it.
   *
   * Rejecting here (with an SmtpError) refuses the MAIL FROM command. Nothing the target
   * does here may be visible to readers until `commit`.
   */
  start(meta: MsgMetadata, mailFrom: string): Promise<Delivery>;
}

/**
 * One delivery in progress on one target.
 *
 * The calls arrive in this order: `addRcpt` zero or more times, then `body`, then
 * `commit`. `abort` may come at any point before `commit`, and also after a failed
 * `body`; it is never called after `commit`, and never twice.
 */
export interface Delivery {
  /**
   * Adds one recipient.
   *
   * Rejects with an SmtpError for a recipient the target cannot take; the SMTP client
   * sees that reply for this RCPT TO only. A duplicate of a recipient already added
   * (the same address after the target's own lookup folding) is ignored silently and
   * resolves, because callers do no de-duplication of their own.
   */
  addRcpt(rcptTo: string): Promise<void>;

  /**
   * Hands over the message: the header block parsed in order, and the whole message
   * (header and body bytes, as received after dot-unstuffing) as a re-readable buffer.
   *
   * A rejection makes the message undeliverable to every recipient, and the caller then
   * aborts the delivery. The buffer stays valid until `commit` or `abort` returns; a
   * target that needs the bytes later copies them.
   */
  body(header: MessageHeader, body: BodyBuffer): Promise<void>;

  /**
   * Completes the delivery and makes it visible to readers in one step.
   *
   * It should not fail: when several targets take part, a failure here, after others
   * have committed, breaks atomicity. Heavy or fallible work belongs in `body`.
   */
  commit(): Promise<void>;

  /** Cancels the delivery and rolls back every change made since `start`. */
  abort(reason: AbortReason): Promise<void>;
}

/** Receives the outcome of a non-atomic body per recipient. */
export interface StatusCollector {
  /** Records the outcome for one recipient: null for delivered, or the failure reply. */
  setStatus(rcptTo: string, failure: SmtpReply | null): void;
}

/**
 * A delivery that can fail the body for some recipients only, as LMTP reports per
 * recipient. A caller that uses `bodyNonAtomic` does not call `body`.
 */
export interface PartialDelivery extends Delivery {
  bodyNonAtomic(collector: StatusCollector, header: MessageHeader, body: BodyBuffer): Promise<void>;
}

/** Tells whether a delivery also supports per-recipient body failures. */
export function isPartialDelivery(delivery: Delivery): delivery is PartialDelivery {
  return typeof (delivery as Partial<PartialDelivery>).bodyNonAtomic === 'function';
}
