import type { SMTPServerError, SMTPServerSession } from 'smtp-server';

import { toSmtpReply } from '../delivery/smtp-error.js';
import type { SmtpReply } from '../delivery/types.js';
import { sendWithEnhancedCode } from './connection-patch.js';
import type { LimitViolation } from './limit-scanner.js';

/** Outcome of a hook: accept the command (with an optional 250 text), or reject it. */
export type HookOutcome =
  { accepted: true; message?: string } | { accepted: false; reply: SmtpReply };

export const ACCEPTED: HookOutcome = { accepted: true };

export function rejected(reply: SmtpReply): HookOutcome {
  return { accepted: false, reply };
}

/** RFC 5321 section 4.2.3: a command out of order, such as RCPT TO before MAIL FROM. */
export const BAD_SEQUENCE_REPLY: SmtpReply = {
  code: 503,
  enhancedCode: '5.5.1',
  message: 'Error: need MAIL command',
};

/** The reply for an error without an SMTP reply of its own, as `toSmtpReply` builds it. */
export const LOCAL_ERROR_REPLY: SmtpReply = toSmtpReply(null);

/** RFC 3463: 4.3.2 is "system not accepting network messages". */
export const SHUTDOWN_REPLY: SmtpReply = {
  code: 421,
  enhancedCode: '4.3.2',
  message: 'Server shutting down',
};

/** Builds the reply to a message over the size limit (RFC 1870, and 5.3.4 from RFC 3463). */
export function messageTooLargeReply(maxBytes: number): SmtpReply {
  return {
    code: 552,
    enhancedCode: '5.3.4',
    message: `Error: message exceeds fixed maximum message size of ${maxBytes} bytes`,
  };
}

/**
 * Builds the reply to a message that broke a header or line limit. RFC 5321 section
 * 4.2.2 gives 552 for exceeded storage allocation, and RFC 3463 5.3.4 is "message too big
 * for system" and 5.6.0 "other or undefined media error", for a line no parser should hold.
 */
export function limitExceededReply(violation: LimitViolation): SmtpReply {
  switch (violation.limit) {
    case 'header-size':
      return {
        code: 552,
        enhancedCode: '5.3.4',
        message: `Error: message header exceeds fixed maximum size of ${violation.maxBytes} bytes`,
      };
    case 'header-lines':
      return {
        code: 552,
        enhancedCode: '5.3.4',
        message: `Error: message header exceeds fixed maximum of ${violation.maxLines} lines`,
      };
    case 'line-length':
      return {
        code: 554,
        enhancedCode: '5.6.0',
        message:
          `Error: line ${violation.lineNumber} of the message exceeds fixed maximum line ` +
          `length of ${violation.maxBytes} bytes`,
      };
  }
}

/** The enhanced code of the 250 reply to the final dot (RFC 3463: 2.0.0, success). */
const QUEUED_ENHANCED_CODE = '2.0.0';

/**
 * Completes a hook with its outcome. smtp-server sends the reply when the callback runs,
 * and `sendWithEnhancedCode` makes that reply carry the outcome's enhanced code.
 */
export function completeHook(
  session: SMTPServerSession,
  callback: (error?: SMTPServerError | null, message?: string) => void,
  outcome: HookOutcome,
): void {
  if (outcome.accepted) {
    if (outcome.message === undefined) {
      callback();
      return;
    }
    const message = outcome.message;
    sendWithEnhancedCode(session, 250, QUEUED_ENHANCED_CODE, () => callback(null, message));
    return;
  }

  const { reply } = outcome;
  const error: SMTPServerError = Object.assign(new Error(reply.message), {
    responseCode: reply.code,
  });
  sendWithEnhancedCode(session, reply.code, reply.enhancedCode, () => callback(error));
}
