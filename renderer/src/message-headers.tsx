import { useState } from 'react';

import { getHeaders, getRawSource } from './api-client.js';
import { useResource } from './fetch-resource.js';

interface MessageHeadersProps {
  messageId: string;
  rawUrl: string;
}

/** Renders the header fields in their original order, with the raw block one click away. */
export function MessageHeaders({ messageId, rawUrl }: MessageHeadersProps) {
  const [showRaw, setShowRaw] = useState(false);
  const headers = useResource(messageId, 0, (signal) => getHeaders(messageId, signal));

  return (
    <div className="headers-view">
      <div className="panel-toolbar">
        <button type="button" aria-pressed={showRaw} onClick={() => setShowRaw(!showRaw)}>
          {showRaw ? 'Show decoded headers' : 'Show raw header block'}
        </button>
      </div>
      {showRaw ? (
        <RawHeaderBlock rawUrl={rawUrl} />
      ) : (
        <>
          {headers.error && <p role="alert">{headers.error.message}</p>}
          {headers.data && (
            <table className="headers" aria-label="Headers">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Value</th>
                </tr>
              </thead>
              <tbody>
                {headers.data.map((header) => (
                  <tr key={header.position}>
                    <th scope="row">{header.name}</th>
                    <td>{header.value}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </div>
  );
}

function RawHeaderBlock({ rawUrl }: { rawUrl: string }) {
  const raw = useResource(rawUrl, 0, (signal) => getRawSource(rawUrl, signal));
  if (raw.error) return <p role="alert">{raw.error.message}</p>;
  if (raw.data === undefined) return <p className="muted">Loading…</p>;
  return (
    <pre className="raw-source" aria-label="Raw header block">
      {headerBlock(raw.data)}
    </pre>
  );
}

/** Returns the raw source up to the first empty line, which ends the header block. */
export function headerBlock(source: string): string {
  const end = /\r?\n\r?\n/.exec(source);
  return end ? source.slice(0, end.index) : source;
}
