import net from 'node:net';
import tls from 'node:tls';

import { Random } from '../support/random.js';

/** How a session ends on the client side. */
export type SessionEnding = 'quit' | 'end' | 'destroy' | 'reset';

/** One step of a fuzz session. */
export type Step =
  /** Writes bytes; with `awaitReply`, waits for one more reply (or a short timeout). */
  | { kind: 'write'; data: Buffer; awaitReply: boolean }
  /** Sends STARTTLS and, on 220, does something with the TLS handshake. */
  | { kind: 'starttls'; handshake: 'garbage' | 'cut' | 'complete' };

export interface SessionPlan {
  /** Scenario name, for the report. */
  scenario: string;
  steps: Step[];
  ending: SessionEnding;
  /** True for a well-formed transaction whose final dot must get a 250. */
  mustCommit: boolean;
}

/** What one session saw. */
export interface SessionResult {
  scenario: string;
  /** Reply lines that broke the SMTP reply syntax, with the reason. */
  malformed: string[];
  /** Ids from `250 … queued as <id>` replies. */
  queuedIds: string[];
  replies: number;
  /** The problem when a session that had to commit did not, else null. */
  missingCommit: string | null;
}

const PLAIN_TOKEN = Buffer.from('\0fuzz\0secret').toString('base64');

/** Commands that a fuzz session picks from, valid and invalid ones. */
const COMMANDS = [
  'EHLO fuzz.example.test',
  'HELO fuzz.example.test',
  'EHLO',
  'MAIL FROM:<a@example.test>',
  'MAIL FROM:<>',
  'MAIL FROM: a@example.test SIZE=100',
  'MAIL FROM:<a@example.test> BODY=8BITMIME SMTPUTF8',
  'MAIL FROM:<a@example.test> SIZE=999999999999',
  'MAIL FROM:<"john doe"@example.test>',
  'RCPT TO:<b@example.test>',
  'RCPT TO:<"john doe"@example.test>',
  'RCPT TO:<bjørn@bücher.example.test>',
  'RCPT TO:<c@example.test> NOTIFY=NEVER',
  'RCPT TO:<two@at@example.test>',
  'RCPT TO:postmaster',
  'RCPT TO:<>',
  'DATA',
  'BDAT 10 LAST',
  'RSET',
  'NOOP',
  'VRFY b@example.test',
  'EXPN list',
  'HELP',
  `AUTH PLAIN ${PLAIN_TOKEN}`,
  'AUTH PLAIN',
  'AUTH LOGIN',
  'AUTH CRAM-MD5',
  'AUTH XOAUTH2 dG9rZW4=',
  'XCLIENT ADDR=192.0.2.1',
  'ETRN example.test',
  'STARTTLS',
  'QUIT',
  '',
  'MAIL',
  'RCPT',
  'mail from:<lower@example.test>',
];

/** Applies one random mutation to a command line. */
export function mutate(random: Random, line: Buffer): Buffer {
  const position = line.length === 0 ? 0 : random.int(line.length);
  switch (random.int(9)) {
    case 0:
      return Buffer.concat([line.subarray(0, position), Buffer.from([0]), line.subarray(position)]);
    case 1:
      return Buffer.from(
        [...line.toString('latin1')]
          .map((c) => (random.chance(0.5) ? c.toUpperCase() : c.toLowerCase()))
          .join(''),
        'latin1',
      );
    case 2:
      return line.subarray(0, position);
    case 3: {
      const copy = Buffer.from(line);
      if (copy.length > 0) copy[position] = random.int(256);
      return copy;
    }
    case 4:
      return Buffer.concat([line, random.bytes(random.int(40))]);
    case 5:
      return Buffer.concat([Buffer.from(' '.repeat(random.int(5))), line]);
    case 6:
      // Longer than smtp-server's 16 KiB command limit, or just under it.
      return Buffer.concat([line, Buffer.alloc(random.pick([1000, 16_000, 17_000, 70_000]), 0x41)]);
    case 7:
      return Buffer.concat([line, Buffer.from(' '), line]);
    default:
      return random.bytes(1 + random.int(60));
  }
}

/** Returns a line ending: mostly CRLF, sometimes a bare LF or CR. */
function lineEnd(random: Random): string {
  return random.chance(0.9) ? '\r\n' : random.pick(['\n', '\r', '\r\r\n']);
}

