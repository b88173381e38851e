import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import Database from 'better-sqlite3';
import { RE2JS } from 're2js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  compilePattern,
  compileRegex,
  MAX_PATTERN_LENGTH,
  MAX_PROGRAM_SIZE,
  MAX_VALUE_LENGTH,
  PatternTooLargeError,
  RULE_REGEX_FLAGS,
  sumRepetitionBounds,
} from '../../src/rules/pattern.js';
import { parseCli } from '../../src/config.js';
import { startCore } from '../../src/core.js';
import { createLogger } from '../../src/log.js';
import { recordingLogger } from '../store/helpers.js';
import { sendWithNodemailer, startRulesCore, type RulesCore } from './helpers.js';

/**
 * 76 counted repetitions plus `X`: 989 characters, under MAX_PATTERN_LENGTH, but about 152,000
 * RE2 instructions. Before the program size limit, one 2,000-character subject against it held
 * the server for 53 s.
 */
const HUGE_PROGRAM = '[a-z]{1,1000}'.repeat(76) + 'X';

/** Generous bound for one match, far above the few milliseconds measured, to absorb CI load. */
const MATCH_BOUND_MS = 500;

/** Returns the pattern of the largest count whose program fits MAX_PROGRAM_SIZE. */
function largestAccepted(shape: (count: number) => string): string {
  let accepted: string | null = null;
  for (let count = 1; count <= MAX_PATTERN_LENGTH; count++) {
    const source = shape(count);
    if (RE2JS.compile(source, RULE_REGEX_FLAGS).programSize() > MAX_PROGRAM_SIZE) break;
    accepted = source;
  }
  if (accepted === null) throw new Error(`no accepted pattern for ${shape(1)}`);
  return accepted;
}

function timeMatch(source: string, value: string): { matched: boolean; ms: number } {
  const test = compileRegex(source);
  const start = performance.now();
  const matched = test(value);
  return { matched, ms: performance.now() - start };
}

describe('pattern size limit', () => {
  it('rejects a huge program', () => {
    expect(HUGE_PROGRAM.length).toBeLessThan(MAX_PATTERN_LENGTH);
    let caught: unknown;
    try {
      compileRegex(HUGE_PROGRAM);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PatternTooLargeError);
    expect((caught as Error).message).toContain('add up to 76000, more than the maximum of 200');
  });

  it('rejects many instructions', () => {
    const source = '(?:abcdefghij){1,30}';
    expect(() => compileRegex(source)).toThrow(/compiles to \d+ RE2 instructions/);
  });

  it('sums repetition bounds', () => {
    const cases: Array<[string, number]> = [
      ['a{3}b{2,9}', 12],
      ['a{2,}', 2],
      ['[{1,1000}]', 0],
      ['[]{9}]', 0],
      ['[[:alpha:]{3}]{4}', 4],
      ['\\{1000}', 0],
      ['\\Q{1000}\\E', 0],
      ['\\x{41}{2}', 2],
      ['\\p{Greek}', 0],
    ];
    for (const [source, sum] of cases) expect(sumRepetitionBounds(source), source).toBe(sum);
  });

  it('rejects a long wildcard', () => {
    const pattern = { type: 'wildcard', value: `${'a'.repeat(MAX_PROGRAM_SIZE)}*` } as const;
    expect(() => compilePattern(pattern)).toThrow(PatternTooLargeError);
  });

  it('keeps ordinary patterns', () => {
    const test = compileRegex('^(bounce|reject)-[0-9]{1,10}@example\\.(test|org)$');
    expect(test('Bounce-42@example.test')).toBe(true);
    expect(test('bounce-x@example.test')).toBe(false);
  });

  it('matches the worst accepted patterns quickly', () => {
    const value = 'a'.repeat(MAX_VALUE_LENGTH);
    const shapes = [
      (count: number) => `[a-z]{1,${count}}X`,
      (count: number) => `(?:a?){${count}}a{${count}}X`,
      (count: number) => '(a*)'.repeat(count) + 'X',
      (count: number) => '.*'.repeat(count) + 'X',
      (count: number) => 'a'.repeat(count) + 'X',
    ];
    for (const shape of shapes) {
      const source = largestAccepted(shape);
      // The first run is not yet optimized by the JIT, so it is the slowest one.
      const { matched, ms } = timeMatch(source, value);
      expect(matched, source).toBe(false);
      expect(ms, source).toBeLessThan(MATCH_BOUND_MS);
    }
  });

  it('compares only the first MAX_VALUE_LENGTH characters', () => {
    const test = compileRegex('X');
    expect(test(`${'a'.repeat(MAX_VALUE_LENGTH - 1)}X`)).toBe(true);
    expect(test(`${'a'.repeat(MAX_VALUE_LENGTH)}X`)).toBe(false);
  });
});

