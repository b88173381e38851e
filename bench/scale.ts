import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import { quantile } from './live-events.js';
import {
  generatedMessage,
  generatedSender,
  isRareWordMessage,
  RARE_SENDER,
  RARE_WORD,
} from './messages.js';
import type { BenchServer } from './servers.js';
import { sendLoad } from './smtp-load.js';
import { ROOT } from './tools.js';

/** Timings of one API request repeated, in milliseconds. */
export interface RequestTiming {
  name: string;
  request: string;
  /** Deliveries the response reports (`total` for the list, 1 for one delivery). */
  matches: number | null;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
}

/** Figures that bench/fill-store.ts prints as JSON on standard output. */
export interface ScaleFill {
  messages: number;
  /** Messages imported through the core; the others are SQL copies of them. */
  imported: number;
  rawBytes: number;
  elapsedMs: number;
  importMs: number;
  copyMs: number;
  /** Time to index the copies for search, run ANALYZE, and open and close the store. */
  indexMs: number;
}

const RUNS = 20;
/** Time the fill may take before the bench gives up. */
const FILL_TIMEOUT_MS = 1_200_000;
/** Time the SMTP messages and delete all may take before the bench gives up. */
const REQUEST_TIMEOUT_MS = 1_200_000;
const WARMUP_RUNS = 2;

/**
 * Fills the data folder `dataDir` with `count` generated messages of about 2 KB, with
 * senders, subjects and bodies that vary as in real use. It runs bench/fill-store.ts in a
 * child process, which imports `distinct` of them through the core and copies those.
 */
export async function fillStore(
  dataDir: string,
  count: number,
  distinct: number,
): Promise<ScaleFill> {
  const script = path.join(ROOT, 'bench', 'fill-store.ts');
  const args = ['--import', 'tsx', script, dataDir, String(count), String(distinct)];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), FILL_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`fill-store.ts exited with ${code}`);
  return JSON.parse(output) as ScaleFill;
}

/**
 * Checks through the API that the server lists `count` messages, and that the searches for
 * RARE_WORD and for RARE_SENDER find as many as the fill stored, where message `k` repeats
 * generated message `k % distinct`. Throws when a figure differs, because the timings of
 * a store filled wrong measure nothing.
 */
export async function checkFilledStore(
  server: BenchServer,
  count: number,
  distinct: number,
): Promise<void> {
  const api = `${server.httpBase}/api/mailscope`;
  const expected = { messages: count, rare: 0, sender: 0 };
  for (let index = 0; index < count; index += 1) {
    const original = index % distinct;
    if (isRareWordMessage(original)) expected.rare += 1;
    if (generatedSender(original) === RARE_SENDER) expected.sender += 1;
  }
  const stored = await server.countStored();
  const total = async (query: string): Promise<number> => {
    const body = (await getJson(`${api}/deliveries?limit=1&q=${encodeURIComponent(query)}`)) as {
      total: number;
    };
    return body.total;
  };
  const found = {
    messages: stored,
    rare: await total(RARE_WORD),
    sender: await total(`from:${RARE_SENDER}`),
  };
  if (
    found.messages !== expected.messages ||
    found.rare !== expected.rare ||
    found.sender !== expected.sender
  ) {
    throw new Error(
      `the filled store differs from the generated messages: expected ${JSON.stringify(expected)}, ` +
        `the API returned ${JSON.stringify(found)}`,
    );
  }
}

/** Sends `count` generated messages over SMTP, 4 sessions; returns the raw bytes sent. */
export async function sendGenerated(
  server: BenchServer,
  count: number,
  first: number,
): Promise<number> {
  const result = await sendLoad({
    host: '127.0.0.1',
    port: server.smtpPort,
    sessions: 4,
    count,
    message: (index) => generatedMessage(first + index, 1800),
    timeoutMs: REQUEST_TIMEOUT_MS,
  });
  if (result.rejected.length > 0) {
    throw new Error(`${result.rejected.length} messages rejected: ${result.rejected[0]?.reply}`);
  }
  return result.bytes;
}

