import type { PartRecord } from '../../src/http/api-types.js';
import { partUrl } from './api-client.js';
import { formatSize } from './format.js';

interface MessageAttachmentsProps {
  messageId: string;
  parts: PartRecord[] | undefined;
  error: Error | undefined;
}

/**
 * Attachments with download links, then the inline parts (such as images the HTML
 * shows by Content-ID). Links use part ids, never file names, so any name downloads.
 */
export function MessageAttachments({ messageId, parts, error }: MessageAttachmentsProps) {
  if (error) return <p role="alert">{error.message}</p>;
  if (!parts) return <p className="muted">Loading…</p>;

  const attachments = parts.filter((part) => part.kind === 'attachment');
  const inline = parts.filter((part) => part.kind === 'inline');

  return (
    <div className="attachments-view">
      <section aria-labelledby="attachments-heading">
        <h3 id="attachments-heading">Attachments ({attachments.length})</h3>
        {attachments.length === 0 && <p className="muted">This message has no attachments.</p>}
        <PartList messageId={messageId} parts={attachments} label="Attachments" />
      </section>
      {inline.length > 0 && (
        <section aria-labelledby="inline-heading">
          <h3 id="inline-heading">Inline parts ({inline.length})</h3>
          <PartList messageId={messageId} parts={inline} label="Inline parts" />
        </section>
      )}
    </div>
  );
}

function PartList(props: { messageId: string; parts: PartRecord[]; label: string }) {
  if (props.parts.length === 0) return null;
  return (
    <ul className="part-list" aria-label={props.label}>
      {props.parts.map((part) => {
        const name = part.filename ?? part.downloadName ?? `part ${part.partId}`;
        return (
          <li key={part.partId} className="part-item">
            <a href={partUrl(props.messageId, part.partId)} download>
              {name}
            </a>
            {part.downloadName !== null && part.downloadName !== name && (
              <span className="muted" title="Path separators are replaced in the saved name">
                saves as <bdi>{part.downloadName}</bdi>
              </span>
            )}
            <span className="muted">{part.contentType}</span>
            <span className="muted">{formatSize(part.size)}</span>
          </li>
        );
      })}
    </ul>
  );
}
