import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';

import type { Logger } from 'pino';
import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';

import { abortReason, type AbortReason } from '../delivery/abort-reason.js';
import type { BodyBuffer } from '../delivery/body-buffer.js';
import { RuleError } from '../delivery/rule-hooks.js';
import { causeMessage, SmtpError, toSmtpReply } from '../delivery/smtp-error.js';
import type { DeliveryTarget, SmtpReply } from '../delivery/types.js';
import type { MessageHeader } from '../message/header.js';
import { addressAsSent } from './connection-patch.js';
import { readMessage, type MessageLimits, type ReadResult } from './message-reader.js';
import { buildMsgMetadata } from './metadata.js';
import {
  ACCEPTED,
  BAD_SEQUENCE_REPLY,
  LOCAL_ERROR_REPLY,
  SHUTDOWN_REPLY,
  limitExceededReply,
  messageTooLargeReply,
  rejected,
  type HookOutcome,
} from './replies.js';
import { Transaction, type SessionState } from './session-state.js';

/**
 * Maps MAIL FROM, RCPT TO and DATA onto the delivery contract: MAIL FROM starts a
 * delivery on the target, RCPT TO adds a recipient, and DATA reads the message, hands it
 * to `body` and commits. Each method returns the outcome that the endpoint sends.
 */
export class TransactionHandlers {
  constructor(
    private readonly target: DeliveryTarget,
    private readonly limits: MessageLimits,
  ) {}

  async mailFrom(
    state: SessionState,
    session: SMTPServerSession,
    address: SMTPServerAddress,
  ): Promise<HookOutcome> {
    // A transaction that RSET or a new MAIL FROM discarded finishes its abort first.
    await state.settled();

    const meta = buildMsgMetadata(session, address);
    const logger = state.logger.child({ msgId: meta.id });
    let transaction: Transaction;
    try {
      const delivery = await this.target.start(meta, addressAsSent(address));
      transaction = new Transaction(meta, delivery, logger);
    } catch (error) {
      return rejected(logRejection(logger, error, 'MAIL FROM'));
    }

    await state.adopt(transaction);
    return ACCEPTED;
  }

  async rcptTo(state: SessionState, address: SMTPServerAddress): Promise<HookOutcome> {
    const transaction = state.transaction;
    if (transaction === null || transaction.phase !== 'open') {
      return rejected(BAD_SEQUENCE_REPLY);
    }
    try {
      await transaction.run((delivery) => delivery.addRcpt(addressAsSent(address)));
    } catch (error) {
      const reply = logRejection(transaction.logger, error, 'RCPT TO');
      noteRuleRejection(transaction, error, `RCPT TO <${addressAsSent(address)}>`);
      return rejected(reply);
    }
    transaction.recipientCount += 1;
    return ACCEPTED;
  }

  /** Reads the message to the final dot, then hands it over and commits. */
  async data(state: SessionState, stream: Readable): Promise<HookOutcome> {
    const transaction = state.transaction;
    if (transaction === null || transaction.phase !== 'open') {
      // smtp-server calls onData only after an accepted RCPT TO, so a timeout or a
      // shutdown aborted the transaction in the meantime. The reply waits for the final
      // dot, as smtp-server would make it wait anyway.
      stream.resume();
      await finished(stream).catch(() => undefined);
      return rejected(interruptedReply(state));
    }

    transaction.phase = 'receiving';
    let result: ReadResult;
    try {
      result = await readMessage(stream, this.limits);
    } catch (error) {
      transaction.phase = 'finishing';
      state.decidingMessage = true;
      transaction.logger.error({ err: error }, 'failed to write the message to a temporary file');
      const detail = `The message could not be buffered: ${errorMessage(error)}`;
      await this.abort(state, transaction, abortReason('storage-error', detail));
      return rejected(LOCAL_ERROR_REPLY);
    }

    if (transaction.isDone()) {
      // A timeout or a shutdown aborted the transaction while the message came in.
      await discard(result, transaction.logger);
      return rejected(interruptedReply(state));
    }
    transaction.phase = 'finishing';
    state.decidingMessage = true;
    return this.finish(state, transaction, result);
  }

