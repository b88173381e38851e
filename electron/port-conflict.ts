import { randomBytes } from 'node:crypto';

import type { DesktopAddress } from '../src/desktop/messages.js';

/** The content of the port-conflict page: the port in use, and the free ones it offers. */
export interface PortConflict {
  service: 'smtp' | 'http';
  configured: { smtp: DesktopAddress; http: DesktopAddress };
  /** Free ports to restart on, or null when the probe found none. */
  suggestion: { smtp: DesktopAddress; http: DesktopAddress } | null;
  /** The error the core reported, such as `listen EADDRINUSE: address already in use`. */
  detail: string;
}

const SERVICE_NAMES = { smtp: 'SMTP', http: 'HTTP' } as const;

/**
 * Returns the HTML of the page shown when a configured port is in use. The page names
 * the port, offers the free ports with a button that restarts the core on them, and
 * explains how to change the ports for good. Its policy allows only its own inline style
 * and the one script with `nonce`.
 */
export function portConflictHtml(conflict: PortConflict, nonce: string): string {
  const taken = conflict.configured[conflict.service];
  const name = SERVICE_NAMES[conflict.service];
  const policy = `default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${policy}">
<title>Mailscope: port in use</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 3rem auto; max-width: 40rem; padding: 0 1rem; }
code { font-size: 0.95em; }
button { font: inherit; padding: 0.4rem 1rem; }
.detail { color: #666; font-size: 0.9em; }
</style>
</head>
<body>
<h1>Port ${taken.port} is in use</h1>
<p>Mailscope could not start its ${name} server on <code>${escapeHtml(formatAddress(taken))}</code>,
because another program listens there, perhaps another Mailscope or another mail sink.</p>
${suggestionHtml(conflict.suggestion, nonce)}
<p>To change the ports for good, set <code>MAILSCOPE_SMTP</code> and <code>MAILSCOPE_HTTP</code>
(such as <code>127.0.0.1:2525</code>) before starting Mailscope.</p>
<p class="detail">${escapeHtml(conflict.detail)}</p>
</body>
</html>
`;
}

/** Returns the page as a `data:` URL with a fresh nonce, for `BrowserWindow.loadURL`. */
export function portConflictUrl(conflict: PortConflict): string {
  const nonce = randomBytes(16).toString('base64');
  return `data:text/html;charset=utf-8,${encodeURIComponent(portConflictHtml(conflict, nonce))}`;
}

function suggestionHtml(suggestion: PortConflict['suggestion'], nonce: string): string {
  if (suggestion === null) {
    return '<p>No free port was found near the configured ones. Stop the other program, then start Mailscope again.</p>';
  }
  const { smtp, http } = suggestion;
  return `<p>These ports are free: SMTP <code>${escapeHtml(formatAddress(smtp))}</code> and HTTP
<code>${escapeHtml(formatAddress(http))}</code>. Mailscope uses them until it quits.</p>
<p><button id="restart" type="button">Restart on ports ${smtp.port} and ${http.port}</button></p>
<script nonce="${nonce}">
document.getElementById('restart').addEventListener('click', () => {
  document.getElementById('restart').disabled = true;
  window.mailscope.restartOnFreePorts();
});
</script>`;
}

function formatAddress(address: DesktopAddress): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${host}:${address.port}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
