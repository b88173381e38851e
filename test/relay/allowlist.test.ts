import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { compileRecipientPattern, rejectedByAllowlist } from '../../src/relay/allowlist.js';
import { json, startInstance, type Instance } from './helpers.js';

/**
 * Nested quantifiers that a backtracking engine explores in exponential time: with JavaScript's
 * RegExp, 27 characters that almost match took 12 s.
 */
const NESTED_QUANTIFIERS = '/^(a+)+$/';

describe('allowlist patterns', () => {
  it('matches nested quantifiers quickly', () => {
    const pattern = compileRecipientPattern(NESTED_QUANTIFIERS);
    // 24 characters take about a second with a backtracking engine.
    const address = `${'a'.repeat(24)}!`;
    const start = performance.now();
    const matched = pattern.test(address);
    const ms = performance.now() - start;
    expect(matched).toBe(false);
    expect(ms).toBeLessThan(200);
    expect(pattern.test('a'.repeat(24))).toBe(true);
  });

  it('keeps regex, wildcard and exact forms', () => {
    const patterns = [
      '/^ops\\+.*@example\\.test$/i',
      '*@allowed.test',
      'Customer@example.test',
    ].map(compileRecipientPattern);
    const addresses = [
      'OPS+alerts@example.test',
      'a@ALLOWED.test',
      'customer@EXAMPLE.test',
      'ops@example.test',
      'a@allowed.test.example',
    ];
    expect(rejectedByAllowlist(addresses, patterns)).toEqual([
      'ops@example.test',
      'a@allowed.test.example',
    ]);
  });

  it('honours the i flag', () => {
    expect(compileRecipientPattern('/^ops@/').test('OPS@example.test')).toBe(false);
    expect(compileRecipientPattern('/^ops@/i').test('OPS@example.test')).toBe(true);
  });

  it('rejects a huge program', () => {
    expect(() => compileRecipientPattern('/[a-z]{1,1000}@example\\.test/')).toThrow(
      /Invalid allowlist pattern .*more than the maximum of 200/,
    );
  });

  it('rejects an unsupported flag', () => {
    expect(() => compileRecipientPattern('/^ops@/x')).toThrow(/unsupported flag "x"/);
  });

  it('rejects lookahead', () => {
    expect(() => compileRecipientPattern('/^(?!ops).*@example\\.test$/')).toThrow(
      /Invalid allowlist pattern/,
    );
  });
});

describe('allowlist settings', () => {
  let instance: Instance;

  beforeAll(async () => {
    instance = await startInstance();
  });

  afterAll(async () => {
    await instance?.close();
  });

  it('answers 400 for a huge program', async () => {
    const response = await instance.api(
      '/relay',
      json('PUT', { allowedRecipients: ['/[a-z]{1,500}[a-z]{1,500}@example\\.test/'] }),
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string };
    expect(body.error).toContain('Invalid allowlist pattern');
    expect(body.error).toContain('more than the maximum of 200');
  });

  it('stores nested quantifiers', async () => {
    const response = await instance.api(
      '/relay',
      json('PUT', { allowedRecipients: [NESTED_QUANTIFIERS, '*@example.test'] }),
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { allowedRecipients: string[] };
    expect(body.allowedRecipients).toEqual([NESTED_QUANTIFIERS, '*@example.test']);
  });
});
