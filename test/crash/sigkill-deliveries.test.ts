import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { rawSourceSql, registerRawSourceFunctions } from '../../src/store/raw-source.js';
import { Random } from '../support/random.js';
import { RawSmtpClient } from '../support/raw-smtp-client.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';

/**
 * Kills the real CLI with SIGKILL at random points while deliveries run in parallel,
 * restarts it and repeats. MAILSCOPE_CRASH_DELIVERIES sets how many deliveries the run
 * starts in all (default 100) and MAILSCOPE_CRASH_SEED repeats a run.
 */
const DELIVERIES = Number(process.env.MAILSCOPE_CRASH_DELIVERIES ?? 100);
const SEED = Number(process.env.MAILSCOPE_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const PER_ROUND = 50;
const WORKERS = 6;
/**
 * A restart takes a few seconds, most of it loading the TypeScript sources, and up to a
 * minute on a busy machine.
 */
const RUN_TIMEOUT_MS = 120_000 + Math.ceil(DELIVERIES / (PER_ROUND / 2)) * 30_000;

/** One delivery that a client started. */
interface Attempt {
  subject: string;
  /** The message as stored: the bytes between DATA and the final dot, unstuffed. */
  stored: Buffer;
  /** True once the client wrote the final dot. */
  dotSent: boolean;
  /** The id from the 250 reply to the final dot, or null without one. */
  queuedId: string | null;
  /** The reply to the final dot when it was not 250. */
  rejectedReply: string | null;
}

let dataDir: string;
let dbPath: string;
let server: ServerProcess | null = null;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'mailscope-sigkill-'));
  dbPath = path.join(dataDir, 'mail.db');
});

