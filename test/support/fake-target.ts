import { access } from 'node:fs/promises';

import type { AbortReason } from '../../src/delivery/abort-reason.js';
import { FileBodyBuffer, type BodyBuffer } from '../../src/delivery/body-buffer.js';
import type { Delivery, DeliveryTarget, MsgMetadata } from '../../src/delivery/types.js';
import type { MessageHeader } from '../../src/message/header.js';

export type FakeStage = 'start' | 'addRcpt' | 'body' | 'commit' | 'abort';

/** One call on the fake target, in the order the calls arrived. */
export interface FakeCall {
  stage: FakeStage;
  deliveryId: string;
  /** The address for start and addRcpt. */
  address?: string;
  /** The reason for abort. */
  reason?: AbortReason;
}

/** Everything the fake target learned about one delivery. */
export interface FakeDelivery {
  meta: MsgMetadata;
  mailFrom: string;
  rcpts: string[];
  header: MessageHeader | null;
  /** The bytes handed to body(), read while the buffer was still valid. */
  body: Buffer | null;
  /** Where the endpoint kept the body: in memory, or spilled to a temporary file. */
  bodyStorage: 'memory' | 'file' | null;
  state: 'open' | 'body-received' | 'committed' | 'aborted';
  abortReason: AbortReason | null;
}

/**
 * A DeliveryTarget for tests that records every call and every delivery, with an
 * injectable error for each stage, in the shape of maddy's testutils.Target. A stage
 * error is either one error for every call, or a function that picks one per address.
 */
export class FakeTarget implements DeliveryTarget {
  readonly name = 'fake';
  readonly calls: FakeCall[] = [];
  readonly deliveries: FakeDelivery[] = [];

  startError: Error | null = null;
  rcptError: Error | ((address: string) => Error | null) | null = null;
  bodyError: Error | null = null;
  commitError: Error | null = null;
  abortError: Error | null = null;
  /**
   * Calls that broke the order the Delivery contract promises: two calls on one delivery
   * at the same time, any call after commit or abort, or abort after commit.
   */
  readonly contractViolations: string[] = [];
  /** Milliseconds each call of a stage waits before it does its work. */
  delayMs: Partial<Record<FakeStage, number>> = {};

  async start(meta: MsgMetadata, mailFrom: string): Promise<Delivery> {
    this.calls.push({ stage: 'start', deliveryId: meta.id, address: mailFrom });
    await this.delay('start');
    if (this.startError) {
      throw this.startError;
    }
    const record: FakeDelivery = {
      meta,
      mailFrom,
      rcpts: [],
      header: null,
      body: null,
      bodyStorage: null,
      state: 'open',
      abortReason: null,
    };
    this.deliveries.push(record);
    return new FakeTargetDelivery(this, record);
  }

  /** Waits for the delay configured for `stage`, if any. */
  async delay(stage: FakeStage): Promise<void> {
    const delayMs = this.delayMs[stage] ?? 0;
    if (delayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }

  /** Deliveries that reached commit. */
  get committed(): FakeDelivery[] {
    return this.deliveries.filter((delivery) => delivery.state === 'committed');
  }

  /** Deliveries that were aborted. */
  get aborted(): FakeDelivery[] {
    return this.deliveries.filter((delivery) => delivery.state === 'aborted');
  }

  /**
   * Waits until `condition` holds, checking every 10 ms, and fails after `timeoutMs`.
   * For outcomes that follow a socket event, such as an abort after a disconnect.
   */
  async waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) {
        throw new Error(`FakeTarget.waitFor: condition not met within ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

class FakeTargetDelivery implements Delivery {
  private busyWith: FakeStage | null = null;
  private finished: 'committed' | 'aborted' | null = null;

  constructor(
    private readonly target: FakeTarget,
    private readonly record: FakeDelivery,
  ) {}

  /** Records a contract violation if `stage` may not run now, and marks the delivery busy. */
  private enter(stage: FakeStage, details: Pick<FakeCall, 'address' | 'reason'> = {}): void {
    const id = this.record.meta.id;
    if (this.busyWith !== null) {
      this.target.contractViolations.push(`${stage} on ${id} while ${this.busyWith} was running`);
    }
    if (this.finished !== null) {
      this.target.contractViolations.push(`${stage} on ${id} after it was ${this.finished}`);
    }
    this.busyWith = stage;
    this.target.calls.push({ stage, deliveryId: id, ...details });
  }

  private leave(): void {
    this.busyWith = null;
  }

  async addRcpt(rcptTo: string): Promise<void> {
    this.enter('addRcpt', { address: rcptTo });
    try {
      await this.target.delay('addRcpt');
      const error =
        typeof this.target.rcptError === 'function'
          ? this.target.rcptError(rcptTo)
          : this.target.rcptError;
      if (error) {
        throw error;
      }
      this.record.rcpts.push(rcptTo);
    } finally {
      this.leave();
    }
  }

  async body(header: MessageHeader, body: BodyBuffer): Promise<void> {
    this.enter('body');
    try {
      await this.target.delay('body');
      if (this.target.bodyError) {
        throw this.target.bodyError;
      }
      this.record.header = header;
      this.record.body = await body.readAll();
      if (body instanceof FileBodyBuffer) {
        await access(body.filePath);
        this.record.bodyStorage = 'file';
      } else {
        this.record.bodyStorage = 'memory';
      }
      this.record.state = 'body-received';
    } finally {
      this.leave();
    }
  }

  async commit(): Promise<void> {
    this.enter('commit');
    this.finished = 'committed';
    try {
      await this.target.delay('commit');
      if (this.target.commitError) {
        throw this.target.commitError;
      }
      this.record.state = 'committed';
    } finally {
      this.leave();
    }
  }

  async abort(reason: AbortReason): Promise<void> {
    this.enter('abort', { reason });
    this.finished = 'aborted';
    try {
      await this.target.delay('abort');
      this.record.state = 'aborted';
      this.record.abortReason = reason;
      if (this.target.abortError) {
        throw this.target.abortError;
      }
    } finally {
      this.leave();
    }
  }
}
