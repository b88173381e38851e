import { useState } from 'react';

import type { DeliveryView, RecipientView } from '../../src/http/api-types.js';
import { CopyButton } from './copy-button.js';
import { formatDateTime, formatMailFrom, formatSize } from './format.js';

/** Recipients listed before the rest collapse behind "Show all N". */
const COLLAPSED_RECIPIENTS = 10;

/** Renders the SMTP envelope and the connection of a delivery. */
export function DeliveryEnvelope({ view }: { view: DeliveryView }) {
  return (
    <div className="envelope">
      <section aria-labelledby="mail-from-heading">
        <h3 id="mail-from-heading">MAIL FROM</h3>
        <p className="mail-from">
          <span className={view.mailFrom === '' ? 'null-sender' : 'address'}>
            {formatMailFrom(view.mailFrom)}
          </span>
          {view.mailFrom !== '' && (
            <CopyButton text={view.mailFrom} label={`Copy address ${view.mailFrom}`} />
          )}
        </p>
        {view.mailFromOriginal !== view.mailFrom && (
          <p className="muted">
            As sent: <bdi>{view.mailFromOriginal || '<>'}</bdi>
          </p>
        )}
        <MailParameters view={view} />
      </section>

      <RecipientTable recipients={view.recipients} />
      <ConnectionFacts view={view} />
      <Warnings warnings={[...view.headerWarnings, ...(view.message?.warnings ?? [])]} />
    </div>
  );
}

function MailParameters({ view }: { view: DeliveryView }) {
  const entries = Object.entries(view.mailParams);
  return (
    <dl className="facts">
      <dt>Parameters</dt>
      <dd>
        {entries.length === 0 && <span className="muted">none</span>}
        {entries.map(([name, value]) => (
          <code key={name} className="chip">
            {value === true ? name : `${name}=${value}`}
          </code>
        ))}
      </dd>
      {view.declaredSize !== null && (
        <>
          <dt>Declared size</dt>
          <dd>{formatSize(view.declaredSize)}</dd>
        </>
      )}
      {view.bodyType !== null && (
        <>
          <dt>Body type</dt>
          <dd>{view.bodyType}</dd>
        </>
      )}
      <dt>SMTPUTF8</dt>
      <dd>{view.smtpUtf8 ? 'requested' : 'not requested'}</dd>
    </dl>
  );
}

function RecipientTable({ recipients }: { recipients: RecipientView[] }) {
  const [expanded, setExpanded] = useState(false);
  const shown = expanded ? recipients : recipients.slice(0, COLLAPSED_RECIPIENTS);

  return (
    <section aria-labelledby="recipients-heading">
      <h3 id="recipients-heading">RCPT TO ({recipients.length})</h3>
      {recipients.length === 0 && <p className="muted">No RCPT TO was received.</p>}
      {recipients.length > 0 && (
        <table className="recipients" aria-labelledby="recipients-heading">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Address</th>
              <th scope="col">Outcome</th>
              <th scope="col">Reply</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((recipient) => (
              <RecipientRow key={recipient.position} recipient={recipient} />
            ))}
          </tbody>
        </table>
      )}
      {recipients.length > COLLAPSED_RECIPIENTS && (
        <button type="button" className="link-button" onClick={() => setExpanded(!expanded)}>
          {expanded ? 'Show fewer' : `Show all ${recipients.length}`}
        </button>
      )}
    </section>
  );
}

function RecipientRow({ recipient }: { recipient: RecipientView }) {
  const { reply } = recipient;
  return (
    <tr className={`recipient recipient-${recipient.status}`}>
      <td className="numeric">{recipient.position}</td>
      <td>
        <span className="address">{recipient.address}</span>
        <CopyButton text={recipient.address} label={`Copy address ${recipient.address}`} />
        {recipient.bcc && (
          <span className="badge badge-bcc" title="In the envelope only, not in To or Cc">
            Bcc
          </span>
        )}
        {recipient.original !== recipient.address && (
          <div className="muted">
            As sent: <bdi>{recipient.original}</bdi>
          </div>
        )}
      </td>
      <td>
        <span className={`badge badge-rcpt-${recipient.status}`}>{recipient.status}</span>
      </td>
      <td className="reply">
        {reply.code} {reply.enhancedCode} {reply.message}
      </td>
    </tr>
  );
}

function ConnectionFacts({ view }: { view: DeliveryView }) {
  return (
    <section aria-labelledby="connection-heading">
      <h3 id="connection-heading">Connection</h3>
      <dl className="facts">
        <dt>Client address</dt>
        <dd>
          {view.remoteAddress}:{view.remotePort}
        </dd>
        <dt>HELO name</dt>
        <dd>{view.helo ? <bdi>{view.helo}</bdi> : <span className="muted">none</span>}</dd>
        <dt>Protocol</dt>
        <dd>{view.protocol}</dd>
        <dt>TLS</dt>
        <dd>{view.tls ? `${view.tls.version}, ${view.tls.cipher}` : 'not used'}</dd>
        <dt>Authenticated user</dt>
        <dd>
          {view.authUser !== null ? (
            <bdi>{view.authUser}</bdi>
          ) : (
            <span className="muted">not authenticated</span>
          )}
        </dd>
        <dt>Server address</dt>
        <dd>
          {view.localAddress}:{view.localPort}
        </dd>
        <dt>Started</dt>
        <dd>{formatDateTime(view.startedAt)}</dd>
        {view.sessionId && (
          <>
            <dt>Session id</dt>
            <dd>
              <code>{view.sessionId}</code>
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}

function Warnings({ warnings }: { warnings: string[] }) {
  if (warnings.length === 0) return null;
  return (
    <section aria-labelledby="warnings-heading" className="warnings">
      <h3 id="warnings-heading">Parse warnings</h3>
      <ul>
        {warnings.map((warning, index) => (
          <li key={index}>
            <bdi>{warning}</bdi>
          </li>
        ))}
      </ul>
    </section>
  );
}
