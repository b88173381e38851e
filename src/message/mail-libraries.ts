import { createRequire } from 'node:module';

import type * as Mailparser from 'mailparser';
import type libmime from 'libmime';
import type mailsplit from '@zone-eu/mailsplit';
import type iconv from 'iconv-lite';

/**
 * The mail parsing packages, each loaded on its first use. Together with their dependencies
 * (html-to-text, linkify-it, encoding tables) they took about 10 MiB of resident memory in a
 * server that had not stored a message yet. require() loads a package synchronously, so the
 * callers stay synchronous. mailparser and libmime ship a CommonJS build with the same API as
 * their ES module build, and every caller goes through here, so only one copy is loaded.
 */
const requirePackage = createRequire(import.meta.url);

let mailparserModule: typeof Mailparser | undefined;
let libmimeModule: typeof libmime | undefined;
let mailsplitModule: typeof mailsplit | undefined;
let iconvModule: typeof iconv | undefined;

export function loadMailparser(): typeof Mailparser {
  mailparserModule ??= requirePackage('mailparser') as typeof Mailparser;
  return mailparserModule;
}

export function loadLibmime(): typeof libmime {
  libmimeModule ??= requirePackage('libmime') as typeof libmime;
  return libmimeModule;
}

export function loadMailsplit(): typeof mailsplit {
  mailsplitModule ??= requirePackage('@zone-eu/mailsplit') as typeof mailsplit;
  return mailsplitModule;
}

export function loadIconv(): typeof iconv {
  iconvModule ??= requirePackage('iconv-lite') as typeof iconv;
  return iconvModule;
}
