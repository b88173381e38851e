import { useSyncExternalStore } from 'react';

/** The tabs of the delivery detail, in the order the tab bar shows them. */
export const DETAIL_TABS = [
  'envelope',
  'timeline',
  'html',
  'text',
  'headers',
  'raw',
  'mime',
  'attachments',
] as const;

export type DetailTab = (typeof DETAIL_TABS)[number];

/** Delivery and tab selected by the URL hash: `#/deliveries/<id>` or `#/deliveries/<id>/<tab>`. */
export interface Route {
  deliveryId: string | null;
  tab: DetailTab | null;
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

function readHash(): string {
  return window.location.hash;
}

export function parseRoute(hash: string): Route {
  const match = /^#\/deliveries\/([^/]+)(?:\/([a-z]+))?$/.exec(hash);
  if (!match) return { deliveryId: null, tab: null };
  const tab = DETAIL_TABS.find((name) => name === match[2]) ?? null;
  return { deliveryId: decodeURIComponent(match[1] as string), tab };
}

export function routeHash(deliveryId: string | null, tab: DetailTab | null = null): string {
  if (deliveryId === null) return '#/';
  const base = `#/deliveries/${encodeURIComponent(deliveryId)}`;
  return tab ? `${base}/${tab}` : base;
}

/** Returns the route of the current URL hash and follows its changes. */
export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, readHash);
  return parseRoute(hash);
}

export function navigate(deliveryId: string | null, tab: DetailTab | null = null): void {
  window.location.hash = routeHash(deliveryId, tab);
}
