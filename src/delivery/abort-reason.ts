import type { RuleRef } from './rule-hooks.js';

/**
 * The reason a delivery was aborted. The kind is stable and machine-readable (API filters and
 * the trace use it); the detail is a human-readable sentence for the timeline.
 */
export type AbortKind =
  /** The client sent RSET, or HELO/EHLO, which resets the transaction. */
  | 'client-reset'
  /** The client began a new transaction with MAIL FROM while this one was open. */
  | 'new-transaction'
  /** The connection closed or was reset before the transaction finished. */
  | 'client-disconnected'
  /** The client sent nothing for longer than the session timeout. */
  | 'timeout'
  /** The message was larger than the size limit. */
  | 'size-limit'
  /** Every recipient was rejected, or DATA came with no accepted recipient. */
  | 'no-recipients'
  /** A failure rule asked for this outcome. */
  | 'rule'
  /** The message could not be parsed. */
  | 'parse-error'
  /** A target failed while staging or storing the message. */
  | 'storage-error'
  /** The server shut down with the transaction open. */
  | 'server-shutdown';

export interface AbortReason {
  kind: AbortKind;
  /** A sentence for people, such as the SMTP reply sent or the error message. */
  detail: string;
  /** The failure rule behind an abort of kind `rule`. */
  rule?: RuleRef;
}

/** Builds an abort reason. */
export function abortReason(kind: AbortKind, detail: string, rule?: RuleRef): AbortReason {
  return rule === undefined ? { kind, detail } : { kind, detail, rule };
}
