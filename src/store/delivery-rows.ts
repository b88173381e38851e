import type { Database } from 'better-sqlite3';

import type { MsgMetadata } from '../delivery/types.js';

/**
 * Returns a function that inserts the `deliveries` row for a delivery in state
 * in-progress, with the connection details from `meta`. It does nothing when the row
 * already exists, so the trace writer (on delivery.started) and the SQLite target (before
 * it stages a message) can both call it in either order.
 */
export function prepareInsertDelivery(db: Database): (meta: MsgMetadata, mailFrom: string) => void {
  const insert = db.prepare(`
    INSERT INTO deliveries (
      id, session_id, started_at, mail_from, mail_from_original, mail_params,
      declared_size, body_type, smtp_utf8, protocol, helo, remote_address, remote_port,
      local_address, local_port, tls_version, tls_cipher, auth_user
    ) VALUES (
      @id, @sessionId, @startedAt, @mailFrom, @mailFromOriginal, @mailParams,
      @declaredSize, @bodyType, @smtpUtf8, @protocol, @helo, @remoteAddress, @remotePort,
      @localAddress, @localPort, @tlsVersion, @tlsCipher, @authUser
    )
    ON CONFLICT (id) DO NOTHING
  `);

  return (meta, mailFrom) => {
    const { conn } = meta;
    insert.run({
      id: meta.id,
      sessionId: conn.sessionId,
      startedAt: meta.startedAt,
      mailFrom,
      mailFromOriginal: meta.originalFrom,
      mailParams: JSON.stringify(meta.mailFrom.all),
      declaredSize: meta.mailFrom.size,
      bodyType: meta.mailFrom.body,
      smtpUtf8: meta.mailFrom.smtpUtf8 ? 1 : 0,
      protocol: conn.protocol,
      helo: conn.heloName,
      remoteAddress: conn.remoteAddress,
      remotePort: conn.remotePort,
      localAddress: conn.localAddress,
      localPort: conn.localPort,
      tlsVersion: conn.tls?.version ?? null,
      tlsCipher: conn.tls?.cipher ?? null,
      authUser: conn.authUser,
    });
  };
}
