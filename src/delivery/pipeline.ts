import type { Logger } from 'pino';

import { addressForLookup, cleanAddress } from '../address/index.js';
import type { MessageHeader } from '../message/header.js';
import type { AbortReason } from './abort-reason.js';
import type { BodyBuffer } from './body-buffer.js';
import type { EventBus } from './events.js';
import { RuleError, type DeliveryRules, type RuleRef } from './rule-hooks.js';
import { causeMessage, SmtpError, toSmtpReply } from './smtp-error.js';
import type { Delivery, DeliveryTarget, MsgMetadata, SmtpReply } from './types.js';

export interface PipelineOptions {
  targets: DeliveryTarget[];
  events: EventBus;
  logger: Logger;
  /** Accepted recipients per transaction; RCPT TO past this count gets 452. */
  maxRecipients: number;
  /** Failure rules asked before the targets at each step; none when missing. */
  rules?: DeliveryRules;
  /**
   * Resolves once the targets' commits and the recorded steps are stored durably.
   * commit() awaits it after it records the commit step, so that a client acknowledged
   * with 250 finds the delivery stored and recorded as committed, even after a crash.
   */
  durable?: () => Promise<void>;
}

export const RCPT_ACCEPTED: SmtpReply = { code: 250, enhancedCode: '2.1.5', message: 'Accepted' };

/**
 * Fans each delivery out to every target and records every step on the event bus.
 *
 * The pipeline is the only caller of the targets. It cleans addresses before they reach
 * a target, enforces the recipient limit, and applies the failure rule of the delivery
 * contract: `body` on every target, then `commit` on every target, and if any `body`
 * fails, the caller aborts and every target rolls back.
 */
export class DeliveryPipeline implements DeliveryTarget {
  readonly name = 'pipeline';

  constructor(private readonly options: PipelineOptions) {}

  async start(meta: MsgMetadata, mailFrom: string): Promise<PipelineDelivery> {
    const cleanFrom = cleanAddress(mailFrom);
    const started: Delivery[] = [];
    try {
      for (const target of this.options.targets) {
        started.push(await target.start(meta, cleanFrom));
      }
    } catch (error) {
      await Promise.allSettled(
        started.map((delivery) =>
          delivery.abort({ kind: 'storage-error', detail: 'Another target rejected MAIL FROM.' }),
        ),
      );
      throw error;
    }

    this.options.events.emit({
      type: 'delivery.started',
      deliveryId: meta.id,
      at: Date.now(),
      meta,
      mailFrom: cleanFrom,
    });
    const delivery = new PipelineDelivery(meta, cleanFrom, started, this.options);
    await delivery.applyMailFromRules();
    return delivery;
  }
}

type DeliveryState = 'open' | 'body-done' | 'committed' | 'aborted';

/** One delivery through the pipeline; see DeliveryPipeline. */
export class PipelineDelivery implements Delivery {
  private readonly recipients = new Set<string>();
  private state: DeliveryState = 'open';
  private readonly logger: Logger;

  constructor(
    readonly meta: MsgMetadata,
    private readonly mailFrom: string,
    private readonly deliveries: Delivery[],
    private readonly options: PipelineOptions,
  ) {
    this.logger = options.logger.child({ msgId: meta.id, cid: meta.conn.sessionId });
  }

  /** Number of distinct recipients accepted so far. */
  get acceptedCount(): number {
    return this.recipients.size;
  }

  get finished(): boolean {
    return this.state === 'committed' || this.state === 'aborted';
  }

  /**
   * Asks the rules about MAIL FROM, once the delivery is recorded as started. A rule that
   * refuses it aborts the delivery, so that the trace shows the refused attempt.
   */
  async applyMailFromRules(): Promise<void> {
    try {
      await this.options.rules?.mailFrom(this.meta, this.mailFrom);
    } catch (error) {
      const reply = toSmtpReply(error);
      const rule = error instanceof RuleError ? error.rule : undefined;
      const detail = `${describeRule(rule)}replied ${reply.code} ${reply.enhancedCode} ${reply.message} to MAIL FROM.`;
      await this.abort(
        rule === undefined ? { kind: 'storage-error', detail } : { kind: 'rule', detail, rule },
      );
      throw error;
    }
  }

