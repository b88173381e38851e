import type { MimeNode as SplitterNode } from '@zone-eu/mailsplit';
import type { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { loadMailsplit } from '../../message/mail-libraries.js';
import type { OpenMessage } from './message-source.js';
import {
  MAX_MIME_DEPTH,
  MAX_MIME_PARTS,
  MimeLimitError,
  SPLITTER_OPTIONS,
} from './parser-options.js';
import { BODY_TYPES } from './parts.js';

/** One node of a message's MIME structure, in the order it appears. */
export interface MimeTreeNode {
  /**
   * IMAP section number (RFC 3501 section 6.4.5): the children of the top-level multipart
   * are `1`, `2`, …, their children `2.1`, `2.2`, and the body of a single-part message
   * is `1`. The top-level container of a multipart message, which IMAP leaves unnumbered,
   * is `0`.
   */
  partId: string;
  parentPartId: string | null;
  /** Lower-case MIME type. A part without Content-Type gets the RFC 2045/2046 default. */
  contentType: string;
  /** True for a multipart container, which has children and no content of its own. */
  multipart: boolean;
  charset: string | null;
  /** Content-Disposition value in lower case, as the sender wrote it. */
  disposition: string | null;
  /** File name from Content-Disposition or Content-Type, decoded but not cleaned. */
  filename: string | null;
  /** Content-ID value as sent, angle brackets included. */
  contentId: string | null;
  /** Content after transfer decoding, null for a multipart container. */
  content: Buffer | null;
}

interface OpenLeaf {
  decoder: Transform;
  /** Settles once the decoded content is stored in the node. */
  done: Promise<void>;
}

/**
 * Splits a message into its MIME nodes with mailsplit, the splitter mailparser uses, and
 * decodes the transfer encoding of every leaf. The message is read as a stream, so only
 * the decoded content of the leaves is kept. Rejects when the message cannot be read or
 * the splitter fails, and with a MimeLimitError as soon as the message has more than
 * MAX_MIME_PARTS parts or multipart containers nested deeper than MAX_MIME_DEPTH, so that
 * the rest of such a message is never split.
 *
 * When `textCopy` is given, the message is also written to it as it is split, without
 * the content of leaves that mailparser never reads into the text. A mailparser fed from
 * `textCopy` then skips the attachments instead of splitting and decoding them a second
 * time. `textCopy` is ended when the split succeeds, and destroyed with the error when it
 * fails.
 */
export async function readMimeTree(
  open: OpenMessage,
  textCopy?: Writable,
): Promise<MimeTreeNode[]> {
  const splitter = new (loadMailsplit().Splitter)(SPLITTER_OPTIONS);
  // The splitter's typings declare only its 'data' event, but it is a Transform stream.
  const stream = splitter as unknown as Transform;
  const copy = textCopy ? new TextCopy(textCopy, stream) : null;
  const nodes: MimeTreeNode[] = [];
  const ids = new Map<SplitterNode, string>();
  const depths = new Map<SplitterNode, number>();
  const taken = new Set<string>();
  const pending: Promise<void>[] = [];
  let leaf: OpenLeaf | null = null;

  const closeLeaf = (): void => {
    leaf?.decoder.end();
    leaf = null;
  };

  let copyBody = false;

  splitter.on('data', (chunk) => {
    if (chunk.type === 'node') {
      closeLeaf();
      const limitError = checkLimits(chunk, depths, nodes.length + 1);
      if (limitError !== null) {
        stream.destroy(limitError);
        return;
      }
      const node = describeNode(chunk, ids, taken, nodes.length);
      ids.set(chunk, node.partId);
      taken.add(node.partId);
      nodes.push(node);
      if (!node.multipart) {
        leaf = openLeaf(chunk, node);
        pending.push(leaf.done);
      }
      // Unchanged headers come back byte for byte, as mailsplit's own Joiner relies on.
      copy?.write(chunk.getHeaders());
      copyBody = mayBeText(chunk);
    } else if (chunk.type === 'body') {
      leaf?.decoder.write(chunk.value);
      if (copyBody) {
        copy?.write(chunk.value);
      }
    } else {
      // Multipart framing (preamble, delimiters) ends the leaf before it.
      closeLeaf();
      copy?.write(chunk.value);
    }
  });

  try {
    await pipeline(open(), stream);
  } catch (error) {
    const failure = isSplitterPartLimit(error) ? tooManyParts() : (error as Error);
    textCopy?.destroy(failure);
    throw failure;
  }
  closeLeaf();
  if (textCopy && !textCopy.destroyed) {
    textCopy.end();
  }
  await Promise.all(pending);
  return nodes;
}

/**
 * Tells whether mailparser may read the content of a node into the message text. It reads
 * the types in BODY_TYPES, and text/plain for a top-level node without Content-Type. The
 * test is wider than mailparser's, which also leaves out attachments of these types, so
 * that the copy never lacks a byte that mailparser reads.
 */
function mayBeText(node: SplitterNode): boolean {
  return !node.contentType || BODY_TYPES.has(node.contentType);
}

/**
 * Writes splitter output to a stream and pauses the splitter while that stream is full.
 * Once the stream closes (its reader failed or stopped), further bytes are dropped and the
 * split goes on alone.
 */
class TextCopy {
  private closed = false;
  private waiting = false;

  constructor(
    private readonly target: Writable,
    private readonly splitter: Readable,
  ) {
    target.once('close', () => {
      this.closed = true;
      this.resume();
    });
  }

  write(bytes: Buffer | undefined): void {
    if (this.closed || this.target.destroyed || !bytes || bytes.length === 0) {
      return;
    }
    if (!this.target.write(bytes) && !this.waiting) {
      this.waiting = true;
      this.splitter.pause();
      this.target.once('drain', () => this.resume());
    }
  }

  private resume(): void {
    if (this.waiting) {
      this.waiting = false;
      this.splitter.resume();
    }
  }
}

function openLeaf(source: SplitterNode, node: MimeTreeNode): OpenLeaf {
  const decoder = source.getDecoder();
  let chunks: Buffer[] = [];
  let length = 0;
  decoder.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    length += chunk.length;
  });
  const done = new Promise<void>((resolve, reject) => {
    decoder.once('error', reject);
    decoder.once('end', () => {
      node.content = Buffer.concat(chunks, length);
      // Drop the chunks now, so that they can be collected while later parts decode.
      chunks = [];
      resolve();
    });
  });
  // Promise.all reports a failure only after the whole message is split, so mark it
  // handled here, or Node would end the process on the unhandled rejection.
  done.catch(() => undefined);
  return { decoder, done };
}