describe('rules API pattern size', () => {
  let server: RulesCore;

  beforeAll(async () => {
    server = await startRulesCore();
  });

  afterAll(async () => {
    await server?.close();
  });

  it('answers 400 for a huge program', async () => {
    const result = await server.api<{ error: string }>('POST', '/rules', {
      name: 'huge subject pattern',
      stage: 'end-of-data',
      match: { subject: { type: 'regex', value: HUGE_PROGRAM } },
      action: { type: 'reply', code: 550 },
    });
    expect(result.status).toBe(400);
    expect(result.body.error).toContain('rule.match.subject is too large');
    expect(result.body.error).toContain('more than the maximum of 200');
    const listed = await server.api<{ rules: unknown[] }>('GET', '/rules');
    expect(listed.body.rules).toEqual([]);
  });

  it('answers a long subject quickly', async () => {
    const source = largestAccepted((count) => `[a-z]{1,${count}}X`);
    await server.createRule({
      name: 'largest subject pattern',
      stage: 'end-of-data',
      match: { subject: { type: 'regex', value: source } },
      action: { type: 'reply', code: 550, message: 'Subject rejected' },
    });

    const start = performance.now();
    const rejected = await server.send({ subject: `${'a'.repeat(2000)}X` });
    const ms = performance.now() - start;
    // Only the first MAX_VALUE_LENGTH characters of the subject are compared, so the X at
    // position 2,000 is never seen and the message is accepted.
    expect(rejected.code).toBe(250);
    expect(ms).toBeLessThan(5_000);

    const matched = await server.send({ subject: `${'a'.repeat(100)}X` });
    expect(matched.code).toBe(550);
    expect(matched.response).toContain('Subject rejected');

    const livez = await fetch(`${server.baseUrl}/livez`);
    expect(livez.status).toBe(200);
  });
});

describe('stored rule over the size limit', () => {
  it('loads and never matches', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mailscope-rules-stale-'));
    const dbPath = path.join(dataDir, 'mailscope.db');
    const args = ['--smtp', '127.0.0.1:0', '--http', '127.0.0.1:0', '--no-starttls'];
    const request = parseCli([...args, '--db', dbPath, '--data-dir', dataDir], {});
    if (request.kind !== 'run') throw new Error('unexpected CLI request');
    try {
      const first = await startCore(request.config, createLogger({ level: 'silent' }));
      const created = await fetch(
        `http://127.0.0.1:${first.httpAddress.port}/api/mailscope/rules`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            name: 'stale subject pattern',
            stage: 'end-of-data',
            match: { subject: { type: 'regex', value: 'X' } },
            action: { type: 'reply', code: 550 },
          }),
        },
      );
      expect(created.status).toBe(201);
      await first.close();

      // A rule saved before the size limit existed: its pattern now fails to compile.
      const db = new Database(dbPath);
      const row = db.prepare('SELECT definition FROM rules').get() as { definition: string };
      const definition = JSON.parse(row.definition) as { match: unknown };
      definition.match = { subject: { type: 'regex', value: HUGE_PROGRAM } };
      db.prepare('UPDATE rules SET definition = ?').run(JSON.stringify(definition));
      db.close();

      const { logger, lines } = recordingLogger();
      const second = await startCore(request.config, logger);
      try {
        const listed = (await (
          await fetch(`http://127.0.0.1:${second.httpAddress.port}/api/mailscope/rules`)
        ).json()) as { rules: Array<{ name: string }> };
        expect(listed.rules.map((rule) => rule.name)).toEqual(['stale subject pattern']);

        const sent = await sendWithNodemailer(second.smtpAddress.port, { subject: 'aX' });
        expect(sent.code).toBe(250);
        const warning = lines.find((line) => String(line.msg).includes('never matches because'));
        expect(warning?.ruleId).toBe('stale-subject-pattern');
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