  async addRcpt(rcptTo: string): Promise<void> {
    const address = cleanAddress(rcptTo);
    const key = addressForLookup(address);

    if (this.recipients.has(key)) {
      this.emitRcpt(rcptTo, address, 'duplicate', RCPT_ACCEPTED);
      return;
    }
    if (this.recipients.size >= this.options.maxRecipients) {
      const error = new SmtpError(452, '4.5.3', 'Too many recipients');
      this.emitRcpt(rcptTo, address, 'rejected', error.toReply());
      throw error;
    }

    try {
      await this.options.rules?.rcptTo(this.meta, this.mailFrom, address);
    } catch (error) {
      const rule = error instanceof RuleError ? error.rule : undefined;
      this.emitRcpt(rcptTo, address, 'rejected', toSmtpReply(error), rule);
      throw error;
    }

    try {
      for (const delivery of this.deliveries) {
        await delivery.addRcpt(address);
      }
    } catch (error) {
      // NOTE: targets that accepted this recipient before another one refused it keep
      // it; the contract has no call to take a single recipient back.
      this.emitRcpt(rcptTo, address, 'rejected', toSmtpReply(error));
      throw error;
    }

    this.recipients.add(key);
    this.emitRcpt(rcptTo, address, 'accepted', RCPT_ACCEPTED);
  }

  async body(header: MessageHeader, body: BodyBuffer): Promise<void> {
    if (this.recipients.size === 0) {
      throw new SmtpError(554, '5.5.1', 'No valid recipients');
    }
    try {
      await this.options.rules?.endOfData(this.meta, this.mailFrom, [...this.recipients], header);
      for (const delivery of this.deliveries) {
        await delivery.body(header, body);
      }
    } catch (error) {
      const reply = toSmtpReply(error);
      const rule = error instanceof RuleError ? error.rule : undefined;
      if (rule === undefined) {
        this.logger.error({ err: error, smtpCode: reply.code }, 'message body rejected');
      }
      this.options.events.emit({
        type: 'body.failed',
        deliveryId: this.meta.id,
        at: Date.now(),
        reply,
        error: causeMessage(error),
        ...(rule === undefined ? {} : { rule }),
      });
      throw error;
    }

    this.state = 'body-done';
    this.options.events.emit({
      type: 'body.received',
      deliveryId: this.meta.id,
      at: Date.now(),
      size: body.size,
      warnings: header.warnings,
    });
  }

  /**
   * Commits on every target. Should one fail, the client must not get a 250 for a
   * message that may be lost, so this throws a 451 after trying every target.
   */
  async commit(): Promise<void> {
    if (this.state !== 'body-done') {
      throw new Error(`commit() called on a delivery in state ${this.state}`);
    }
    this.state = 'committed';
    let failure: unknown = null;
    for (const delivery of this.deliveries) {
      try {
        await delivery.commit();
      } catch (error) {
        // NOTE: targets that committed before this one keep the message, because a commit
        // cannot be taken back. That is why the contract says commit should not fail.
        this.logger.error({ err: error }, 'target failed to commit');
        failure ??= error;
      }
    }

    if (failure !== null) {
      const detail = causeMessage(failure);
      this.options.events.emit({
        type: 'delivery.aborted',
        deliveryId: this.meta.id,
        at: Date.now(),
        reason: { kind: 'storage-error', detail: `Commit failed: ${detail}` },
      });
      throw new SmtpError(451, '4.3.0', 'Local error in processing, try again later', {
        cause: failure,
      });
    }

    this.options.events.emit({
      type: 'delivery.committed',
      deliveryId: this.meta.id,
      at: Date.now(),
      reply: { code: 250, enhancedCode: '2.0.0', message: `Ok: queued as ${this.meta.id}` },
    });
    try {
      await this.options.durable?.();
    } catch (error) {
      this.logger.error({ err: error }, 'storing the commit failed');
      throw new SmtpError(451, '4.3.0', 'Local error in processing, try again later', {
        cause: error,
      });
    }
  }

  async abort(reason: AbortReason): Promise<void> {
    if (this.finished) return;
    this.state = 'aborted';
    const results = await Promise.allSettled(this.deliveries.map((d) => d.abort(reason)));
    for (const result of results) {
      if (result.status === 'rejected') {
        this.logger.error({ err: result.reason }, 'target failed to abort');
      }
    }
    this.options.events.emit({
      type: 'delivery.aborted',
      deliveryId: this.meta.id,
      at: Date.now(),
      reason,
    });
  }

  private emitRcpt(
    original: string,
    address: string,
    status: 'accepted' | 'rejected' | 'duplicate',
    reply: SmtpReply,
    rule?: RuleRef,
  ): void {
    this.options.events.emit({
      type: 'rcpt',
      deliveryId: this.meta.id,
      at: Date.now(),
      original,
      address,
      status,
      reply,
      ...(rule === undefined ? {} : { rule }),
    });
  }
}

/** Returns `Rule "name" ` for a rule, or nothing. */
export function describeRule(rule: RuleRef | undefined): string {
  return rule === undefined ? '' : `Rule "${rule.name}" `;
}
