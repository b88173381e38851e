import type { SmtpReply } from './types.js';

/**
 * A failure that maps onto one SMTP reply. Targets throw it to reject a sender, a
 * recipient or a message; the SMTP endpoint sends its code, enhanced code and message.
 * The message goes to the client as it is, so it must not carry internal details: put
 * those in `cause`, which only the log records.
 */
export class SmtpError extends Error implements SmtpReply {
  override name = 'SmtpError';
  readonly code: number;
  readonly enhancedCode: string;

  constructor(code: number, enhancedCode: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.enhancedCode = enhancedCode;
  }

  /** True for a 4xx reply, after which the client may try again. */
  get temporary(): boolean {
    return this.code >= 400 && this.code < 500;
  }

  toReply(): SmtpReply {
    return { code: this.code, enhancedCode: this.enhancedCode, message: this.message };
  }
}

/**
 * Maps any error onto the SMTP reply to send. An SmtpError keeps its own reply. Any other
 * error becomes a temporary local error, so that the client retries rather than drops
 * the message, and its details stay in the log.
 */
export function toSmtpReply(error: unknown): SmtpReply {
  if (error instanceof SmtpError) {
    return error.toReply();
  }
  return {
    code: 451,
    enhancedCode: '4.3.0',
    message: 'Local error in processing, try again later',
  };
}

/** Maximum depth followed along a chain of SmtpError causes, which could form a cycle. */
const MAX_CAUSE_DEPTH = 10;

/**
 * Returns the message of the failure behind `error`. For an SmtpError with a `cause`,
 * that is the innermost cause, because the SmtpError's own message is the generic reply
 * sent to the client. For any other error it is the error's own message.
 */
export function causeMessage(error: unknown): string {
  let current = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH; depth += 1) {
    if (!(current instanceof SmtpError) || current.cause === undefined) {
      break;
    }
    current = current.cause;
  }
  return current instanceof Error ? current.message : String(current);
}
