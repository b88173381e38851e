import { useState } from 'react';

import { pageRelative, withQueryParam } from './api-client.js';

/**
 * Renders the HTML body in a sandboxed iframe: no scripts, no same-origin access, no forms
 * and no top-level navigation. Popups are allowed to escape the sandbox only so that a
 * link opens in a new tab, as the server adds `<base target="_blank">`. The server sends
 * the body with a CSP that blocks remote content, and "Load remote content" reloads this
 * message only with `remote=1`. The parent keys this component by message id, so the
 * choice resets per message.
 */
/** Sandbox flags of the HTML frame; scripts and same-origin access stay off. */
export const FRAME_SANDBOX = 'allow-popups allow-popups-to-escape-sandbox';

export function MessageHtml({ htmlUrl }: { htmlUrl: string }) {
  const [remote, setRemote] = useState(false);
  const url = pageRelative(htmlUrl);
  const src = remote ? withQueryParam(url, 'remote', '1') : url;

  return (
    <div className="html-view">
      <div className="html-toolbar">
        {remote ? (
          <span>Remote content is loaded for this message.</span>
        ) : (
          <>
            <span>Remote images, styles and fonts are blocked.</span>
            <button type="button" onClick={() => setRemote(true)}>
              Load remote content
            </button>
          </>
        )}
      </div>
      <iframe
        className="html-frame"
        title="HTML body"
        sandbox={FRAME_SANDBOX}
        src={src}
        referrerPolicy="no-referrer"
      />
    </div>
  );
}
