import { getRawSource, pageRelative, withQueryParam } from './api-client.js';
import { useResource } from './fetch-resource.js';

/**
 * Maximum characters of a raw source or text body rendered in the page, because a
 * longer text node freezes the page for seconds. The download has all of it.
 */
export const MAX_RAW_CHARS = 2_000_000;

/** Renders the raw source of a message as text, with a download link for the .eml file. */
export function MessageRaw({ rawUrl }: { rawUrl: string }) {
  const raw = useResource(rawUrl, 0, (signal) => getRawSource(rawUrl, signal));
  const download = withQueryParam(pageRelative(rawUrl), 'download', '1');

  if (raw.error) return <p role="alert">{raw.error.message}</p>;
  if (raw.data === undefined) return <p className="muted">Loading…</p>;

  const truncated = raw.data.length > MAX_RAW_CHARS;
  return (
    <div className="raw-view">
      <p className="muted">
        {truncated && `Showing the first ${MAX_RAW_CHARS.toLocaleString()} characters. `}
        <a href={download} download>
          Download the raw source
        </a>
      </p>
      <pre className="raw-source" aria-label="Raw source">
        {truncated ? raw.data.slice(0, MAX_RAW_CHARS) : raw.data}
      </pre>
    </div>
  );
}
