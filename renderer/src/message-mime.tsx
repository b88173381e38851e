import type { PartRecord } from '../../src/http/api-types.js';
import { partUrl } from './api-client.js';
import { formatSize } from './format.js';

interface MessageMimeProps {
  messageId: string;
  parts: PartRecord[] | undefined;
  error: Error | undefined;
}

/** Renders the MIME structure as a tree: type, size, disposition and kind of every part. */
export function MessageMime({ messageId, parts, error }: MessageMimeProps) {
  if (error) return <p role="alert">{error.message}</p>;
  if (!parts) return <p className="muted">Loading…</p>;

  const children = childrenByParent(parts);
  return (
    <ul className="mime-tree" role="tree" aria-label="MIME tree">
      {(children.get(null) ?? []).map((part) => (
        <MimeNode key={part.partId} messageId={messageId} part={part} children={children} />
      ))}
    </ul>
  );
}

interface MimeNodeProps {
  messageId: string;
  part: PartRecord;
  children: Map<string | null, PartRecord[]>;
}

function MimeNode({ messageId, part, children }: MimeNodeProps) {
  const nested = children.get(part.partId) ?? [];
  const name = part.downloadName ?? part.filename;

  return (
    <li role="treeitem" aria-expanded={nested.length > 0 ? true : undefined}>
      <div className="mime-part">
        <code className="mime-type">{part.contentType}</code>
        {part.charset && <span className="chip">charset={part.charset}</span>}
        <span className={`badge badge-kind-${part.kind}`}>{part.kind}</span>
        {part.disposition && <span className="chip">disposition={part.disposition}</span>}
        {part.kind !== 'multipart' && <span className="muted">{formatSize(part.size)}</span>}
        {part.contentId && <span className="muted">cid:{part.contentId}</span>}
        {part.kind !== 'multipart' && (
          <a href={partUrl(messageId, part.partId)} download>
            <bdi>{name ?? `part ${part.partId}`}</bdi>
          </a>
        )}
      </div>
      {nested.length > 0 && (
        <ul role="group">
          {nested.map((child) => (
            <MimeNode key={child.partId} messageId={messageId} part={child} children={children} />
          ))}
        </ul>
      )}
    </li>
  );
}

function childrenByParent(parts: PartRecord[]): Map<string | null, PartRecord[]> {
  const known = new Set(parts.map((part) => part.partId));
  const byParent = new Map<string | null, PartRecord[]>();
  const sorted = [...parts].sort((a, b) => a.position - b.position);
  for (const part of sorted) {
    // A part whose parent is missing shows at the top level rather than not at all.
    const parent =
      part.parentPartId !== null && known.has(part.parentPartId) ? part.parentPartId : null;
    const siblings = byParent.get(parent) ?? [];
    siblings.push(part);
    byParent.set(parent, siblings);
  }
  return byParent;
}
