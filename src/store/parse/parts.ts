import { downloadNameFor } from './file-names.js';
import type { MimeTreeNode } from './mime-tree.js';

/**
 * Role of a MIME part for the viewer:
 * - `multipart`: a container, followed by its children.
 * - `body`: a text/plain, text/html or message/delivery-status part shown as the message text.
 * - `inline`: a part with a Content-ID that the HTML body references through a `cid:` URL.
 * - `attachment`: everything else, including an inline image that no HTML references.
 */
export type PartKind = 'multipart' | 'body' | 'inline' | 'attachment';

/** One MIME part as stored, addressed by message id and `partId` only. */
export interface StoredPart {
  partId: string;
  parentPartId: string | null;
  /** Order in the MIME tree, depth first, starting at 1. */
  position: number;
  kind: PartKind;
  contentType: string;
  charset: string | null;
  disposition: string | null;
  /** File name as the sender gave it, which may contain path separators. */
  filename: string | null;
  /** Name to offer for a download, null for a multipart container. */
  downloadName: string | null;
  contentId: string | null;
  /** Content length after transfer decoding, in bytes. */
  size: number;
  content: Buffer | null;
}

/** The types mailparser 3 reads into the message text when they are inline. */
export const BODY_TYPES: ReadonlySet<string> = new Set([
  'text/plain',
  'text/html',
  'message/delivery-status',
]);

/**
 * Turns the MIME tree into stored parts and decides each part's kind. A part whose
 * Content-ID the HTML references is `inline` regardless of its Content-Disposition,
 * because the viewer shows it inside the HTML. The match ignores case and the angle
 * brackets around the Content-ID.
 */
export function classifyParts(tree: MimeTreeNode[], html: string | null): StoredPart[] {
  const references = cidReferences(html);
  return tree.map((node, index) => {
    const kind = partKind(node, references);
    return {
      partId: node.partId,
      parentPartId: node.parentPartId,
      position: index + 1,
      kind,
      contentType: node.contentType,
      charset: node.charset,
      disposition: node.disposition,
      filename: node.filename,
      downloadName: kind === 'multipart' ? null : downloadNameFor(node),
      contentId: node.contentId,
      size: node.content?.length ?? 0,
      content: node.content,
    };
  });
}

function partKind(node: MimeTreeNode, references: Set<string>): PartKind {
  if (node.multipart) {
    return 'multipart';
  }
  // The same rule mailparser applies when it builds the text: a body type with an
  // inline disposition, or none at all.
  const inline = node.disposition === null || node.disposition === 'inline';
  if (BODY_TYPES.has(node.contentType) && inline) {
    return 'body';
  }
  if (node.contentId !== null && references.has(normalizeContentId(node.contentId))) {
    return 'inline';
  }
  return 'attachment';
}

/** Returns a Content-ID in the form `cid:` references are compared in. */
export function normalizeContentId(contentId: string): string {
  let id = contentId.trim();
  if (id.startsWith('<') && id.endsWith('>')) {
    id = id.slice(1, -1).trim();
  }
  return id.toLowerCase();
}

// A cid: URL ends at a quote, whitespace, a closing parenthesis (CSS url()) or a `>`.
const CID_URL = /\bcid:([^"'\s)>]+)/gi;

/**
 * Collects the Content-IDs that the HTML references. Each reference is added as written
 * and, where it differs, percent-decoded, because RFC 2392 percent-encodes cid URLs but
 * many senders copy the Content-ID into the URL unchanged.
 */
function cidReferences(html: string | null): Set<string> {
  const references = new Set<string>();
  if (!html) {
    return references;
  }
  for (const match of html.matchAll(CID_URL)) {
    const reference = match[1] ?? '';
    references.add(normalizeContentId(reference));
    try {
      references.add(normalizeContentId(decodeURIComponent(reference)));
    } catch {
      // Invalid percent-encoding. The reference as written is already in the set.
    }
  }
  return references;
}

/**
 * Lists a warning for every multipart container without parts, which is what a missing
 * or mistyped boundary parameter produces: its content then exists only in the raw source.
 */
export function structureWarnings(parts: StoredPart[]): string[] {
  const parents = new Set(parts.map((part) => part.parentPartId));
  return parts
    .filter((part) => part.kind === 'multipart' && !parents.has(part.partId))
    .map(
      (part) =>
        `Part ${part.partId} (${part.contentType}) contains no parts, because its boundary ` +
        'is missing or never used. Its content is shown only in the raw source.',
    );
}
