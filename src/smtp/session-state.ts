import type { Logger } from 'pino';

import { abortReason, type AbortReason } from '../delivery/abort-reason.js';
import type { RuleRef } from '../delivery/rule-hooks.js';
import type { Delivery, MsgMetadata } from '../delivery/types.js';

/**
 * Progress of a transaction. `receiving` is the DATA phase, and `finishing` runs from the
 * final dot until the reply, while the body is handed over and committed.
 */
export type TransactionPhase = 'open' | 'receiving' | 'finishing' | 'done';

/**
 * One mail transaction: the delivery that MAIL FROM started, and its progress. Calls on
 * the delivery run one at a time, so an abort caused by the connection (a disconnect, a
 * timeout, a shutdown) waits for a recipient that is still being added.
 */
export class Transaction {
  phase: TransactionPhase = 'open';
  /** RCPT TO commands that the target accepted, duplicates included. */
  recipientCount = 0;
  /**
   * The first reply a failure rule gave in this transaction. An abort that follows it,
   * other than a shutdown, is recorded as caused by the rule, because the client then
   * gave up the transaction or the rule dropped the connection.
   */
  ruleRejection: { rule: RuleRef; summary: string } | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly meta: MsgMetadata,
    readonly delivery: Delivery,
    readonly logger: Logger,
  ) {}

  /** True once the transaction was aborted, or its commit started. */
  isDone(): boolean {
    return this.phase === 'done';
  }

  /** Runs `operation` on the delivery after the calls queued before it. */
  run<T>(operation: (delivery: Delivery) => Promise<T>): Promise<T> {
    const result = this.queue.then(() => operation(this.delivery));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Aborts the delivery unless it is already done. Does not throw. A target that fails to
   * roll back is logged, because the SMTP client cannot do anything about it.
   */
  async abort(reason: AbortReason): Promise<void> {
    if (this.phase === 'done') {
      return;
    }
    this.phase = 'done';
    const recorded = attributeToRule(reason, this.ruleRejection);
    try {
      await this.run((delivery) => delivery.abort(recorded));
    } catch (error) {
      this.logger.error(
        { err: error, abortKind: reason.kind },
        'target failed to abort a delivery',
      );
    }
  }
}

/** Returns `reason` as caused by the rule that rejected a step before it, if any. */
function attributeToRule(
  reason: AbortReason,
  rejection: Transaction['ruleRejection'],
): AbortReason {
  if (rejection === null || reason.kind === 'rule' || reason.kind === 'server-shutdown') {
    return reason;
  }
  return abortReason('rule', `${rejection.summary} Then: ${reason.detail}`, rejection.rule);
}

/** State that the endpoint keeps about one SMTP session between hook calls. */
export class SessionState {
  /** The open transaction, from MAIL FROM until its reply or abort. */
  transaction: Transaction | null = null;
  /**
   * Set when the server ends the session (idle timeout, shutdown), so that an abort
   * caused by the closing connection names that reason instead of a client disconnect.
   */
  endReason: AbortReason | null = null;
  /** True once the connection has closed. */
  closed = false;
  /** True from the final dot of DATA until its reply was sent. */
  decidingMessage = false;
  /** The hook that is running, settled once its reply was sent. */
  pendingHook: Promise<void> | null = null;
  /** Settles once every abort started so far has finished. */
  private aborts: Promise<void> = Promise.resolve();

  constructor(
    readonly id: string,
    readonly logger: Logger,
  ) {}

  /**
   * Aborts the open transaction for a reason outside the DATA flow (RSET, a new MAIL
   * FROM, a disconnect, a timeout, a shutdown). A transaction past its final dot is left
   * alone, because its reply is already being decided.
   */
  interrupt(reason: AbortReason): Promise<void> {
    const transaction = this.transaction;
    if (transaction === null || transaction.phase === 'finishing') {
      return this.aborts;
    }
    this.transaction = null;
    this.aborts = this.aborts.then(() => transaction.abort(reason));
    return this.aborts;
  }

  /**
   * Makes a delivery that MAIL FROM just started the open transaction, or aborts it when
   * the connection closed while the target was starting it.
   */
  async adopt(transaction: Transaction): Promise<void> {
    if (this.closed) {
      const reason =
        this.endReason ??
        abortReason('client-disconnected', 'The connection closed while MAIL FROM was processed.');
      await transaction.abort(reason);
      return;
    }
    this.transaction = transaction;
  }

  /** Forgets `transaction` if it is the open one, once the DATA flow has decided on it. */
  release(transaction: Transaction): void {
    if (this.transaction === transaction) {
      this.transaction = null;
    }
  }

  /** Waits for the aborts started so far, so that a new delivery starts after them. */
  settled(): Promise<void> {
    return this.aborts;
  }
}
