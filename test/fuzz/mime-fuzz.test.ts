import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MemoryBodyBuffer } from '../../src/delivery/body-buffer.js';
import { SmtpError } from '../../src/delivery/smtp-error.js';
import type { MessageView, PartRecord } from '../../src/http/api-types.js';
import { parseHeader } from '../../src/message/header.js';
import { openApiHarness, type ApiHarness } from '../http/helpers.js';
import { makeMeta } from '../store/helpers.js';
import {
  corpusAvailable,
  corpusEntries,
  CORPUS_SKIP_REASON,
  fixtureFiles,
  FIXTURES_DIR,
  readCorpusMessage,
} from '../support/corpus.js';
import { Random } from '../support/random.js';
import { mutate } from './mime-mutations.js';

/**
 * The MIME fuzzer: mutants of the corpus and of the project's fixtures go through the
 * store's parse path (the pipeline's body(), as SMTP delivers a message) and every API
 * read path. The short run is CI's. MAILSCOPE_MIME_FUZZ_CASES sets the number of
 * mutants, MAILSCOPE_MIME_FUZZ_SEED the seed and MAILSCOPE_MIME_FUZZ_FIRST the number of
 * the first case, so that one case can be run again alone. The run prints its seed, and saves each
 * failing mutant under test-results/mime-fuzz/ with its seed and case number.
 */
const CASES = Number(process.env.MAILSCOPE_MIME_FUZZ_CASES ?? 120);
const FIRST_CASE = Number(process.env.MAILSCOPE_MIME_FUZZ_FIRST ?? 0);
const SEED = Number(process.env.MAILSCOPE_MIME_FUZZ_SEED ?? 20_261_204);

/** Time one mutant may take to be stored and read back through the API. */
const CASE_TIME_LIMIT_MS = 10_000;

/**
 * Growth of the resident set over the run, and of the heap after a full collection,
 * that count as a failure. Parsing keeps a mutant's decoded parts only while it is stored.
 */
const MAX_RSS_GROWTH_BYTES = 768 * 1024 * 1024;
const MAX_HEAP_GROWTH_BYTES = 64 * 1024 * 1024;

/** Seed messages larger than this are left out, so that a case stays quick. */
const MAX_SOURCE_BYTES = 300 * 1024;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const FAILURE_DIR = path.join(root, 'test-results', 'mime-fuzz');

interface Source {
  name: string;
  bytes: Buffer;
}

function loadSources(): Source[] {
  const sources: Source[] = fixtureFiles().map((name) => ({
    name: `fixtures/${name}`,
    bytes: readFileSync(path.join(FIXTURES_DIR, name)),
  }));
  for (const entry of corpusEntries()) {
    const bytes = readCorpusMessage(entry.file);
    if (bytes.length <= MAX_SOURCE_BYTES) sources.push({ name: entry.file, bytes });
  }
  return sources;
}

/** Returns a function that runs a full garbage collection, made available at run time. */
function garbageCollector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Rejects when `promise` takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

type Outcome = { kind: 'stored'; id: string } | { kind: 'rejected'; reply: string };

/**
 * Delivers `message` through the pipeline as the SMTP endpoint does: body() parses and
 * stages, then commit(), or abort() after body() failed. A rejection other than an
 * SmtpError with a 5xx code is a fault, and is thrown.
 */
async function deliverMutant(api: ApiHarness, message: Buffer): Promise<Outcome> {
  const meta = makeMeta();
  const delivery = await api.pipeline.start(meta, 'fuzz@example.test');
  await delivery.addRcpt('inbox@example.test');
  try {
    await delivery.body(parseHeader(message), new MemoryBodyBuffer(message));
  } catch (error) {
    await delivery.abort({ kind: 'storage-error', detail: String(error) });
    if (error instanceof SmtpError && error.code >= 500) {
      return { kind: 'rejected', reply: `${error.code} ${error.message}` };
    }
    throw error;
  }
  await delivery.commit();
  return { kind: 'stored', id: meta.id };
}

/** Reads every API view of a stored message and returns the problems found. */
async function readBack(api: ApiHarness, id: string, message: Buffer): Promise<string[]> {
  const problems: string[] = [];
  const expectStatus = async (route: string, status = 200): Promise<Response> => {
    const response = await api.api(route);
    if (response.status !== status) {
      problems.push(`GET ${route} answered ${response.status}: ${await response.clone().text()}`);
    }
    return response;
  };

  const view = (await (await expectStatus(`/messages/${id}`)).json()) as MessageView;
  await expectStatus(`/messages/${id}/headers`);
  const raw = Buffer.from(await (await expectStatus(`/messages/${id}/raw`)).arrayBuffer());
  if (!raw.equals(message)) problems.push('the raw source differs from the message sent');
  if (view.htmlUrl !== null) await expectStatus(`/messages/${id}/html`);
  await expectStatus(`/deliveries/${id}`);

  const { parts } = (await (await expectStatus(`/messages/${id}/parts`)).json()) as {
    parts: PartRecord[];
  };
  for (const part of parts) {
    const route = `/messages/${id}/parts/${encodeURIComponent(part.partId)}`;
    const response = await expectStatus(route, part.kind === 'multipart' ? 404 : 200);
    if (response.status === 200) {
      const length = (await response.arrayBuffer()).byteLength;
      if (length !== part.size) problems.push(`${route} has ${length} bytes, listed ${part.size}`);
    }
  }

  const word = /[\p{L}\p{N}]{3,}/u.exec(view.subject)?.[0];
  if (word !== undefined) {
    await expectStatus(`/deliveries?search=${encodeURIComponent(word)}`);
  }
  return problems;
}

