import { domainToUnicode } from 'node:url';

/** The null reverse path `<>` (RFC 5321 section 4.5.5), as targets receive it. */
export const NULL_SENDER = '';

/** True for the null reverse path, the sender of bounces and other reports. */
export function isNullSender(address: string): boolean {
  return address === NULL_SENDER;
}

/**
 * Splits an address at its last `@`, so that a quoted local part that contains `@`
 * stays whole. An address without `@` (such as `postmaster`) has an empty domain.
 */
export function splitAddress(address: string): { localPart: string; domain: string } {
  const at = address.lastIndexOf('@');
  if (at === -1) {
    return { localPart: address, domain: '' };
  }
  return { localPart: address.slice(0, at), domain: address.slice(at + 1) };
}

/**
 * Puts a domain into canonical form: IDNA A-labels converted to U-labels, NFC, case
 * folded. The conversion follows the WHATWG URL rules (UTS #46 processing), which Node
 * implements in `url.domainToUnicode`. Address literals such as `[192.0.2.1]` and names
 * that are not valid IDNA keep their form and are only lower-cased.
 */
export function cleanDomain(domain: string): string {
  if (domain.startsWith('[')) {
    return domain.toLowerCase();
  }
  const unicode = domainToUnicode(domain) || domain;
  return unicode.normalize('NFC').toLowerCase();
}

/**
 * Cleans an address for delivery: the domain in canonical form, the local part as
 * received. The null sender stays empty.
 */
export function cleanAddress(address: string): string {
  if (isNullSender(address)) {
    return address;
  }
  const { localPart, domain } = splitAddress(address);
  if (domain === '') {
    return localPart;
  }
  return `${localPart}@${cleanDomain(domain)}`;
}

/**
 * Returns the key under which two addresses that reach the same mailbox compare equal:
 * the cleaned address with the local part also NFC-normalised and lower-cased. RFC 5321
 * lets a server treat local parts as case-sensitive, but no mail sink user expects
 * `Bob@` and `bob@` to be different people.
 */
export function addressForLookup(address: string): string {
  const { localPart, domain } = splitAddress(cleanAddress(address));
  const local = localPart.normalize('NFC').toLowerCase();
  return domain === '' ? local : `${local}@${domain}`;
}

/** True when two addresses reach the same mailbox. */
export function sameAddress(a: string, b: string): boolean {
  return addressForLookup(a) === addressForLookup(b);
}
