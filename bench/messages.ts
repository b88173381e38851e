import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { toSmtpData, type LoadMessage } from './smtp-load.js';
import { ROOT } from './tools.js';

const WORDS = (
  'account address after again answer april billing build change check client code ' +
  'confirm customer daily data deploy digest email event failed feature file form ' +
  'friday invoice issue latest login march monday notice order password payment plan ' +
  'please preview price receipt release reminder report request reset review sales ' +
  'schedule service shipping signup status summary support team ticket today update ' +
  'upgrade user verify weekly welcome'
).split(' ');

/** A word that only every hundredth generated message contains, for word search. */
export const RARE_WORD = 'quetzalcoatl';
/** A sender that only every 500th generated message has, for `from:` search. */
export const RARE_SENDER = 'sender-7@shop-7.example.test';

const SENDERS = 500;

/**
 * Returns generated message number `index`: a plain-text message of about `bodyBytes`
 * bytes with one of 500 senders, a subject and body drawn from a fixed word list, and
 * RARE_WORD in one message of a hundred. The same index always gives the same message.
 */
export function generatedMessage(index: number, bodyBytes: number): LoadMessage {
  const senderNumber = index % SENDERS;
  const from = generatedSender(index);
  const to = `user-${index % 97}@example.test`;
  const subject = `${pick(index, 0)} ${pick(index, 1)} ${pick(index, 2)} #${index}`;
  const lines: string[] = [];
  let length = 0;
  for (let line = 0; length < bodyBytes; line += 1) {
    const words = Array.from({ length: 12 }, (_, word) => pick(index, 3 + line * 12 + word));
    if (line === 3 && isRareWordMessage(index)) words[5] = RARE_WORD;
    const text = words.join(' ');
    lines.push(text);
    length += text.length + 2;
  }
  const source = [
    `From: Shop ${senderNumber} <${from}>`,
    `To: <${to}>`,
    `Subject: ${subject}`,
    `Date: ${new Date(Date.UTC(2026, 0, 1) + index * 1000).toUTCString()}`,
    `Message-ID: <bench-${index}@example.test>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    ...lines,
  ].join('\r\n');
  return { from, to, data: toSmtpData(Buffer.from(source)) };
}

/** Returns the sender address of generated message `index`. */
export function generatedSender(index: number): string {
  const senderNumber = index % SENDERS;
  return `sender-${senderNumber}@shop-${senderNumber % 20}.example.test`;
}

/** Returns whether generated message `index` contains RARE_WORD (one in 100 do). */
export function isRareWordMessage(index: number): boolean {
  return index % 100 === 42;
}

/** Returns a deterministic word for message `index` at word position `position`. */
function pick(index: number, position: number): string {
  const hash = Math.imul(index + 1, 2654435761) ^ Math.imul(position + 1, 40503);
  return WORDS[(hash >>> 0) % WORDS.length] as string;
}

/** Folder of the real-message corpus: MAILSCOPE_CORPUS, or ../shared/corpus beside the repository. */
export function corpusFolder(): string {
  return process.env.MAILSCOPE_CORPUS ?? path.resolve(ROOT, '..', 'shared', 'corpus');
}

/**
 * Reads the corpus messages (`messages/*` under the corpus folder) ready for DATA; returns
 * null when the folder is missing.
 */
export function readCorpus(): LoadMessage[] | null {
  const folder = path.join(corpusFolder(), 'messages');
  let names: string[];
  try {
    names = readdirSync(folder).sort();
  } catch {
    return null;
  }
  return names.map((name) => ({
    from: 'corpus@bench.example.test',
    to: 'inbox@bench.example.test',
    data: toSmtpData(readFileSync(path.join(folder, name))),
  }));
}