/** Builds a message for DATA, sometimes hostile, always ending in CRLF before the dot. */
export function messageBody(random: Random): Buffer {
  const parts: Buffer[] = [];
  const headerCount = random.int(6);
  for (let i = 0; i < headerCount; i++) {
    parts.push(
      Buffer.from(random.pick(['Subject: fuzz', 'From: a@example.test', 'X-H: v', ' folded'])),
    );
    parts.push(Buffer.from('\r\n'));
  }
  if (random.chance(0.8)) parts.push(Buffer.from('\r\n'));
  const lines = random.int(12);
  for (let i = 0; i < lines; i++) {
    const kind = random.int(10);
    if (kind === 0) parts.push(Buffer.from('..dot-stuffed line'));
    else if (kind === 1)
      parts.push(Buffer.from(random.bytes(random.int(200)).filter((b) => b !== 0x0a)));
    else if (kind === 2) parts.push(Buffer.from('x'.repeat(random.int(5000))));
    else if (kind === 3) parts.push(Buffer.from('--boundary\r\nContent-Type: text/plain'));
    else if (kind === 4) parts.push(Buffer.from([0, 0, 0x41, 0]));
    else parts.push(Buffer.from(`line ${i} of the fuzz message`));
    parts.push(Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

function command(line: string | Buffer, random: Random, awaitReply = true): Step {
  const bytes = typeof line === 'string' ? Buffer.from(line) : line;
  return {
    kind: 'write',
    data: Buffer.concat([bytes, Buffer.from(lineEnd(random))]),
    awaitReply,
  };
}

function wellFormedTransaction(random: Random): Step[] {
  const steps: Step[] = [
    command('EHLO fuzz.example.test', random),
    command('MAIL FROM:<a@example.test>', random),
  ];
  const recipients = 1 + random.int(3);
  for (let i = 0; i < recipients; i++) steps.push(command(`RCPT TO:<r${i}@example.test>`, random));
  steps.push(command('DATA', random));
  const body = Buffer.from(`Subject: fuzz ${random.int(1e9)}\r\n\r\nhello\r\n..dot\r\n`);
  steps.push({
    kind: 'write',
    data: Buffer.concat([body, Buffer.from('.\r\n')]),
    awaitReply: true,
  });
  return steps.map((step) =>
    step.kind === 'write' ? { ...step, data: fixLineEnd(step.data) } : step,
  );
}

/** Gives a step of a well-formed transaction its CRLF back. */
function fixLineEnd(data: Buffer): Buffer {
  const text = data.toString('latin1').replace(/[\r\n]+$/, '');
  return Buffer.from(`${text}\r\n`, 'latin1');
}

/** Builds a random session plan. */
export function planSession(random: Random): SessionPlan {
  const ending = random.pick<SessionEnding>(['quit', 'quit', 'end', 'destroy', 'reset']);
  const scenario = random.pick([
    'valid',
    'random',
    'mutated',
    'pipelined',
    'junk',
    'data-cut',
    'tls',
  ] as const);
  switch (scenario) {
    case 'valid':
      return { scenario, steps: wellFormedTransaction(random), ending: 'quit', mustCommit: true };
    case 'random':
    case 'mutated': {
      const steps: Step[] = [];
      const count = 1 + random.int(15);
      for (let i = 0; i < count; i++) {
        let line: Buffer = Buffer.from(random.pick(COMMANDS));
        if (scenario === 'mutated' && random.chance(0.5)) line = mutate(random, line);
        if (line.toString() === 'STARTTLS') continue;
        steps.push(command(line, random));
        if (line.toString() === 'DATA' && random.chance(0.7)) {
          const end = random.chance(0.8) ? '.\r\n' : '';
          steps.push({
            kind: 'write',
            data: Buffer.concat([messageBody(random), Buffer.from(end)]),
            awaitReply: end !== '',
          });
        }
      }
      return { scenario, steps, ending, mustCommit: false };
    }
    case 'pipelined': {
      const parts: Buffer[] = [];
      for (const step of wellFormedTransaction(random)) {
        if (step.kind === 'write') parts.push(step.data);
      }
      for (let i = random.int(30); i > 0; i--) {
        parts.push(Buffer.from(`${random.pick(COMMANDS)}\r\n`));
      }
      // Cut the burst into random pieces so that commands straddle TCP segments.
      const burst = Buffer.concat(parts);
      const steps: Step[] = [];
      let offset = 0;
      while (offset < burst.length) {
        const size = 1 + random.int(Math.max(1, burst.length - offset));
        steps.push({
          kind: 'write',
          data: burst.subarray(offset, offset + size),
          awaitReply: false,
        });
        offset += size;
      }
      const last = steps.at(-1);
      if (last?.kind === 'write') last.awaitReply = true;
      return { scenario, steps, ending, mustCommit: false };
    }
    case 'junk': {
      const steps: Step[] = [];
      if (random.chance(0.5)) steps.push(command('EHLO junk.example.test', random));
      for (let i = 1 + random.int(4); i > 0; i--) {
        steps.push({ kind: 'write', data: random.bytes(1 + random.int(3000)), awaitReply: false });
      }
      steps.push(command('NOOP', random));
      return { scenario, steps, ending, mustCommit: false };
    }
    case 'data-cut': {
      // A transaction that stops somewhere in DATA, without the final dot.
      const steps = wellFormedTransaction(random).slice(0, -1);
      const body = messageBody(random);
      steps.push({
        kind: 'write',
        data: body.subarray(0, random.int(body.length + 1)),
        awaitReply: false,
      });
      return {
        scenario,
        steps,
        ending: random.pick(['end', 'destroy', 'reset']),
        mustCommit: false,
      };
    }
    case 'tls': {
      const steps: Step[] = [command('EHLO tls.example.test', random)];
      if (random.chance(0.5)) steps.push(command('MAIL FROM:<a@example.test>', random));
      steps.push({ kind: 'starttls', handshake: random.pick(['garbage', 'cut', 'complete']) });
      return { scenario, steps, ending, mustCommit: false };
    }
  }
}

/** Checks reply lines as they arrive: `NNN`, `NNN text` or `NNN-text`, one code per reply. */
class ReplyChecker {
  private buffer = '';
  private continuing: string | null = null;
  readonly malformed: string[] = [];
  readonly queuedIds: string[] = [];
  readonly codes: number[] = [];
  /** The last few reply lines, to show in a failure. */
  readonly lastLines: string[] = [];
  private waiter: (() => void) | null = null;

  feed(text: string): void {
    this.buffer += text;
    let end = this.buffer.indexOf('\r\n');
    while (end !== -1) {
      this.checkLine(this.buffer.slice(0, end));
      this.buffer = this.buffer.slice(end + 2);
      end = this.buffer.indexOf('\r\n');
    }
    this.waiter?.();
  }

  /** Text received after the last CRLF, which a closed connection should not have. */
  get leftover(): string {
    return this.buffer;
  }

  get replyCount(): number {
    return this.codes.length;
  }

  /** Waits until more than `count` replies arrived, or `timeoutMs` passed. */
  async waitForReply(count: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.codes.length <= count) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = null;
    }
    return true;
  }

  wake(): void {
    this.waiter?.();
  }

  private checkLine(line: string): void {
    this.lastLines.push(line.slice(0, 120));
    if (this.lastLines.length > 4) this.lastLines.shift();
    const match = /^([2-5]\d\d)([ -]|$)/.exec(line);
    if (!match || /[\r\n\0]/.test(line)) {
      this.malformed.push(`bad reply line: ${JSON.stringify(line.slice(0, 200))}`);
      return;
    }
    const code = match[1] as string;
    if (this.continuing !== null && this.continuing !== code) {
      this.malformed.push(`reply code changed inside a multi-line reply: ${JSON.stringify(line)}`);
    }
    if (match[2] === '-') {
      this.continuing = code;
      return;
    }
    this.continuing = null;
    this.codes.push(Number(code));
    const queued = /^250 .*queued as (\S+)/.exec(line);
    if (queued) this.queuedIds.push(queued[1] as string);
  }
}

/**
 * Wait for a reply that may not come, such as one to a command that DATA took as message
 * content. Replies that must come (the greeting, every step of a well-formed transaction)
 * get MUST_REPLY_TIMEOUT_MS, because a busy machine can delay them by seconds, and a client
 * that talks before the greeting gets 421.
 */
const REPLY_TIMEOUT_MS = 1000;
const MUST_REPLY_TIMEOUT_MS = 15_000;

/** Runs one planned session against `port` and returns what it saw. Never throws. */
export async function runSession(
  port: number,
  plan: SessionPlan,
  random: Random,
): Promise<SessionResult> {
  const checker = new ReplyChecker();
  let socket: net.Socket;
  try {
    socket = await connect(port);
  } catch (error) {
    return {
      scenario: plan.scenario,
      malformed: [`connect failed: ${String(error)}`],
      queuedIds: [],
      replies: 0,
      missingCommit: null,
    };
  }
  let closed = false;
  const closedPromise = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closed = true;
      checker.wake();
      resolve();
    }),
  );
  socket.on('error', () => undefined);
  const onData = (chunk: Buffer): void => checker.feed(chunk.toString('latin1'));
  socket.on('data', onData);

  let secure: tls.TLSSocket | null = null;
  try {
    await checker.waitForReply(0, MUST_REPLY_TIMEOUT_MS);
    const replyTimeout = plan.mustCommit ? MUST_REPLY_TIMEOUT_MS : REPLY_TIMEOUT_MS;
    for (const step of plan.steps) {
      if (closed) break;
      if (step.kind === 'write') {
        const before = checker.replyCount;
        socket.write(step.data);
        if (step.awaitReply) await checker.waitForReply(before, replyTimeout);
        continue;
      }
      const before = checker.replyCount;
      socket.write('STARTTLS\r\n');
      await checker.waitForReply(before, REPLY_TIMEOUT_MS);
      if (checker.codes.at(-1) !== 220) continue;
      // From here on the bytes on the socket are TLS records, not SMTP replies.
      socket.off('data', onData);
      secure = await handshake(socket, step.handshake, random, checker);
      break;
    }
    await finish(secure ?? socket, plan.ending, checker);
  } finally {
    secure?.destroy();
    socket.destroy();
    await Promise.race([closedPromise, sleep(1000)]);
  }

  const malformed = [...checker.malformed];
  if (checker.leftover !== '' && secure === null) {
    malformed.push(`connection closed inside a reply line: ${JSON.stringify(checker.leftover)}`);
  }
  let missingCommit: string | null = null;
  if (plan.mustCommit && checker.queuedIds.length !== 1) {
    missingCommit =
      `expected one 250 queued reply, got codes ${checker.codes.join(',')}; ` +
      `last lines ${JSON.stringify(checker.lastLines)}`;
  }
  return {
    scenario: plan.scenario,
    malformed,
    queuedIds: checker.queuedIds,
    replies: checker.replyCount,
    missingCommit,
  };
}