/**
 * Records the depth of `node` and returns the error to fail the split with when the node
 * is part number `count` past MAX_MIME_PARTS, or a multipart container deeper than
 * MAX_MIME_DEPTH. A leaf may sit one level below the deepest container.
 */
function checkLimits(
  node: SplitterNode,
  depths: Map<SplitterNode, number>,
  count: number,
): MimeLimitError | null {
  if (count > MAX_MIME_PARTS) {
    return tooManyParts();
  }
  const parent = node.parentNode || null;
  const depth = (parent ? (depths.get(parent) ?? 0) : 0) + 1;
  if (node.multipart) {
    depths.set(node, depth);
  }
  if (node.multipart && depth > MAX_MIME_DEPTH) {
    return new MimeLimitError(
      `the message nests multipart parts more than ${MAX_MIME_DEPTH} levels deep, ` +
        'the maximum Mailscope accepts',
    );
  }
  return null;
}

function tooManyParts(): MimeLimitError {
  return new MimeLimitError(
    `the message has more than ${MAX_MIME_PARTS} MIME parts, the maximum Mailscope accepts`,
  );
}

/** Tells whether mailsplit failed on its own `maxChildNodes` limit. */
function isSplitterPartLimit(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error as { code?: unknown }).code === 'EMAXLEN' &&
    error.message.includes('child nodes')
  );
}

function describeNode(
  source: SplitterNode,
  ids: Map<SplitterNode, string>,
  taken: Set<string>,
  position: number,
): MimeTreeNode {
  const parent = source.parentNode || null;
  const parentPartId = parent ? (ids.get(parent) ?? null) : null;
  const multipart = Boolean(source.multipart);
  const contentId = source.headers ? source.headers.getFirst('content-id').trim() : '';

  return {
    partId: partIdOf(source, multipart, position, taken),
    parentPartId,
    contentType: contentTypeOf(source, parent),
    multipart,
    charset: source.charset || null,
    disposition: source.disposition ? source.disposition.toLowerCase() : null,
    filename: source.filename || null,
    contentId: contentId || null,
    content: null,
  };
}

function partIdOf(
  source: SplitterNode,
  multipart: boolean,
  position: number,
  taken: Set<string>,
): string {
  let id: string;
  if (source.root) {
    id = multipart ? '0' : '1';
  } else {
    id = (source.partNr || []).filter((item) => typeof item === 'number').join('.');
  }
  // mailsplit numbers every non-root node. This fallback guards against a structure it could not
  // number, so that part ids stay unique within the message.
  return id === '' || taken.has(id) ? `x${position}` : id;
}

function contentTypeOf(source: SplitterNode, parent: SplitterNode | null): string {
  if (source.contentType) {
    return source.contentType.toLowerCase();
  }
  // RFC 2046 section 5.1.5: parts of a multipart/digest default to message/rfc822.
  return parent?.multipart === 'digest' ? 'message/rfc822' : 'text/plain';
}
