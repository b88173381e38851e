import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';

import type {
  ConnState,
  MailFromParams,
  MsgMetadata,
  ProtocolName,
  TlsState,
} from '../delivery/types.js';
import { newId } from '../util/id.js';
import { addressAsSent, heloNameAsSent } from './connection-patch.js';

/** Builds the metadata of a delivery that starts with `mailFrom` on `session`. */
export function buildMsgMetadata(
  session: SMTPServerSession,
  mailFrom: SMTPServerAddress,
): MsgMetadata {
  return {
    id: newId(),
    startedAt: Date.now(),
    originalFrom: addressAsSent(mailFrom),
    mailFrom: mailFromParams(mailFrom.args),
    conn: connState(session),
  };
}

/** Reads SIZE, BODY and SMTPUTF8 from the MAIL FROM parameters, whose keys are upper case. */
export function mailFromParams(args: SMTPServerAddress['args']): MailFromParams {
  const all = args === false ? {} : { ...args };
  const size = typeof all.SIZE === 'string' && /^\d+$/.test(all.SIZE) ? Number(all.SIZE) : null;
  const body = typeof all.BODY === 'string' ? all.BODY.toUpperCase() : null;
  return { size, body, smtpUtf8: all.SMTPUTF8 === true, all };
}

export function connState(session: SMTPServerSession): ConnState {
  return {
    sessionId: session.id,
    protocol: protocolName(session),
    heloName: heloNameAsSent(session),
    localAddress: session.localAddress,
    localPort: session.localPort,
    remoteAddress: session.remoteAddress,
    remotePort: session.remotePort,
    tls: tlsState(session),
    authUser: authenticatedUser(session),
  };
}

/**
 * Returns the RFC 3848 protocol name: ESMTP after EHLO, SMTP after HELO, with S for TLS
 * and A for an authenticated session.
 */
export function protocolName(session: SMTPServerSession): ProtocolName {
  const base = session.openingCommand === 'EHLO' ? 'ESMTP' : 'SMTP';
  const secure = session.secure ? 'S' : '';
  const authenticated = authenticatedUser(session) !== null ? 'A' : '';
  const name = `${base}${secure}${authenticated}`;
  // RFC 3848 has no SMTPS, SMTPA or SMTPSA, because those extensions need EHLO.
  return (name.startsWith('SMTP') ? 'SMTP' : name) as ProtocolName;
}

function tlsState(session: SMTPServerSession): TlsState | null {
  const cipher = session.tlsOptions;
  if (!session.secure || cipher === false) {
    return null;
  }
  return { version: cipher.version, cipher: cipher.standardName ?? cipher.name };
}

/** Returns the user name that the endpoint stored in `session.user` at AUTH, or null. */
function authenticatedUser(session: SMTPServerSession): string | null {
  return typeof session.user === 'string' && session.user !== '' ? session.user : null;
}
