import v8 from 'node:v8';
import vm from 'node:vm';

import type { EventBus } from './delivery/events.js';

/**
 * V8 tuning for the headless server's resident memory, measured with Node.js 20.20 (V8 11.3)
 * on Linux. Nothing here changes what the server does, only how much heap V8 keeps.
 */

/** V8's default `--semi-space-growth-factor`. */
const DEFAULT_SEMI_SPACE_GROWTH_FACTOR = 2;

/**
 * Keeps the young generation at its initial size while the server starts. V8 grows the
 * young generation when many objects survive a scavenge. The objects made while the
 * modules are parsed and loaded all survive, so start-up alone grew it to about 16 MiB of
 * resident pages that an idle server never uses. Call `restoreYoungGenerationGrowth` once
 * the server runs, so that a load can grow it again.
 */
export function holdYoungGenerationGrowth(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

/** Lets the young generation grow again by V8's default factor. */
export function restoreYoungGenerationGrowth(): void {
  v8.setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_SEMI_SPACE_GROWTH_FACTOR}`);
}

/** Delays of the full collections after the last event, in milliseconds. */
export interface IdleCollectionDelays {
  /** Delay from the last event to the first collection, which frees the old generation. */
  firstMs: number;
  /**
   * Delay from the first collection to the second. After a burst the first collection left
   * the young generation at its peak of 32 MiB, and a second one 5.5 s later shrank it to
   * 1 MiB.
   */
  secondMs: number;
}

const DEFAULT_DELAYS: IdleCollectionDelays = { firstMs: 2_000, secondMs: 5_500 };

/**
 * Runs two full garbage collections once the bus has been quiet for a while after activity,
 * so that the heap grown by a burst of deliveries is returned to the system. Without them,
 * after 5,000 messages over SMTP the heap stayed at about 85 MiB committed, of which 20 MiB
 * was live, for at least 30 s. V8 ran no collection in that time. Returns the function
 * that stops it.
 *
 * NOTE: the collector comes from V8's `--expose-gc` flag set at run time, like the growth
 * factor above. Node.js warns that a flag set after start-up may do nothing, and then this
 * does nothing either.
 */
export function collectGarbageWhenIdle(
  events: EventBus,
  delays: IdleCollectionDelays = DEFAULT_DELAYS,
): () => void {
  const collect = loadCollector();
  if (collect === null) return () => {};

  // Events arrive many times per message, so an event only notes its time. The one timer
  // checks, when it fires, whether the bus has been quiet long enough.
  let lastActivity = 0;
  let stage: 'first' | 'second' | 'done' = 'done';
  let timer: NodeJS.Timeout | null = null;
  const arm = (delayMs: number): void => {
    timer = setTimeout(onTimer, delayMs);
    timer.unref();
  };
  const onTimer = (): void => {
    timer = null;
    if (stage === 'first') {
      const remainingMs = delays.firstMs - (Date.now() - lastActivity);
      if (remainingMs > 0) {
        arm(remainingMs);
        return;
      }
      collect();
      stage = 'second';
      arm(delays.secondMs);
    } else if (stage === 'second') {
      collect();
      stage = 'done';
    }
  };
  const onActivity = (): void => {
    lastActivity = Date.now();
    stage = 'first';
    if (timer === null) arm(delays.firstMs);
  };

  const unsubscribe = events.subscribe(onActivity);
  const unsubscribeUser = events.subscribeUserEvents(onActivity);
  return () => {
    unsubscribe();
    unsubscribeUser();
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
}

/** Returns V8's `gc()` function, or null when this V8 does not provide it. */
function loadCollector(): (() => void) | null {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') return exposed as () => void;
  v8.setFlagsFromString('--expose-gc');
  // The gc extension is installed in contexts created after the flag is set.
  const collect: unknown = vm.runInNewContext('typeof gc === "function" ? gc : null');
  v8.setFlagsFromString('--no-expose-gc');
  return typeof collect === 'function' ? (collect as () => void) : null;
}