afterAll(async () => {
  await stopServer('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

async function startServer(): Promise<ServerProcess> {
  server = await startServerProcess(
    ['--db', dbPath, '--data-dir', dataDir, '--max-messages', '1000000'],
    90_000,
  );
  return server;
}

async function stopServer(signal: NodeJS.Signals): Promise<void> {
  const running = server;
  server = null;
  if (running === null || running.child.exitCode !== null || running.child.signalCode !== null) {
    return;
  }
  running.child.kill(signal);
  await running.exited;
}

/** Builds a message: small mostly, sometimes large enough to spill to a temporary file. */
function buildMessage(random: Random, subject: string): { wire: Buffer; stored: Buffer } {
  const size = random.chance(0.1) ? 1_200_000 + random.int(300_000) : 200 + random.int(20_000);
  const base64 = randomBytes(Math.ceil((size * 3) / 4))
    .toString('base64')
    .slice(0, size);
  const lines = base64.match(/.{1,76}/g) ?? [];
  const stored = Buffer.from(
    `From: crash@example.test\r\nTo: b@example.test\r\nSubject: ${subject}\r\n\r\n` +
      `.a line that starts with a dot\r\n${lines.join('\r\n')}\r\n`,
  );
  const wire = Buffer.from(stored.toString('latin1').replace(/^\./gm, '..'), 'latin1');
  return { wire, stored };
}

/** Sends one message on a new connection and records how far it got. Never throws. */
async function deliver(port: number, attempt: Attempt, wire: Buffer): Promise<void> {
  let client: RawSmtpClient | null = null;
  try {
    ({ client } = await RawSmtpClient.connect(port));
    await client.command('EHLO crash.example.test');
    if ((await client.command('MAIL FROM:<crash@example.test>')).code !== 250) return;
    if ((await client.command('RCPT TO:<b@example.test>')).code !== 250) return;
    if ((await client.command('DATA')).code !== 354) return;
    client.write(wire);
    client.write('.\r\n');
    attempt.dotSent = true;
    const reply = await client.read(30_000);
    const queued = /^250 .*queued as (\S+)/.exec(reply.raw);
    if (queued) attempt.queuedId = queued[1] as string;
    else attempt.rejectedReply = reply.raw;
  } catch {
    // The server died under the client: the attempt keeps what it reached.
  } finally {
    client?.destroy();
  }
}

describe('SIGKILL during deliveries', () => {
  it(
    `keeps every acknowledged message of ${DELIVERIES} deliveries`,
    async () => {
      console.log(`crash harness: seed ${SEED}, ${DELIVERIES} deliveries (MAILSCOPE_CRASH_SEED)`);
      const random = new Random(SEED);
      const attempts: Attempt[] = [];
      let rounds = 0;

      while (attempts.length < DELIVERIES) {
        rounds += 1;
        const running = await startServer();
        const port = running.smtp.port;
        const roundTarget = Math.min(PER_ROUND, DELIVERIES - attempts.length);
        // The kill comes once a random number of this round's deliveries has started,
        // plus a few milliseconds, so it lands anywhere in a transaction. No delivery
        // starts after it.
        const killAfter = Math.ceil(roundTarget / 2) + random.int(Math.ceil(roundTarget / 2));
        const killDelayMs = random.int(40);
        let started = 0;
        let killed = false;
        const kill = (): void => {
          if (killed) return;
          killed = true;
          setTimeout(() => running.child.kill('SIGKILL'), killDelayMs);
        };

        const worker = async (): Promise<void> => {
          while (!killed && started < roundTarget) {
            started += 1;
            const subject = `crash ${rounds}-${started} ${random.int(1e9)}`;
            const { wire, stored } = buildMessage(random, subject);
            const attempt: Attempt = {
              subject,
              stored,
              dotSent: false,
              queuedId: null,
              rejectedReply: null,
            };
            attempts.push(attempt);
            if (started >= killAfter) kill();
            await deliver(port, attempt, wire);
          }
        };
        await Promise.all(Array.from({ length: WORKERS }, worker));
        kill();
        await running.exited;
        server = null;
      }

      // A last start runs the recovery, then a clean stop.
      await startServer();
      await stopServer('SIGTERM');

      const acked = attempts.filter((attempt) => attempt.queuedId !== null);
      const db = new Database(dbPath, { readonly: true });
      registerRawSourceFunctions(db);
      try {
        const rows = db
          .prepare(
            `SELECT d.id, d.state, m.staged, m.subject,
               CASE WHEN m.id IS NULL THEN NULL ELSE ${rawSourceSql('m.id')} END AS raw
             FROM deliveries d LEFT JOIN messages m ON m.id = d.id`,
          )
          .all() as Array<{
          id: string;
          state: string;
          raw: Buffer | null;
          staged: number | null;
          subject: string | null;
        }>;
        const byId = new Map(rows.map((row) => [row.id, row]));
        const attemptBySubject = new Map(attempts.map((attempt) => [attempt.subject, attempt]));
        const states = new Map<string, number>();
        for (const row of rows) states.set(row.state, (states.get(row.state) ?? 0) + 1);
        const committedWithoutReply = rows.filter(
          (row) =>
            row.state === 'committed' && attemptBySubject.get(row.subject ?? '')?.queuedId === null,
        ).length;
        console.log(
          `crash harness: ${rounds} kills, ${attempts.length} deliveries started, ` +
            `${acked.length} got 250, ${attempts.filter((a) => a.dotSent).length} sent the dot; ` +
            `rows by state: ${[...states].map(([k, v]) => `${k} ${v}`).join(', ')}; ` +
            `${committedWithoutReply} committed with the 250 lost in the kill`,
        );

        // Every message that got a 250 is stored, committed and byte-identical.
        const damaged = acked.filter((attempt) => {
          const row = byId.get(attempt.queuedId as string);
          return row?.state !== 'committed' || row.staged !== 0 || !row.raw?.equals(attempt.stored);
        });
        expect(damaged.map((attempt) => attempt.subject)).toEqual([]);

        // A committed message is a whole message that its client finished sending.
        const unexpected = rows.filter((row) => {
          if (row.state !== 'committed') return false;
          const attempt = attemptBySubject.get(row.subject ?? '');
          return attempt === undefined || !attempt.dotSent || !row.raw?.equals(attempt.stored);
        });
        expect(unexpected.map((row) => row.id)).toEqual([]);

        // Nothing is left in progress or staged, and every delivery cut by a kill is
        // marked interrupted with its trace saying so.
        expect(rows.filter((row) => row.state === 'in-progress')).toEqual([]);
        expect(rows.filter((row) => row.staged === 1).map((row) => row.id)).toEqual([]);
        const interrupted = rows.filter((row) => row.state === 'interrupted');
        const lastEvent = db.prepare(
          'SELECT type FROM delivery_events WHERE delivery_id = ? ORDER BY seq DESC LIMIT 1',
        );
        for (const row of interrupted) {
          expect((lastEvent.get(row.id) as { type: string }).type).toBe('delivery.interrupted');
        }
        const visible = db
          .prepare('SELECT count(*) AS n FROM messages m JOIN deliveries d ON d.id = m.id')
          .get() as { n: number };
        expect(visible.n).toBe(rows.filter((row) => row.raw !== null).length);
        // No client got a refusal: a kill shows as a dropped connection, not a reply.
        expect(attempts.filter((attempt) => attempt.rejectedReply !== null)).toEqual([]);
      } finally {
        db.close();
      }
    },
    RUN_TIMEOUT_MS,
  );
});
