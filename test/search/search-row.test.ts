import { describe, expect, it } from 'vitest';

import {
  buildSearchRow,
  searchRowContains,
  type SearchColumn,
  type SearchSource,
} from '../../src/search/search-row.js';

function source(overrides: Partial<SearchSource>): SearchSource {
  return {
    mail_from: 'bounce@example.test',
    message_id: 'id-1@example.test',
    subject: 'Subject',
    from_addresses: JSON.stringify([{ name: 'Ann', address: 'ann@example.test' }]),
    to_addresses: JSON.stringify([{ name: '', address: 'bob@example.test' }]),
    cc_addresses: '[]',
    reply_to_addresses: '[]',
    envelope_recipients: JSON.stringify(['bob@example.test', 'blind@example.test']),
    headers: JSON.stringify([
      ['X-Run', 'Qx-42'],
      ['Bcc', 'Hidden <hid@example.test>'],
    ]),
    file_names: JSON.stringify(['Plan.PDF']),
    text: null,
    html: null,
    ...overrides,
  };
}

const SOURCES: Record<string, SearchSource> = {
  plain: source({ text: 'Plain\r\ntext (with) "quotes"; and;commas' }),
  html: source({ html: '<p>caf&#233;</p><script>sx</script>ma<i>ch</i>' }),
  // Σ before U+FEFF and a letter: the whole text lowercases it as σ, cleaning as ς.
  sigma: source({ subject: 'ΑΣ\uFEFFΒ', text: 'ΟΔΟΣ' }),
  // The Kelvin sign becomes K under NFC, and İ lowercases to i with a combining dot.
  unicode: source({ text: '\u212A and \u0130' }),
  empty: source({ subject: '', text: '', html: '' }),
};

const VALUES = ['ai', 'e)', 'xt', 'é', 'sx', 'ch', 'ας', 'σ', 'k ', 'k', 'i̇', 'qx', 'pd', 'hi'];
const COLUMNS: SearchColumn[] = ['search_text', 'subject', 'bcc_addr', 'from_addr', 'message_id'];

describe('searchRowContains', () => {
  for (const [name, message] of Object.entries(SOURCES)) {
    it(`agrees with the built row for ${name}`, () => {
      const row = buildSearchRow(message);
      for (const column of COLUMNS) {
        for (const value of VALUES) {
          expect([column, value, searchRowContains(message, [column], value)]).toEqual([
            column,
            value,
            row[column].includes(value),
          ]);
        }
      }
    });
  }

  it('finds words of every piece', () => {
    const message = SOURCES.html as SearchSource;
    expect(searchRowContains(message, ['search_text'], 'fé')).toBe(true);
    expect(searchRowContains(message, ['search_text'], 'sx')).toBe(false);
    expect(searchRowContains(message, ['search_text'], 'pd')).toBe(true);
    expect(searchRowContains(message, ['search_text'], 'qx')).toBe(true);
    expect(searchRowContains(message, ['search_text'], 'zq')).toBe(false);
  });

  it('matches any of several columns', () => {
    const message = SOURCES.plain as SearchSource;
    expect(searchRowContains(message, ['to_addr', 'bcc_addr'], 'bl')).toBe(true);
    expect(searchRowContains(message, ['to_addr', 'cc_addr'], 'bl')).toBe(false);
  });
});
