/**
 * Measures the slowest match that a rule or relay allowlist regular expression can cost within
 * MAX_PROGRAM_SIZE and MAX_VALUE_LENGTH. Usage:
 *
 *   node --import tsx bench/regex-cost.ts
 *
 * Each shape below is grown to the largest program that compileRegex still accepts, then
 * matched against values of MAX_VALUE_LENGTH characters built to keep many NFA threads alive.
 * The median of seven runs is printed per case, and the slowest case last.
 */
import { RE2JS } from 're2js';

import {
  compileRegex,
  MAX_PATTERN_LENGTH,
  MAX_PROGRAM_SIZE,
  MAX_VALUE_LENGTH,
  RULE_REGEX_FLAGS,
} from '../src/rules/pattern.js';

/** Patterns built from a count; the count grows while the program still fits. */
const SHAPES: Record<string, (count: number) => string> = {
  'class 1,1000': (count) => '[a-z]{1,1000}'.repeat(count) + 'X',
  'class bounded': (count) => `[a-z]{1,${count}}X`,
  'class pairs': (count) => `(?:[a-z]{1,${count}}){2}[a-z]{1,${count}}X`,
  'optional then fixed': (count) => `(?:a?){${count}}a{${count}}X`,
  literal: (count) => 'a'.repeat(count) + 'X',
  'dot stars': (count) => '.*'.repeat(count) + 'X',
  'alternation run': (count) =>
    `(?:${Array.from({ length: count }, (_, index) => 'a'.repeat(index + 1)).join('|')})+X`,
  captures: (count) => '(a*)'.repeat(count) + 'X',
};

const VALUES: Record<string, string> = {
  'a repeated': 'a'.repeat(MAX_VALUE_LENGTH),
  'ab repeated': 'ab'.repeat(MAX_VALUE_LENGTH / 2),
  'letters cycled': Array.from({ length: MAX_VALUE_LENGTH }, (_, index) =>
    String.fromCharCode(97 + (index % 26)),
  ).join(''),
};

/** Returns the pattern of the largest count whose program fits MAX_PROGRAM_SIZE, or null. */
function largestAccepted(shape: (count: number) => string): string | null {
  let accepted: string | null = null;
  for (let count = 1; count <= MAX_PATTERN_LENGTH; count++) {
    const source = shape(count);
    if (source.length > MAX_PATTERN_LENGTH) break;
    let size: number;
    try {
      size = RE2JS.compile(source, RULE_REGEX_FLAGS).programSize();
    } catch {
      break;
    }
    if (size > MAX_PROGRAM_SIZE) break;
    accepted = source;
  }
  return accepted;
}

/** Runs per case; the median is printed because other processes on the machine add noise. */
const RUNS = 7;

let slowest = { ms: 0, label: '' };
for (const [shapeName, shape] of Object.entries(SHAPES)) {
  const source = largestAccepted(shape);
  if (source === null) continue;
  const test = compileRegex(source);
  const size = RE2JS.compile(source, RULE_REGEX_FLAGS).programSize();
  for (const [valueName, value] of Object.entries(VALUES)) {
    const runs: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const start = performance.now();
      test(value);
      runs.push(performance.now() - start);
    }
    const ms = runs.sort((a, b) => a - b)[Math.floor(RUNS / 2)] as number;
    const label = `${shapeName} (${size} instructions) on ${valueName}`;
    console.log(`${ms.toFixed(2).padStart(8)} ms  ${label}`);
    if (ms > slowest.ms) slowest = { ms, label };
  }
}
console.log(`slowest: ${slowest.ms.toFixed(2)} ms, ${slowest.label}`);