/** Times the list, search and detail requests that the inspector makes. */
export async function timeQueries(server: BenchServer): Promise<RequestTiming[]> {
  const api = `${server.httpBase}/api/mailscope`;
  const first = (await getJson(`${api}/deliveries?limit=50`)) as {
    deliveries: Array<{ id: string }>;
    total: number;
  };
  const middleId = await deliveryAt(api, Math.floor(first.total / 2));

  const requests: Array<{ name: string; path: string }> = [
    { name: 'list page (first 50)', path: '/deliveries?limit=50' },
    { name: 'list page (first 200, as the UI asks)', path: '/deliveries?limit=200' },
    { name: `word search (1 in 100: ${RARE_WORD})`, path: `/deliveries?limit=200&q=${RARE_WORD}` },
    { name: 'word search (common: invoice)', path: '/deliveries?limit=200&q=invoice' },
    {
      name: 'from: search (1 in 500)',
      path: `/deliveries?limit=200&q=${encodeURIComponent(`from:${RARE_SENDER}`)}`,
    },
    { name: 'open one delivery (middle)', path: `/deliveries/${middleId}` },
    { name: 'message headers (middle)', path: `/messages/${middleId}/headers` },
  ];
  const timings: RequestTiming[] = [];
  for (const request of requests) timings.push(await timeRequest(api, request.name, request.path));
  return timings;
}

/** Returns the id of the delivery at `index` from the newest, by walking the list's cursors. */
async function deliveryAt(api: string, index: number): Promise<string> {
  let cursor: string | null = null;
  let skipped = 0;
  for (let page = 0; page < 1000; page += 1) {
    const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const body = (await getJson(`${api}/deliveries?limit=500${query}`)) as {
      deliveries: Array<{ id: string }>;
      nextCursor: string | null;
    };
    if (skipped + body.deliveries.length > index || body.nextCursor === null) {
      const row = body.deliveries[Math.min(index - skipped, body.deliveries.length - 1)];
      if (row === undefined) throw new Error('the delivery list is empty');
      return row.id;
    }
    skipped += body.deliveries.length;
    cursor = body.nextCursor;
  }
  throw new Error(`delivery number ${index} not reached`);
}

async function timeRequest(api: string, name: string, requestPath: string): Promise<RequestTiming> {
  const durations: number[] = [];
  let matches: number | null = null;
  for (let run = 0; run < WARMUP_RUNS + RUNS; run += 1) {
    const started = performance.now();
    const body = (await getJson(`${api}${requestPath}`)) as { total?: number };
    const elapsed = performance.now() - started;
    if (run >= WARMUP_RUNS) durations.push(elapsed);
    matches = typeof body.total === 'number' ? body.total : 1;
  }
  return {
    name,
    request: `GET ${requestPath}`,
    matches,
    medianMs: quantile(durations, 0.5),
    p95Ms: quantile(durations, 0.95),
    maxMs: quantile(durations, 1),
  };
}

/**
 * Deletes every message through the API; returns the time taken and what remains. It uses
 * node:http, because fetch gives up after 300 s without response headers, and deleting a
 * large store can take longer.
 */
export async function deleteAll(
  server: BenchServer,
): Promise<{ elapsedMs: number; deleted: number; remaining: number | null }> {
  const url = new URL(`${server.httpBase}/api/mailscope/messages`);
  const started = performance.now();
  const text = await new Promise<string>((resolve, reject) => {
    const request = http.request(url, { method: 'DELETE', headers: { origin: url.origin } });
    request.setTimeout(REQUEST_TIMEOUT_MS, () => request.destroy(new Error('DELETE timed out')));
    request.on('error', reject);
    request.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        if (response.statusCode === 200) resolve(body);
        else reject(new Error(`DELETE /messages failed with status ${response.statusCode}`));
      });
    });
    request.end();
  });
  const elapsedMs = performance.now() - started;
  const body = JSON.parse(text) as { deleted: number };
  return { elapsedMs, deleted: body.deleted, remaining: await server.countStored() };
}

/** Sizes of the database file and its WAL and shared-memory files, in bytes. */
export function databaseSize(dataDir: string): { dbBytes: number; walBytes: number } {
  let dbBytes = 0;
  let walBytes = 0;
  for (const name of readdirSync(dataDir)) {
    const size = statSync(path.join(dataDir, name)).size;
    if (name === 'mailscope.db') dbBytes += size;
    else if (name.startsWith('mailscope.db-')) walBytes += size;
  }
  return { dbBytes, walBytes };
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} failed with status ${response.status}`);
  return response.json();
}
