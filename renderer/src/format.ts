import type { AddressEntry } from '../../src/http/api-types.js';

const UNITS = ['KiB', 'MiB', 'GiB'];

/** Formats a size in bytes with binary units, such as `1.5 KiB`. */
export function formatSize(bytes: number | null): string {
  if (bytes === null) return '';
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${UNITS[unit]}`;
}

/**
 * Formatters of the list's times, made once. `Date.prototype.toLocaleString` with options
 * builds a new Intl.DateTimeFormat on every call: about 0.5 ms per call in Chromium 156 on
 * a busy 2-core machine, against 0.01 ms for a formatter made once.
 */
const listTimeOfDay = new Intl.DateTimeFormat([], {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const listDateTime = new Intl.DateTimeFormat([], {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/** Formats a time for the list: the time of day for today, the date and time before. */
export function formatListTime(at: number, now = Date.now()): string {
  const date = new Date(at);
  const today = new Date(now);
  const sameDay =
    date.getFullYear() === today.getFullYear() &&
    date.getMonth() === today.getMonth() &&
    date.getDate() === today.getDate();
  return sameDay ? listTimeOfDay.format(date) : listDateTime.format(date);
}

/** Formats a full local date and time with seconds. */
export function formatDateTime(at: number): string {
  return new Date(at).toLocaleString([], {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** Formats an offset from the start of a delivery, such as `+12 ms` or `+1.25 s`. */
export function formatOffset(ms: number): string {
  const sign = ms < 0 ? '−' : '+';
  const size = Math.abs(ms);
  if (size < 1000) return `${sign}${Math.round(size)} ms`;
  return `${sign}${(size / 1000).toFixed(2)} s`;
}

/** Formats a MAIL FROM address. The null reverse path `<>` arrives as the empty string. */
export function formatMailFrom(mailFrom: string): string {
  return mailFrom === '' ? '<> (null sender)' : mailFrom;
}

/**
 * Wraps a value from a message in FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE, so
 * a right-to-left override inside it cannot reorder the text around it in a string.
 * Elements use `unicode-bidi: isolate` or <bdi> instead.
 */
export function isolate(value: string): string {
  return `\u2068${value}\u2069`;
}

/** Names a delivery in a notice: its subject, or who sent it when it has no subject. */
export function describeDelivery(delivery: { subject: string | null; mailFrom: string }): string {
  if (delivery.subject) return `“${isolate(delivery.subject)}”`;
  return `the delivery from ${isolate(formatMailFrom(delivery.mailFrom))}`;
}

export function formatAddressEntry(entry: AddressEntry): string {
  if (entry.name === '') return entry.address;
  if (entry.address === '') return entry.name;
  return `${entry.name} <${entry.address}>`;
}

/** Turns an abort kind such as `client-disconnected` into words. */
export function describeAbortKind(kind: string): string {
  return kind.replaceAll('-', ' ');
}
