import { describe, expect, it } from 'vitest';

import {
  NULL_SENDER,
  addressForLookup,
  cleanAddress,
  cleanDomain,
  isNullSender,
  sameAddress,
  splitAddress,
} from '../../src/address/index.js';

describe('splitAddress()', () => {
  it('splits at the last @ so a quoted local part stays whole', () => {
    expect(splitAddress('"a@b"@example.test')).toEqual({
      localPart: '"a@b"',
      domain: 'example.test',
    });
  });

  it('returns an empty domain for postmaster', () => {
    expect(splitAddress('postmaster')).toEqual({ localPart: 'postmaster', domain: '' });
  });
});

describe('cleanDomain()', () => {
  it('converts A-labels to U-labels', () => {
    expect(cleanDomain('xn--bcher-kva.example.test')).toBe('bücher.example.test');
  });

  it('case-folds ASCII and Unicode labels', () => {
    expect(cleanDomain('BÜCHER.Example.TEST')).toBe('bücher.example.test');
    expect(cleanDomain('XN--BCHER-KVA.EXAMPLE.TEST')).toBe('bücher.example.test');
  });

  it('normalises to NFC', () => {
    const decomposed = 'bu\u0308cher.example.test';
    expect(cleanDomain(decomposed)).toBe('b\u00fccher.example.test');
  });

  it('keeps address literals and invalid A-labels, lower-cased', () => {
    expect(cleanDomain('[IPv6:2001:DB8::1]')).toBe('[ipv6:2001:db8::1]');
    expect(cleanDomain('XN--ZZ.test')).toBe('xn--zz.test');
  });
});

describe('cleanAddress()', () => {
  it('keeps the local part as received and cleans the domain', () => {
    expect(cleanAddress('Bjørn@XN--BCHER-KVA.example.test')).toBe('Bjørn@bücher.example.test');
  });

  it('passes the null sender through', () => {
    expect(cleanAddress(NULL_SENDER)).toBe('');
    expect(isNullSender(cleanAddress(''))).toBe(true);
  });
});

describe('addressForLookup()', () => {
  it('folds the case of the local part', () => {
    expect(addressForLookup('Bob@Example.TEST')).toBe('bob@example.test');
  });

  it('treats an IDN domain in either form as one address', () => {
    expect(sameAddress('b@bücher.example.test', 'B@xn--bcher-kva.example.test')).toBe(true);
  });

  it('normalises a UTF-8 local part to NFC', () => {
    expect(sameAddress('bjo\u0308rn@example.test', 'BJ\u00d6RN@example.test')).toBe(true);
  });

  it('keeps different mailboxes apart', () => {
    expect(sameAddress('a@example.test', 'b@example.test')).toBe(false);
    expect(sameAddress('a@example.test', 'a@example.invalid')).toBe(false);
  });
});
