import { pageRelative, withQueryParam } from './api-client.js';
import { MAX_RAW_CHARS } from './message-raw.js';

interface MessageTextProps {
  text: string | null;
  /** The message's raw source, linked for download when the text is cut. */
  rawUrl: string;
}

/**
 * Renders the plain-text body as a text node, so markup in it shows as typed. A body
 * longer than MAX_RAW_CHARS shows its start, with a note and a link to the raw source.
 */
export function MessageText({ text, rawUrl }: MessageTextProps) {
  if (text === null || text === '') {
    return <p className="muted">This message has no text body.</p>;
  }
  const truncated = text.length > MAX_RAW_CHARS;
  return (
    <div className="text-view">
      {truncated && (
        <p className="muted" role="note">
          Showing the first {MAX_RAW_CHARS.toLocaleString()} of {text.length.toLocaleString()}{' '}
          characters.{' '}
          <a href={withQueryParam(pageRelative(rawUrl), 'download', '1')} download>
            Download the raw source
          </a>{' '}
          for all of it.
        </p>
      )}
      <pre className="text-body" aria-label="Text body">
        {truncated ? text.slice(0, MAX_RAW_CHARS) : text}
      </pre>
    </div>
  );
}