  private async finish(
    state: SessionState,
    transaction: Transaction,
    result: ReadResult,
  ): Promise<HookOutcome> {
    const maxMessageSize = this.limits.maxMessageSize;

    switch (result.kind) {
      case 'interrupted': {
        const reason =
          state.endReason ??
          abortReason('client-disconnected', 'The connection closed before the final dot of DATA.');
        await this.abort(state, transaction, reason);
        return rejected(toSmtpReply(result.error));
      }
      case 'too-large': {
        const reply = messageTooLargeReply(maxMessageSize);
        const detail = `The message has ${result.size} bytes, more than the limit of ${maxMessageSize} bytes.`;
        await this.abort(state, transaction, abortReason('size-limit', detail));
        return rejected(reply);
      }
      case 'limit-exceeded': {
        const reply = limitExceededReply(result.violation);
        const detail = `${reply.code} ${reply.enhancedCode} ${reply.message}`;
        await this.abort(state, transaction, abortReason('size-limit', detail));
        return rejected(reply);
      }
      case 'complete':
        return this.deliver(state, transaction, result.header, result.body);
    }
  }

  private async deliver(
    state: SessionState,
    transaction: Transaction,
    header: MessageHeader,
    body: BodyBuffer,
  ): Promise<HookOutcome> {
    const logger = transaction.logger;
    try {
      try {
        await transaction.run((delivery) => delivery.body(header, body));
      } catch (error) {
        return this.abortAfterBodyFailure(state, transaction, error);
      }

      // The contract never aborts after commit, so the transaction is over whatever
      // commit does.
      transaction.phase = 'done';
      state.release(transaction);
      try {
        await transaction.run((delivery) => delivery.commit());
      } catch (error) {
        return rejected(logRejection(logger, error, 'commit'));
      }
    } finally {
      await body.remove().catch((error: unknown) => {
        logger.error({ err: error }, 'failed to remove the temporary message body');
      });
    }

    logger.info(
      { rcpts: transaction.recipientCount, bytes: body.size, warnings: header.warnings.length },
      'message accepted',
    );
    return { accepted: true, message: `Ok: queued as ${transaction.meta.id}` };
  }

  /**
   * Aborts after the target failed `body`, and returns the reply for the client. The
   * recorded detail names the cause behind the reply, such as "database is locked",
   * while the reply itself stays generic.
   */
  private async abortAfterBodyFailure(
    state: SessionState,
    transaction: Transaction,
    error: unknown,
  ): Promise<HookOutcome> {
    const reply = logRejection(transaction.logger, error, 'body');
    const cause = causeMessage(error);
    let detail = `${reply.code} ${reply.enhancedCode} ${reply.message}`;
    if (cause !== reply.message) {
      detail += `: ${cause}`;
    }
    const reason =
      error instanceof RuleError
        ? abortReason(
            'rule',
            `Rule "${error.rule.name}" replied ${detail} to the end of data.`,
            error.rule,
          )
        : abortReason('storage-error', detail);
    await this.abort(state, transaction, reason);
    return rejected(reply);
  }

  private async abort(
    state: SessionState,
    transaction: Transaction,
    reason: AbortReason,
  ): Promise<void> {
    state.release(transaction);
    await transaction.abort(reason);
  }
}

/**
 * Logs why a target refused a step and returns the reply for the client. An SmtpError is
 * a decision of the target and is logged at info. Any other error is a failure.
 */
function logRejection(logger: Logger, error: unknown, step: string): SmtpReply {
  const reply = toSmtpReply(error);
  if (error instanceof SmtpError) {
    logger.info(
      { step, smtpCode: reply.code, enhancedCode: reply.enhancedCode },
      `target rejected ${step}`,
    );
  } else {
    logger.error({ err: error, step, smtpCode: reply.code }, `target failed at ${step}`);
  }
  return reply;
}

/** Remembers on the transaction that a failure rule chose the reply to `step`. */
export function noteRuleRejection(transaction: Transaction, error: unknown, step: string): void {
  if (!(error instanceof RuleError) || transaction.ruleRejection !== null) return;
  transaction.ruleRejection = {
    rule: error.rule,
    summary: `Rule "${error.rule.name}" replied ${error.code} ${error.enhancedCode} ${error.message} to ${step}.`,
  };
}

/** Returns the reply to DATA for a transaction that the server aborted before the final dot. */
function interruptedReply(state: SessionState): SmtpReply {
  return state.endReason?.kind === 'server-shutdown' ? SHUTDOWN_REPLY : LOCAL_ERROR_REPLY;
}

async function discard(result: ReadResult, logger: Logger): Promise<void> {
  if (result.kind !== 'complete') {
    return;
  }
  await result.body.remove().catch((error: unknown) => {
    logger.error({ err: error }, 'failed to remove the temporary message body');
  });
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
