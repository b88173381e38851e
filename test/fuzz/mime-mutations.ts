/**
 * Mutations of MIME messages for the MIME fuzzer. Every mutation works on the message as
 * a latin1 string, which maps each byte to one character and back, so arbitrary bytes
 * survive. Randomness comes only from the seeded generator, so a seed and a case number
 * reproduce a mutant exactly.
 */

import { Random } from '../support/random.js';

export interface Mutation {
  name: string;
  apply(message: string, random: Random): string;
}

const CRLF = '\r\n';

/** Returns the end of the header block (the offset of the blank line), or the length. */
function headerEnd(message: string): number {
  const match = /\r?\n\r?\n/.exec(message);
  return match ? match.index : message.length;
}

/** Returns the boundary parameters the message declares, in order. */
function boundaries(message: string): string[] {
  const found: string[] = [];
  for (const match of message.matchAll(/boundary\s*=\s*(?:"([^"]*)"|([^\s;]+))/gi)) {
    found.push(match[1] ?? match[2] ?? '');
  }
  return found.filter((boundary) => boundary !== '');
}

/** Returns the offsets of every line start. */
function lineStarts(message: string): number[] {
  const starts = [0];
  for (let index = message.indexOf('\n'); index !== -1; index = message.indexOf('\n', index + 1)) {
    if (index + 1 < message.length) starts.push(index + 1);
  }
  return starts;
}

/** Returns the header lines (not continuations) of every header block in the message. */
function headerLines(message: string): Array<{ start: number; end: number }> {
  const lines: Array<{ start: number; end: number }> = [];
  for (const match of message.matchAll(/^[A-Za-z][\w-]*:[^\r\n]*/gm)) {
    lines.push({ start: match.index, end: match.index + match[0].length });
  }
  return lines;
}

function randomBytes(random: Random, length: number): string {
  let text = '';
  for (let index = 0; index < length; index += 1)
    text += String.fromCharCode(random.between(0, 255));
  return text;
}

function splice(message: string, start: number, end: number, insert: string): string {
  return message.slice(0, start) + insert + message.slice(end);
}

const truncate: Mutation = {
  name: 'truncate',
  apply(message, random) {
    const cut = random.chance(0.3)
      ? headerEnd(message) + random.between(-3, 3)
      : random.between(0, message.length);
    return message.slice(0, Math.max(0, cut));
  },
};

