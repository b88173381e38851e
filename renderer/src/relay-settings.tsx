import { useId, useState } from 'react';

import type { RelaySettingsView, RelayTls } from '../../src/relay/settings.js';
import { send } from './api-client.js';
import './relay-settings.css';

/** Reads the relay settings. The API reports the password only as `auth.passwordSet`. */
export async function getRelaySettings(signal?: AbortSignal): Promise<RelaySettingsView> {
  const response = await send('relay', { signal, headers: { Accept: 'application/json' } });
  return (await response.json()) as RelaySettingsView;
}

/**
 * Saves relay settings through PUT /relay, which stores them in the database. Rejects with
 * an ApiError whose message names the invalid field.
 */
async function putRelaySettings(body: Record<string, unknown>): Promise<RelaySettingsView> {
  const response = await send('relay', {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
  });
  return (await response.json()) as RelaySettingsView;
}

const TLS_LABELS: Record<RelayTls, string> = {
  none: 'None',
  starttls: 'STARTTLS (required)',
  tls: 'TLS (implicit, usually port 465)',
};

/** The form's fields as text, the way the inputs hold them. */
interface RelayForm {
  host: string;
  port: string;
  tls: RelayTls;
  allowSelfSigned: boolean;
  user: string;
  /** A new password; empty keeps the stored one. */
  password: string;
  from: string;
  allowedRecipients: string;
  relayMatching: string;
}

function toForm(settings: RelaySettingsView): RelayForm {
  return {
    host: settings.server?.host ?? '',
    port: settings.server === null ? '' : String(settings.server.port),
    tls: settings.tls,
    allowSelfSigned: settings.allowSelfSigned,
    user: settings.auth?.user ?? '',
    password: '',
    from: settings.from ?? '',
    allowedRecipients: settings.allowedRecipients.join('\n'),
    relayMatching: settings.relayMatching ?? '',
  };
}

/** Returns the port used when none is entered, the same default as --relay-server's. */
function defaultPort(tls: RelayTls): number {
  return tls === 'tls' ? 465 : 25;
}

/**
 * Builds the PUT body. An empty host turns release off, and an empty user name sends
 * without SMTP AUTH. An `auth` object without `password` keeps the stored password of
 * that user.
 */
function toRequestBody(form: RelayForm): Record<string, unknown> {
  const host = form.host.trim();
  const user = form.user.trim();
  const port = form.port.trim() === '' ? defaultPort(form.tls) : Number(form.port);
  let auth: Record<string, string> | null = null;
  if (user !== '') auth = form.password === '' ? { user } : { user, password: form.password };
  return {
    server: host === '' ? null : { host, port },
    tls: form.tls,
    allowSelfSigned: form.allowSelfSigned,
    auth,
    from: form.from,
    allowedRecipients: form.allowedRecipients.split('\n'),
    relayMatching: form.relayMatching,
  };
}

interface RelaySettingsPanelProps {
  settings: RelaySettingsView;
  onSaved(settings: RelaySettingsView): void;
  onCancel(): void;
}

/**
 * Edits the relay settings. Saved settings outlast a restart, except the fields that a
 * CLI option or MAILSCOPE_RELAY_* variable sets at start.
 */
export function RelaySettingsPanel({ settings, onSaved, onCancel }: RelaySettingsPanelProps) {
  const [form, setForm] = useState(() => toForm(settings));
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const headingId = useId();

  const update = <K extends keyof RelayForm>(field: K, value: RelayForm[K]) =>
    setForm((current) => ({ ...current, [field]: value }));

  const save = () => {
    setSaving(true);
    setError(null);
    putRelaySettings(toRequestBody(form))
      .then(onSaved)
      .catch((failure: Error) => setError(failure.message))
      .finally(() => setSaving(false));
  };

  const passwordSet = settings.auth?.passwordSet === true;
  return (
    <section className="relay-settings" aria-labelledby={headingId}>
      <h3 id={headingId}>Relay settings</h3>
      <p className="muted">
        Saved settings are kept after a restart. A setting given by a command-line option or
        MAILSCOPE_RELAY_* variable replaces the saved one at the next start.
      </p>
      <fieldset>
        <legend>Server</legend>
        <label className="relay-host">
          Server host
          <input
            value={form.host}
            placeholder="smtp.example.test (empty turns release off)"
            onChange={(event) => update('host', event.target.value)}
          />
        </label>
        <label className="relay-port">
          Port
          <input
            type="number"
            min={1}
            max={65535}
            value={form.port}
            placeholder={String(defaultPort(form.tls))}
            onChange={(event) => update('port', event.target.value)}
          />
        </label>
        <label>
          TLS mode
          <select
            value={form.tls}
            onChange={(event) => update('tls', event.target.value as RelayTls)}
          >
            {(Object.keys(TLS_LABELS) as RelayTls[]).map((mode) => (
              <option key={mode} value={mode}>
                {TLS_LABELS[mode]}
              </option>
            ))}
          </select>
        </label>
        <label className="relay-checkbox">
          <input
            type="checkbox"
            checked={form.allowSelfSigned}
            onChange={(event) => update('allowSelfSigned', event.target.checked)}
          />
          Allow a self-signed certificate
        </label>
      </fieldset>
      <fieldset>
        <legend>Login</legend>
        <label>
          User name
          <input
            value={form.user}
            autoComplete="off"
            placeholder="empty sends without AUTH"
            onChange={(event) => update('user', event.target.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            value={form.password}
            autoComplete="new-password"
            placeholder={passwordSet ? 'set; leave empty to keep' : 'not set'}
            onChange={(event) => update('password', event.target.value)}
          />
        </label>
      </fieldset>
      <label>
        MAIL FROM override
        <input
          value={form.from}
          placeholder="empty keeps the original MAIL FROM"
          onChange={(event) => update('from', event.target.value)}
        />
      </label>
      <label>
        Allowed recipients, one pattern per line
        <textarea
          rows={3}
          value={form.allowedRecipients}
          placeholder={'*@example.test\n/^qa\\+.*@corp\\.test$/i\n(empty allows every recipient)'}
          onChange={(event) => update('allowedRecipients', event.target.value)}
        />
      </label>
      <label>
        Automatic relay query
        <input
          value={form.relayMatching}
          placeholder="search that releases each new matching message; empty for none"
          onChange={(event) => update('relayMatching', event.target.value)}
        />
      </label>
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      <div className="dialog-buttons">
        <button type="button" onClick={onCancel}>
          Back
        </button>
        <button type="button" disabled={saving} onClick={save}>
          {saving ? 'Saving…' : 'Save'}
        </button>
      </div>
    </section>
  );
}
