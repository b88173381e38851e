import { useEffect, useState } from 'react';

import type { MessageView } from '../../src/http/api-types.js';
import type { ReleaseRecord } from '../../src/relay/release-records.js';
import type { RelaySettingsView } from '../../src/relay/settings.js';
import { send } from './api-client.js';
import { ModalDialog } from './app-dialog.js';
import { useNotify } from './app-notices.js';
import { useResource } from './fetch-resource.js';
import { formatDateTime } from './format.js';
import { getRelaySettings, RelaySettingsPanel } from './relay-settings.js';

/** Window event sent after each release, so that the history of that message reloads. */
const RELEASED_EVENT = 'mailscope:released';

function messagePath(id: string): string {
  return `messages/${encodeURIComponent(id)}`;
}

async function getReleases(id: string, signal?: AbortSignal): Promise<ReleaseRecord[]> {
  const response = await send(`${messagePath(id)}/releases`, { signal });
  return ((await response.json()) as { releases: ReleaseRecord[] }).releases;
}

/**
 * Releases a message. A release the allowlist or the server rejected rejects with an
 * ApiError whose message is the release's error.
 */
async function releaseMessage(id: string, to: string[]): Promise<ReleaseRecord> {
  const response = await send(`${messagePath(id)}/release`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ to }),
  });
  return (await response.json()) as ReleaseRecord;
}

/** Renders the Release button of the detail toolbar, which opens the release dialog. */
export function ReleaseButton({ message }: { message: MessageView }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        Release…
      </button>
      {open && <ReleaseDialog message={message} onClose={() => setOpen(false)} />}
    </>
  );
}

/**
 * Asks for the recipients and sends the message to the configured relay server. Its
 * Relay settings button swaps the release form for the settings editor.
 */
function ReleaseDialog({ message, onClose }: { message: MessageView; onClose(): void }) {
  const notify = useNotify();
  const [settingsVersion, setSettingsVersion] = useState(0);
  const [editing, setEditing] = useState(false);
  const settings = useResource('relay', settingsVersion, getRelaySettings);
  const [recipients, setRecipients] = useState(message.envelopeRecipients.join('\n'));
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const relay = settings.data;
  const submit = () => {
    const to = recipients
      .split(/[\n,]/)
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    setSending(true);
    setError(null);
    releaseMessage(message.id, to)
      .then((record) => {
        notify(`Released to ${record.recipients.join(', ')}: ${record.reply ?? 'sent'}`);
        onClose();
      })
      .catch((failure: Error) => setError(failure.message))
      .finally(() => {
        setSending(false);
        window.dispatchEvent(new CustomEvent(RELEASED_EVENT, { detail: message.id }));
      });
  };

  if (editing && relay) {
    return (
      <ModalDialog title="Release message" onClose={onClose} className="release-dialog">
        <RelaySettingsPanel
          settings={relay}
          onCancel={() => setEditing(false)}
          onSaved={() => {
            notify('Relay settings saved');
            setSettingsVersion((count) => count + 1);
            setEditing(false);
          }}
        />
      </ModalDialog>
    );
  }

  return (
    <ModalDialog title="Release message" onClose={onClose} className="release-dialog">
      {settings.error && <p className="error-text">{settings.error.message}</p>}
      {relay && !relay.enabled && (
        <p role="note">
          Release is off: no relay server is configured. Set one in the relay settings, or start
          Mailscope with <code>--relay-server HOST:PORT</code>.
        </p>
      )}
      {relay?.enabled && relay.server && (
        <>
          <p>
            Sends the raw message unchanged to{' '}
            <strong>
              {relay.server.host}:{relay.server.port}
            </strong>{' '}
            ({describeTls(relay.tls)}).
          </p>
          {relay.allowedRecipients.length > 0 && (
            <p className="muted">Allowed recipients: {relay.allowedRecipients.join(', ')}</p>
          )}
          <label className="release-recipients">
            Recipients, one per line
            <textarea
              value={recipients}
              rows={4}
              onChange={(event) => setRecipients(event.target.value)}
            />
          </label>
        </>
      )}
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      <div className="dialog-buttons">
        <button
          type="button"
          className="release-settings-button"
          disabled={!relay}
          onClick={() => setEditing(true)}
        >
          Relay settings…
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          disabled={!relay?.enabled || sending || settings.loading}
          onClick={submit}
        >
          {sending ? 'Sending…' : 'Send'}
        </button>
      </div>
    </ModalDialog>
  );
}

function describeTls(tls: RelaySettingsView['tls']): string {
  if (tls === 'tls') return 'implicit TLS';
  if (tls === 'starttls') return 'STARTTLS';
  return 'no TLS';
}

const OUTCOME_LABELS: Record<ReleaseRecord['outcome'], string> = {
  sent: 'Sent',
  'not-allowed': 'Not allowed',
  failed: 'Failed',
};

/** Lists the releases of a message, newest first; renders nothing before the first. */
export function ReleaseHistory({ messageId }: { messageId: string }) {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const reload = (event: Event) => {
      if ((event as CustomEvent<string>).detail === messageId) setVersion((count) => count + 1);
    };
    window.addEventListener(RELEASED_EVENT, reload);
    return () => window.removeEventListener(RELEASED_EVENT, reload);
  }, [messageId]);
  const releases = useResource(messageId, version, (signal) => getReleases(messageId, signal));

  const records = releases.data ?? [];
  if (records.length === 0) return null;
  return (
    <section className="release-history" aria-label="Releases">
      <h3>Releases</h3>
      <ul>
        {[...records].reverse().map((record) => (
          <li key={record.seq} className={`release-${record.outcome}`}>
            <span className="release-outcome">{OUTCOME_LABELS[record.outcome]}</span>{' '}
            {formatDateTime(record.at)} to {record.recipients.join(', ')} via {record.server}
            {record.trigger === 'automatic' && ' (automatic)'}
            {record.reply && <div className="release-reply">{record.reply}</div>}
            {record.error && <div className="error-text">{record.error}</div>}
          </li>
        ))}
      </ul>
    </section>
  );
}
