import type { MessageHeader } from '../message/header.js';
import { SmtpError } from './smtp-error.js';
import type { MsgMetadata } from './types.js';

/** The failure rule that decided a step, as the trace and the API name it. */
export interface RuleRef {
  id: string;
  name: string;
}

/**
 * A reply that a failure rule chose. The pipeline records the rule with the rejected step,
 * and an abort that follows it is recorded with the abort kind `rule`.
 */
export class RuleError extends SmtpError {
  override name = 'RuleError';

  constructor(
    readonly rule: RuleRef,
    reply: { code: number; enhancedCode: string; message: string },
  ) {
    super(reply.code, reply.enhancedCode, reply.message);
  }
}

/**
 * The failure rules that the pipeline consults at MAIL FROM, at each RCPT TO and at the
 * end of data, before the targets see the step. Each method resolves to let the step go
 * on (possibly after a delay), or rejects with a RuleError to refuse it. Addresses are
 * already cleaned.
 */
export interface DeliveryRules {
  mailFrom(meta: MsgMetadata, mailFrom: string): Promise<void>;
  rcptTo(meta: MsgMetadata, mailFrom: string, rcptTo: string): Promise<void>;
  endOfData(
    meta: MsgMetadata,
    mailFrom: string,
    recipients: readonly string[],
    header: MessageHeader,
  ): Promise<void>;
}
