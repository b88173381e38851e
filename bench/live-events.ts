/** A client of Mailscope's live event stream that notes when each delivery's commit arrives. */
export class CommitWatcher {
  /** Arrival time of each `delivery.committed` event, by delivery id, in epoch milliseconds. */
  readonly committedAt = new Map<string, number>();
  events = 0;
  private readonly controller = new AbortController();
  private reading: Promise<void> = Promise.resolve();

  /** Subscribes to `${apiBase}/events` and resolves once the stream is open. */
  async open(apiBase: string): Promise<void> {
    const response = await fetch(`${apiBase}/events`, { signal: this.controller.signal });
    if (!response.ok || response.body === null) {
      throw new Error(`GET ${apiBase}/events failed with status ${response.status}`);
    }
    this.reading = this.read(response.body).catch((error: unknown) => {
      if (!this.controller.signal.aborted) throw error;
    });
  }

  close(): Promise<void> {
    this.controller.abort();
    return this.reading;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let pending = '';
    const reader = body.getReader();
    for (;;) {
      const { done, value: chunk } = await reader.read();
      if (done) return;
      const now = performance.timeOrigin + performance.now();
      pending += decoder.decode(chunk, { stream: true });
      let end = pending.indexOf('\n\n');
      while (end >= 0) {
        this.handle(pending.slice(0, end), now);
        pending = pending.slice(end + 2);
        end = pending.indexOf('\n\n');
      }
    }
  }

  private handle(block: string, now: number): void {
    for (const line of block.split('\n')) {
      if (!line.startsWith('data:')) continue;
      this.events += 1;
      const event = JSON.parse(line.slice(5)) as { type: string; deliveryId?: string };
      if (event.type === 'delivery.committed' && event.deliveryId !== undefined) {
        this.committedAt.set(event.deliveryId, now);
      }
    }
  }
}

/** Returns the `q` quantile (0 to 1) of `values` by the nearest-rank method. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}