async function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Does one of three things after the 220 to STARTTLS; returns the TLS socket if any. */
async function handshake(
  socket: net.Socket,
  kind: 'garbage' | 'cut' | 'complete',
  random: Random,
  checker: ReplyChecker,
): Promise<tls.TLSSocket | null> {
  if (kind === 'garbage') {
    socket.write(random.bytes(1 + random.int(500)));
    await sleep(random.int(50));
    return null;
  }
  const secure = tls.connect({ socket, rejectUnauthorized: false, servername: 'localhost' });
  secure.on('error', () => undefined);
  if (kind === 'cut') {
    // End the connection a few milliseconds into the handshake.
    await sleep(random.int(20));
    secure.destroy();
    return secure;
  }
  const ready = await Promise.race([
    new Promise<boolean>((resolve) => secure.once('secureConnect', () => resolve(true))),
    sleep(REPLY_TIMEOUT_MS).then(() => false),
  ]);
  if (!ready) return secure;
  secure.on('data', (chunk: Buffer) => checker.feed(chunk.toString('latin1')));
  const before = checker.replyCount;
  secure.write('EHLO tls.example.test\r\n');
  await checker.waitForReply(before, REPLY_TIMEOUT_MS);
  return secure;
}

async function finish(
  socket: net.Socket,
  ending: SessionEnding,
  checker: ReplyChecker,
): Promise<void> {
  if (socket.destroyed) return;
  switch (ending) {
    case 'quit': {
      const before = checker.replyCount;
      socket.write('QUIT\r\n');
      await checker.waitForReply(before, REPLY_TIMEOUT_MS);
      socket.end();
      return;
    }
    case 'end':
      socket.end();
      return;
    case 'destroy':
      socket.destroy();
      return;
    case 'reset':
      if (!(socket instanceof tls.TLSSocket)) socket.resetAndDestroy();
      else socket.destroy();
      return;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
