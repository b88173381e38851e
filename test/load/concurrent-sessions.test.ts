import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RawSmtpClient } from '../support/raw-smtp-client.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';

/**
 * 100 SMTP sessions at once while one client polls the delivery list and another deletes
 * all messages again and again, against the real CLI.
 */
const SESSIONS = 100;
/** Messages per session sent while the deleter runs; one more follows once it stopped. */
const MESSAGES_DURING_DELETES = 2;
/**
 * Generous, because the test checks outcomes, not latency, and 100 sessions on a busy
 * two-core machine can wait seconds for a reply.
 */
const REPLY_TIMEOUT_MS = 30_000;

/** Start-up loads the TypeScript sources, which takes long on a busy machine. */
const STARTUP_TIMEOUT_MS = 90_000;

let dataDir: string;
let server: ServerProcess;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'mailscope-load-'));
  server = await startServerProcess(
    ['--db', path.join(dataDir, 'mail.db'), '--data-dir', dataDir],
    STARTUP_TIMEOUT_MS,
  );
}, STARTUP_TIMEOUT_MS);

afterAll(async () => {
  if (server.child.exitCode !== null || server.child.signalCode !== null) {
    console.log(`mailscope exited early; its output:\n${server.output().slice(-5000)}`);
  } else {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  await rm(dataDir, { recursive: true, force: true });
});

/** Orders the events this test observes: each call returns a larger number. */
let clock = 0;
const tick = (): number => ++clock;

interface Acknowledged {
  id: string;
  /** Tick before the client sent MAIL FROM. */
  startedAt: number;
  /** Tick when the 250 reply to the final dot arrived. */
  ackedAt: number;
}

interface DeleteRun {
  startedAt: number;
  endedAt: number;
}

describe('load with concurrent deletes', () => {
  it('acknowledges every message and loses none', async () => {
    const api = `http://127.0.0.1:${server.http.port}/api/mailscope`;
    const acknowledged: Acknowledged[] = [];
    const smtpFailures: string[] = [];
    const httpFailures: string[] = [];
    const deletes: DeleteRun[] = [];
    const listed = new Set<string>();
    let deleting = true;
    let polling = true;

    const sendOne = async (client: RawSmtpClient, label: string): Promise<void> => {
      const startedAt = tick();
      const replies = [
        await client.command('MAIL FROM:<load@example.test>', REPLY_TIMEOUT_MS),
        await client.command(`RCPT TO:<${label}@example.test>`, REPLY_TIMEOUT_MS),
        await client.command('DATA', REPLY_TIMEOUT_MS),
      ];
      client.write(`Subject: ${label}\r\n\r\nload test body ${label}\r\n.\r\n`);
      const end = await client.read(REPLY_TIMEOUT_MS);
      const ackedAt = tick();
      for (const reply of [...replies, end]) {
        if (reply.code >= 400) smtpFailures.push(`${label}: ${reply.raw}`);
      }
      const id = /^250 .*queued as (\S+)/.exec(end.raw)?.[1];
      if (id !== undefined) acknowledged.push({ id, startedAt, ackedAt });
    };

    const session = async (index: number): Promise<void> => {
      const { client, greeting } = await RawSmtpClient.connect(
        server.smtp.port,
        '127.0.0.1',
        REPLY_TIMEOUT_MS,
      );
      try {
        if (greeting.code !== 220) smtpFailures.push(`greeting: ${greeting.raw}`);
        await client.command('EHLO load.example.test', REPLY_TIMEOUT_MS);
        for (let n = 0; n < MESSAGES_DURING_DELETES; n++) await sendOne(client, `s${index}m${n}`);
        firstPhaseDone += 1;
        await untilDeleterStopped();
        await sendOne(client, `s${index}final`);
        await client.command('QUIT', REPLY_TIMEOUT_MS);
      } finally {
        client.destroy();
      }
    };
    let firstPhaseDone = 0;

    let stopDeleter: () => void = () => undefined;
    const deleterStopped = new Promise<void>((resolve) => (stopDeleter = resolve));
    const untilDeleterStopped = (): Promise<void> => deleterStopped;

    const deleter = async (): Promise<void> => {
      for (let round = 0; deleting && round < 10_000; round++) {
        const startedAt = tick();
        const failure = await request(`${api}/messages`, 'DELETE');
        if (failure !== null) httpFailures.push(`DELETE ${failure}`);
        deletes.push({ startedAt, endedAt: tick() });
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };

    const poller = async (): Promise<void> => {
      for (let round = 0; polling && round < 10_000; round++) {
        const failure = await request(`${api}/deliveries?limit=500`, 'GET', (text) => {
          const page = JSON.parse(text) as { deliveries: Array<{ id: string }> };
          for (const delivery of page.deliveries) listed.add(delivery.id);
        });
        if (failure !== null) httpFailures.push(`GET ${failure}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    const background = [deleter(), poller()];
    const sessionsDone = Promise.all(
      Array.from({ length: SESSIONS }, (_, index) =>
        session(index).catch((error: unknown) => {
          smtpFailures.push(`session ${index}: ${String(error)}`);
          firstPhaseDone += 1;
        }),
      ),
    );
    try {
      // The deleter stops once every session has sent its messages during deletes.
      await waitUntil(() => firstPhaseDone >= SESSIONS, 120_000);
      deleting = false;
      await background[0];
      stopDeleter();
      await sessionsDone;
    } finally {
      deleting = false;
      polling = false;
      stopDeleter();
      await Promise.all(background);
    }

    console.log(
      `load: ${acknowledged.length} messages acknowledged over ${SESSIONS} sessions, ` +
        `${deletes.length} delete-all requests, ${listed.size} ids seen by the poller`,
    );
    expect(server.child.exitCode).toBeNull();
    expect(server.child.signalCode).toBeNull();
    expect(smtpFailures.slice(0, 10)).toEqual([]);
    expect(httpFailures.slice(0, 10)).toEqual([]);
    expect(acknowledged).toHaveLength(SESSIONS * (MESSAGES_DURING_DELETES + 1));
    expect(server.output()).not.toMatch(/SQLITE_BUSY|database is locked/);
    expect(deletes.length).toBeGreaterThan(5);

    const db = new Database(path.join(dataDir, 'mail.db'), { readonly: true });
    try {
      const present = db.prepare(
        "SELECT count(*) AS n FROM deliveries d JOIN messages m ON m.id = d.id WHERE d.id = ? AND d.state = 'committed' AND m.staged = 0",
      );
      const isPresent = (id: string): boolean => (present.get(id) as { n: number }).n === 1;
      const lastDeleteEnd = Math.max(...deletes.map((run) => run.endedAt));

      // A message sent after the last delete-all ended must still be there. One acknowledged
      // while a delete-all was under way may be gone, because the server may have committed
      // it before it ran the delete.
      const sentAfterDeletes = acknowledged.filter((message) => message.startedAt > lastDeleteEnd);
      expect(sentAfterDeletes).toHaveLength(SESSIONS);
      const lostAfterDeletes = sentAfterDeletes.filter((message) => !isPresent(message.id));
      expect(lostAfterDeletes.map((message) => message.id)).toEqual([]);

      // A message that is gone was removed by a delete-all that ended after its
      // transaction began; an earlier one cannot have seen it.
      const unexplained = acknowledged.filter(
        (message) =>
          !isPresent(message.id) && !deletes.some((run) => run.endedAt > message.startedAt),
      );
      expect(unexplained.map((message) => message.id)).toEqual([]);
      const inProgress = db
        .prepare("SELECT count(*) AS n FROM deliveries WHERE state = 'in-progress'")
        .get() as { n: number };
      expect(inProgress.n).toBe(0);
    } finally {
      db.close();
    }
  }, 180_000);
});

/**
 * Sends a request from the server's own origin and hands a 200 body to `onBody`. Returns
 * null on success, or the status and body (or the error) of a failure.
 */
async function request(
  url: string,
  method: 'GET' | 'DELETE',
  onBody: (text: string) => void = () => undefined,
): Promise<string | null> {
  try {
    const response = await fetch(url, {
      method,
      headers: { Origin: new URL(url).origin },
    });
    const text = await response.text();
    if (response.status !== 200) return `${response.status}: ${text}`;
    onBody(text);
    return null;
  } catch (error) {
    return `failed: ${String(error)}`;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