describe('MIME fuzzer', () => {
  let api: ApiHarness;
  const sources = loadSources();
  const collectGarbage = garbageCollector();

  beforeAll(async () => {
    api = await openApiHarness();
    if (!corpusAvailable) console.log(`MIME fuzzer: ${CORPUS_SKIP_REASON}; fixtures only`);
    console.log(
      `MIME fuzzer: seed ${SEED}, ${CASES} cases over ${sources.length} messages ` +
        '(MAILSCOPE_MIME_FUZZ_SEED and MAILSCOPE_MIME_FUZZ_CASES change them)',
    );
  });

  afterAll(async () => {
    await api?.close();
  });

  it(
    'stores or rejects every mutant within bounds',
    async () => {
      expect(sources.length).toBeGreaterThan(0);
      collectGarbage();
      const heapBefore = process.memoryUsage().heapUsed;
      const rssBefore = process.memoryUsage().rss;
      let rssPeak = rssBefore;
      const failures: string[] = [];
      const durations: number[] = [];
      const rejections = new Map<string, number>();
      const started = Date.now();
      let stored = 0;
      let rejected = 0;
      let slowest = { ms: 0, label: '' };
      let mutantBytes = 0;

      for (let index = FIRST_CASE; index < FIRST_CASE + CASES; index += 1) {
        const random = new Random((SEED ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
        const source = random.pick(sources);
        const { bytes, applied } = mutate(source.bytes, random);
        const label = `case ${index} (seed ${SEED}): ${applied.join('+')} of ${source.name}`;
        mutantBytes += bytes.length;

        const caseStarted = performance.now();
        let problems: string[];
        try {
          problems = await within(
            (async () => {
              const outcome = await deliverMutant(api, bytes);
              if (outcome.kind === 'rejected') {
                const reason = outcome.reply.replace(/\d+/g, 'N');
                rejections.set(reason, (rejections.get(reason) ?? 0) + 1);
                rejected += 1;
                return [];
              }
              stored += 1;
              const found = await readBack(api, outcome.id, bytes);
              const deleted = await api.api(`/messages/${outcome.id}`, { method: 'DELETE' });
              if (deleted.status !== 204) found.push(`DELETE answered ${deleted.status}`);
              return found;
            })(),
            CASE_TIME_LIMIT_MS,
            label,
          );
        } catch (error) {
          problems = [`threw ${error instanceof Error ? (error.stack ?? error.message) : error}`];
        }
        const duration = performance.now() - caseStarted;
        durations.push(duration);
        // The harness keeps every live event for tests that check them, which would count
        // as growth here.
        api.liveEvents.length = 0;
        if (duration > slowest.ms) slowest = { ms: duration, label };
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss);

        if (problems.length > 0) {
          failures.push(`${label}\n  ${problems.join('\n  ')}`);
          await mkdir(FAILURE_DIR, { recursive: true });
          await writeFile(path.join(FAILURE_DIR, `seed-${SEED}-case-${index}.eml`), bytes);
        }
      }

      collectGarbage();
      const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
      const rssGrowth = rssPeak - rssBefore;
      const sorted = [...durations].sort((a, b) => a - b);
      const percentile = (p: number): number =>
        sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
      const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
      console.log(
        [
          `MIME fuzzer: seed ${SEED}, ${CASES} cases in ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
            `${mib(mutantBytes)} of mutants`,
          `  stored ${stored}, rejected ${rejected}, failed ${failures.length}`,
          ...[...rejections].map(([reason, count]) => `  ${count} x ${reason}`),
          `  time per case: median ${percentile(0.5).toFixed(0)} ms, ` +
            `p99 ${percentile(0.99).toFixed(0)} ms, max ${percentile(1).toFixed(0)} ms`,
          `  slowest: ${slowest.label}`,
          `  RSS ${mib(rssBefore)} before, peak growth ${mib(rssGrowth)}; ` +
            `heap growth after GC ${mib(heapGrowth)}`,
        ].join('\n'),
      );

      expect(failures).toEqual([]);
      expect(rssGrowth).toBeLessThan(MAX_RSS_GROWTH_BYTES);
      expect(heapGrowth).toBeLessThan(MAX_HEAP_GROWTH_BYTES);
    },
    Math.max(60_000, CASES * CASE_TIME_LIMIT_MS),
  );
});
