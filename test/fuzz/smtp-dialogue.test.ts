import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { Random } from '../support/random.js';
import { planSession, runSession, type SessionResult } from './smtp-fuzzer.js';

/**
 * A bounded fuzzer for the SMTP dialogue against the real CLI: random and mutated command
 * sequences, pipelined bursts cut at random points, junk and NUL bytes, over-long lines,
 * DATA cut short, early disconnects and TLS handshakes cut short. The default run is
 * short; MAILSCOPE_FUZZ_SESSIONS sets the number of sessions and MAILSCOPE_FUZZ_SEED
 * repeats a run.
 */
const SESSIONS = Number(process.env.MAILSCOPE_FUZZ_SESSIONS ?? 500);
const SEED = Number(process.env.MAILSCOPE_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const CONCURRENCY = 16;
/** About 50 ms a session on a busy two-core machine, with room to spare. */
const RUN_TIMEOUT_MS = 60_000 + SESSIONS * 100;

/** Start-up loads the TypeScript sources, which takes long on a busy machine. */
const STARTUP_TIMEOUT_MS = 90_000;

let dataDir: string;
let server: ServerProcess;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'mailscope-fuzz-'));
  server = await startServerProcess(
    ['--db', path.join(dataDir, 'mail.db'), '--data-dir', dataDir, '--max-messages', '1000000'],
    STARTUP_TIMEOUT_MS,
  );
}, STARTUP_TIMEOUT_MS);

afterAll(async () => {
  if (server.child.exitCode === null && server.child.signalCode === null) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  await rm(dataDir, { recursive: true, force: true });
});

describe('SMTP dialogue fuzzer', () => {
  it(
    `survives ${SESSIONS} hostile sessions`,
    async () => {
      console.log(`SMTP fuzzer: seed ${SEED}, ${SESSIONS} sessions (MAILSCOPE_FUZZ_SEED=${SEED})`);
      const random = new Random(SEED);
      const results: SessionResult[] = [];
      let next = 0;
      const started = Date.now();

      // Plans come from one PRNG in session order, so a seed repeats the same sessions.
      const plans = Array.from({ length: SESSIONS }, () => planSession(random));
      const seeds = plans.map(() => random.int(2 ** 31));
      const worker = async (): Promise<void> => {
        while (next < plans.length) {
          const index = next++;
          results[index] = await runSession(
            server.smtp.port,
            plans[index]!,
            new Random(seeds[index]!),
          );
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      const elapsed = Date.now() - started;

      const counts = new Map<string, number>();
      for (const result of results) {
        counts.set(result.scenario, (counts.get(result.scenario) ?? 0) + 1);
      }
      const replies = results.reduce((sum, result) => sum + result.replies, 0);
      const queued = results.flatMap((result) => result.queuedIds);
      console.log(
        `SMTP fuzzer: ${SESSIONS} sessions in ${elapsed} ms, ${replies} replies, ` +
          `${queued.length} messages queued; ${[...counts].map(([k, v]) => `${k} ${v}`).join(', ')}`,
      );

      // The process is still up and responds to its health check.
      expect(server.child.exitCode).toBeNull();
      expect(server.child.signalCode).toBeNull();
      const live = await fetch(`http://127.0.0.1:${server.http.port}/livez`);
      expect(live.status).toBe(200);

      const malformed = results.flatMap((result, i) =>
        result.malformed.map((problem) => `session ${i} (${result.scenario}): ${problem}`),
      );
      expect(malformed.slice(0, 20)).toEqual([]);
      const missing = results.flatMap((result, i) =>
        result.missingCommit === null ? [] : [`session ${i}: ${result.missingCommit}`],
      );
      expect(missing.slice(0, 20)).toEqual([]);

      // Once every session has ended, nothing is left in progress or staged.
      const db = new Database(path.join(dataDir, 'mail.db'), { readonly: true });
      try {
        const leftOpen = await waitForNoOpenDeliveries(db);
        expect(leftOpen).toEqual([]);
        const staged = db.prepare('SELECT id FROM messages WHERE staged = 1').all();
        expect(staged).toEqual([]);
        const committed = db.prepare(
          "SELECT count(*) AS n FROM deliveries WHERE id = ? AND state = 'committed'",
        );
        const notCommitted = queued.filter((id) => (committed.get(id) as { n: number }).n !== 1);
        expect(notCommitted).toEqual([]);
      } finally {
        db.close();
      }
      expect(await spillFiles(dataDir)).toEqual([]);
    },
    RUN_TIMEOUT_MS,
  );
});

/** Waits up to 10 s for deliveries in progress to end; returns the ids still open then. */
async function waitForNoOpenDeliveries(db: Database.Database): Promise<string[]> {
  const query = db.prepare("SELECT id FROM deliveries WHERE state = 'in-progress'");
  const deadline = Date.now() + 10_000;
  for (;;) {
    const open = (query.all() as Array<{ id: string }>).map((row) => row.id);
    if (open.length === 0 || Date.now() > deadline) return open;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Lists temporary message bodies left in the data folder's tmp folders. */
async function spillFiles(dir: string): Promise<string[]> {
  const tmp = path.join(dir, 'tmp');
  const runs = await readdir(tmp).catch(() => [] as string[]);
  const files: string[] = [];
  for (const run of runs) {
    for (const name of await readdir(path.join(tmp, run)).catch(() => [] as string[])) {
      files.push(path.join(run, name));
    }
  }
  return files;
}
