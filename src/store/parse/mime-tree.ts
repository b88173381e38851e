import mailsplit from '@zone-eu/mailsplit';
import type { MimeNode as SplitterNode } from '@zone-eu/mailsplit';
import type { Transform } from 'node:stream';

import { SPLITTER_OPTIONS } from './parser-options.js';

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
 * decodes the transfer encoding of every leaf. Rejects when the splitter fails, for
 * example on more than `maxChildNodes` parts.
 */
export async function readMimeTree(message: Buffer): Promise<MimeTreeNode[]> {
  const splitter = new mailsplit.Splitter(SPLITTER_OPTIONS);
  const nodes: MimeTreeNode[] = [];
  const ids = new Map<SplitterNode, string>();
  const taken = new Set<string>();
  const pending: Promise<void>[] = [];
  let leaf: OpenLeaf | null = null;

  const closeLeaf = (): void => {
    leaf?.decoder.end();
    leaf = null;
  };

  splitter.on('data', (chunk) => {
    if (chunk.type === 'node') {
      closeLeaf();
      const node = describeNode(chunk, ids, taken, nodes.length);
      ids.set(chunk, node.partId);
      taken.add(node.partId);
      nodes.push(node);
      if (!node.multipart) {
        leaf = openLeaf(chunk, node);
        pending.push(leaf.done);
      }
    } else if (chunk.type === 'body') {
      leaf?.decoder.write(chunk.value);
    } else {
      // Multipart framing (preamble, delimiters) ends the leaf before it.
      closeLeaf();
    }
  });

  // The splitter's typings declare only its 'data' event, but it emits every Transform event.
  const stream = splitter as unknown as Transform;
  await new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    stream.once('end', resolve);
    stream.end(message);
  });
  closeLeaf();
  await Promise.all(pending);
  return nodes;
}

function openLeaf(source: SplitterNode, node: MimeTreeNode): OpenLeaf {
  const decoder = source.getDecoder();
  const chunks: Buffer[] = [];
  decoder.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    decoder.once('error', reject);
    decoder.once('end', () => {
      node.content = Buffer.concat(chunks);
      resolve();
    });
  });
  return { decoder, done };
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
