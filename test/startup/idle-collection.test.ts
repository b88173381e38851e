import { describe, expect, it } from 'vitest';

import { EventBus } from '../../src/delivery/events.js';
import { collectGarbageWhenIdle } from '../../src/heap.js';

const DELAYS = { firstMs: 20, secondMs: 20 };

/** Returns a weak reference to an object that nothing else references. */
function unreferencedObject(): WeakRef<object> {
  return new WeakRef({ payload: new Array(1000).fill('x') });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('collectGarbageWhenIdle', () => {
  it('collects after the bus goes quiet', async () => {
    const events = new EventBus(() => {});
    const stop = collectGarbageWhenIdle(events, DELAYS);
    try {
      const reference = unreferencedObject();
      events.emit({ type: 'session.closed', sessionId: 's1', at: Date.now() });
      await sleep(200);
      expect(reference.deref()).toBeUndefined();
    } finally {
      stop();
    }
  });
});