const damageBoundary: Mutation = {
  name: 'damage-boundary',
  apply(message, random) {
    const found = boundaries(message);
    if (found.length === 0) return truncate.apply(message, random);
    const boundary = random.pick(found);
    const delimiters = [...message.matchAll(new RegExp(`^--${escapeRegExp(boundary)}(--)?`, 'gm'))];
    const variant = random.between(0, 7);
    if (variant === 0) {
      // Remove the closing delimiter.
      return message.split(`--${boundary}--`).join('');
    }

    if (variant === 1 && delimiters.length > 0) {
      // Change one character of one delimiter.
      const delimiter = random.pick(delimiters);
      const at = delimiter.index + random.between(2, delimiter[0].length - 1);
      return splice(message, at, at + 1, String.fromCharCode(random.between(33, 126)));
    }

    if (variant === 2 && delimiters.length > 0) {
      // Duplicate one delimiter line.
      const delimiter = random.pick(delimiters);
      return splice(message, delimiter.index, delimiter.index, `${delimiter[0]}${CRLF}`);
    }

    if (variant === 3) {
      // Drop the boundary parameter.
      return message.replace(/;?\s*boundary\s*=\s*("[^"]*"|[^\s;]+)/i, '');
    }

    if (variant === 4) {
      // Empty boundary.
      return message.replace(/boundary\s*=\s*("[^"]*"|[^\s;]+)/i, 'boundary=""');
    }

    if (variant === 5) {
      // A boundary that is a prefix of the real one, so every delimiter matches early.
      const prefix = boundary.slice(0, Math.max(1, random.between(1, boundary.length)));
      return message.replace(/boundary\s*=\s*("[^"]*"|[^\s;]+)/i, `boundary="${prefix}"`);
    }

    if (variant === 6) {
      // A boundary of 2,000 characters, far over RFC 2046's 70.
      return message.replace(/boundary\s*=\s*("[^"]*"|[^\s;]+)/i, `boundary="${'b'.repeat(2000)}"`);
    }

    // Delimiters with trailing junk and bare LF.
    return message.split(`--${boundary}`).join(`--${boundary}  \t`).replace(/\r\n/g, '\n');
  },
};

const duplicateHeader: Mutation = {
  name: 'duplicate-header',
  apply(message, random) {
    const lines = headerLines(message);
    if (lines.length === 0) return message;
    const line = random.pick(lines);
    const text = message.slice(line.start, line.end);
    const copies = random.chance(0.2) ? random.between(50, 3000) : random.between(1, 3);
    return splice(message, line.start, line.start, `${text}${CRLF}`.repeat(copies));
  },
};

const foldHeader: Mutation = {
  name: 'fold-header',
  apply(message, random) {
    const lines = headerLines(message);
    if (lines.length === 0) return message;
    const line = random.pick(lines);
    let text = message.slice(line.start, line.end);
    const folds = random.between(1, 40);
    for (let index = 0; index < folds; index += 1) {
      const at = random.between(1, text.length);
      const fold = random.pick([`${CRLF} `, `${CRLF}\t`, `${CRLF}    `, '\n ', `${CRLF}${CRLF} `]);
      text = text.slice(0, at) + fold + text.slice(at);
    }
    return splice(message, line.start, line.end, text);
  },
};

const oversizeHeader: Mutation = {
  name: 'oversize-header',
  apply(message, random) {
    const lines = headerLines(message);
    if (lines.length === 0) return message;
    const line = random.pick(lines);
    const length = random.pick([1000, 10_000, 100_000, 600_000]);
    const filler = random.chance(0.5)
      ? 'x'.repeat(length)
      : Array.from({ length: Math.ceil(length / 40) }, () => ' <a@example.test>,\r\n').join('');
    return splice(message, line.end, line.end, filler);
  },
};

const charsets = [
  'x-unknown',
  'utf-7',
  'utf-16',
  'utf-32le',
  'iso-2022-jp',
  'ISO-8859-99',
  'utf8',
  '',
  '"',
  'x'.repeat(300),
  '\u00ff\u00fe',
  'windows-1252"; charset="koi8-r',
];

const invalidCharset: Mutation = {
  name: 'invalid-charset',
  apply(message, random) {
    const charset = random.pick(charsets);
    if (/charset\s*=/i.test(message) && random.chance(0.7)) {
      return message.replace(/charset\s*=\s*("[^"]*"|[^\s;]+)/gi, () =>
        random.chance(0.5) ? `charset="${charset}"` : `charset=${random.pick(charsets)}`,
      );
    }
    const end = headerEnd(message);
    return splice(message, end, end, `${CRLF}Content-Type: text/plain; charset="${charset}"`);
  },
};

const encodedWords = [
  '=?utf-8?B?!!!notbase64!!!?=',
  '=?utf-8?Q?=C3?= =?utf-8?Q?=A9?=',
  '=?bogus-charset?Q?abc?=',
  '=?utf-8?X?abc?=',
  '=?utf-8?B?',
  '=??B??=',
  '=?utf-8*en?Q?x?=',
  '=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=',
  '=?utf-16?B?2D3eAA==?=',
  '=?utf-8?Q?' + '=E2=82'.repeat(500) + '?=',
  Array.from({ length: 300 }, () => '=?utf-8?B?w6k=?=').join(' '),
];

const brokenEncodedWord: Mutation = {
  name: 'encoded-word',
  apply(message, random) {
    const word = random.pick(encodedWords);
    const target = random.pick(['Subject', 'From', 'To', 'Content-Disposition', 'Content-Type']);
    const pattern = new RegExp(`^${target}:[^\\r\\n]*`, 'im');
    if (pattern.test(message) && random.chance(0.6)) {
      return message.replace(pattern, (line) => {
        if (target === 'Content-Disposition' || target === 'Content-Type') {
          return `${line}; filename="${word}"; name*=utf-8''%FF%FE${word}`;
        }
        return `${target}: ${word} ${line.slice(target.length + 1)}`;
      });
    }
    return `Subject: ${word}${CRLF}${message}`;
  },
};

const malformedHeaderLine: Mutation = {
  name: 'malformed-header-line',
  apply(message, random) {
    const end = headerEnd(message);
    const at = random.pick(lineStarts(message.slice(0, end)));
    const junk = random.pick([
      'no colon here',
      ': empty name',
      'Bad Name: spaces in the name',
      '\u0000NUL: value',
      `X-8bit: ${randomBytes(random, 40)}`,
      ' leading continuation',
      'Content-Type:',
      'Content-Type: multipart/mixed',
      'Content-Transfer-Encoding: base64',
      'Content-Transfer-Encoding: x-uuencode',
      'MIME-Version: 99.99',
    ]);
    return splice(message, at, at, `${junk}${CRLF}`);
  },
};

const nest: Mutation = {
  name: 'deep-nesting',
  apply(message, random) {
    const depth = random.pick([2, 10, 50, 99, 100, 101, 150, 1000]);
    const end = headerEnd(message);
    let body = message;
    for (let level = depth; level >= 1; level -= 1) {
      const closed = random.chance(0.9);
      body =
        `Content-Type: multipart/mixed; boundary="n${level}"${CRLF}${CRLF}--n${level}${CRLF}` +
        body +
        (closed ? `${CRLF}--n${level}--${CRLF}` : '');
    }
    return `${message.slice(0, end)}${CRLF}MIME-Version: 1.0${CRLF}${body}`;
  },
};

const manyParts: Mutation = {
  name: 'many-parts',
  apply(message, random) {
    const count = random.pick([10, 200, 999, 1000, 1001, 3000]);
    const part = random.chance(0.5)
      ? `Content-Type: text/plain${CRLF}${CRLF}x`
      : `Content-Type: application/octet-stream; name="a.bin"${CRLF}` +
        `Content-Transfer-Encoding: base64${CRLF}${CRLF}AAEC`;
    const parts = Array.from({ length: count }, () => `--many${CRLF}${part}${CRLF}`).join('');
    return (
      `Content-Type: multipart/mixed; boundary="many"${CRLF}${CRLF}${parts}` +
      `--many${CRLF}${message}${CRLF}--many--${CRLF}`
    );
  },
};

const flipBytes: Mutation = {
  name: 'flip-bytes',
  apply(message, random) {
    if (message.length === 0) return randomBytes(random, random.between(0, 200));
    let result = message;
    const flips = random.between(1, 20);
    for (let index = 0; index < flips; index += 1) {
      const at = random.between(0, result.length - 1);
      result = splice(result, at, at + 1, String.fromCharCode(random.between(0, 255)));
    }
    return result;
  },
};

const spliceRange: Mutation = {
  name: 'splice-range',
  apply(message, random) {
    const start = random.between(0, message.length);
    const end = Math.min(message.length, start + random.between(0, 4096));
    const variant = random.between(0, 2);
    if (variant === 0) return splice(message, start, end, '');
    if (variant === 1)
      return splice(message, start, start, message.slice(start, end).repeat(random.between(2, 20)));
    return splice(message, start, start, randomBytes(random, random.between(1, 512)));
  },
};

const lineEndings: Mutation = {
  name: 'line-endings',
  apply(message, random) {
    const variant = random.between(0, 3);
    if (variant === 0) return message.replace(/\r\n/g, '\n');
    if (variant === 1) return message.replace(/\r?\n/g, '\r');
    if (variant === 2)
      return message.replace(/\r?\n/g, () => random.pick(['\r\n', '\n', '\r', '\n\r']));
    // One line of 200,000 characters in the body.
    const end = headerEnd(message);
    return splice(message, end + 2, end + 2, `${'y'.repeat(200_000)}${CRLF}`);
  },
};

const transferEncoding: Mutation = {
  name: 'transfer-encoding',
  apply(message, random) {
    const encoding = random.pick([
      'base64',
      'quoted-printable',
      'x-uuencode',
      '8bit',
      'binary',
      'bogus',
    ]);
    const body = random.pick([
      '====',
      'QUJD\r\n!!!!\r\nREVG',
      '=\r\n=4\r\n=ZZ=E2=82=\r\n',
      'begin 644 x.txt\r\nM86)C\r\n`\r\nend\r\n',
      '\u0000\u0001\u0002\u00ff',
      '='.repeat(10_000),
    ]);
    const replaced = message.replace(
      /Content-Transfer-Encoding:[^\r\n]*/gi,
      () => `Content-Transfer-Encoding: ${encoding}`,
    );
    if (replaced !== message && random.chance(0.5)) return replaced;
    const end = headerEnd(message);
    return (
      `${message.slice(0, end)}${CRLF}Content-Transfer-Encoding: ${encoding}` +
      `${CRLF}${CRLF}${body}${CRLF}`
    );
  },
};

const noHeaders: Mutation = {
  name: 'no-headers',
  apply(message, random) {
    const end = headerEnd(message);
    return random.chance(0.5) ? message.slice(end).replace(/^\r?\n/, '') : `${CRLF}${message}`;
  },
};

/** Every mutation the fuzzer applies, one to three per mutant. */
export const MUTATIONS: readonly Mutation[] = [
  truncate,
  damageBoundary,
  duplicateHeader,
  foldHeader,
  oversizeHeader,
  invalidCharset,
  brokenEncodedWord,
  malformedHeaderLine,
  nest,
  manyParts,
  flipBytes,
  spliceRange,
  lineEndings,
  transferEncoding,
  noHeaders,
];

/** Applies one to three random mutations to `message` and returns the names applied. */
export function mutate(message: Buffer, random: Random): { bytes: Buffer; applied: string[] } {
  let text = message.toString('latin1');
  const applied: string[] = [];
  const count = random.between(1, 3);
  for (let index = 0; index < count; index += 1) {
    const mutation = random.pick(MUTATIONS);
    text = mutation.apply(text, random);
    applied.push(mutation.name);
  }
  return { bytes: Buffer.from(text, 'latin1'), applied };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
