import type { Socket } from 'node:net';
import os from 'node:os';
import type { Readable } from 'node:stream';

import type { Logger } from 'pino';
import {
  SMTPServer,
  type SMTPServerAddress,
  type SMTPServerAuthentication,
  type SMTPServerAuthenticationResponse,
  type SMTPServerOptions,
  type SMTPServerSession,
} from 'smtp-server';

import { abortReason, type AbortReason } from '../delivery/abort-reason.js';
import { DEFAULT_MESSAGE_LIMITS } from '../message/limits.js';
import { RuleError, type RuleRef } from '../delivery/rule-hooks.js';
import { observeConnections, sendWithEnhancedCode, type LibraryReply } from './connection-patch.js';
import { createCredentialCheck } from './credentials.js';
import { createLibraryLogger } from './library-logger.js';
import { MIB, validateOptions, type SmtpEndpointOptions } from './options.js';
import {
  completeHook,
  LOCAL_ERROR_REPLY,
  rejected,
  SHUTDOWN_REPLY,
  type HookOutcome,
} from './replies.js';
import { SessionState } from './session-state.js';
import {
  destroyConnection,
  installCommandGate,
  type GateOutcome,
  type GateStep,
} from './step-gate.js';
import { noteRuleRejection, TransactionHandlers } from './transaction-handlers.js';
import { TranscriptRecorder } from './transcript.js';

export type { SmtpAuthOptions, SmtpEndpointOptions } from './options.js';

/**
 * The SMTP endpoint: an smtp-server listener that maps each SMTP transaction onto the
 * delivery contract and records each session's transcript on the event bus.
 *
 * MAIL FROM starts a delivery on the target, each RCPT TO adds a recipient, and DATA
 * reads the message into a buffer that spills to a file, then calls `body` and `commit`.
 * RSET, HELO, EHLO, a second MAIL FROM, a closed connection, the idle timeout and
 * `close()` abort the open delivery.
 */
export class SmtpEndpoint {
  private readonly server: SMTPServer;
  private readonly sessions = new Map<string, SessionState>();
  private readonly transcripts: TranscriptRecorder;
  private readonly handlers: TransactionHandlers;
  private readonly logger: Logger;
  private readonly acceptsCredentials: (username: string, password: string) => boolean;
  /** Hook work and aborts still running, which `close()` waits for. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private closing: Promise<void> | null = null;

  constructor(private readonly options: SmtpEndpointOptions) {
    validateOptions(options);
    this.logger = options.logger;
    this.transcripts = new TranscriptRecorder(options.events, options.transcriptLimits);
    this.acceptsCredentials = createCredentialCheck(options.auth?.users ?? null);
    this.handlers = new TransactionHandlers(options.target, {
      spillDir: options.spillDir ?? os.tmpdir(),
      spillThreshold: options.spillThreshold ?? MIB,
      maxMessageSize: this.maxMessageSize,
      maxHeaderSize: options.maxHeaderSize ?? DEFAULT_MESSAGE_LIMITS.maxHeaderSize,
      maxHeaderLines: options.maxHeaderLines ?? DEFAULT_MESSAGE_LIMITS.maxHeaderLines,
      maxLineLength: options.maxLineLength ?? DEFAULT_MESSAGE_LIMITS.maxLineLength,
    });

    this.server = new SMTPServer(this.serverOptions());
    observeConnections(this.server, {
      transactionReset: (session, kind, command) => this.onTransactionReset(session, kind, command),
      idleTimeout: (session) => this.onIdleTimeout(session),
      rcptRejected: (session, argument, reply) => this.onRcptRejected(session, argument, reply),
    });
    if (options.gate !== undefined) {
      installCommandGate(this.server, (connection, step) =>
        this.gateCommand(connection.session, step),
      );
    }
    // Replies to pipelined commands are separate small writes. With Nagle's algorithm
    // each one after the first waits for the client's delayed ACK, which stalled every
    // pipelined transaction by tens of milliseconds.
    this.server.server.on('connection', (socket: Socket) => socket.setNoDelay(true));
    this.server.on('error', (error) => {
      // smtp-server has already logged the error with the session id.
      this.logger.debug({ err: error }, 'smtp-server reported a connection error');
    });
  }

  /** Starts listening and returns the bound address. */
  async listen(): Promise<{ host: string; port: number }> {
    const host = this.options.host ?? '127.0.0.1';
    const port = this.options.port ?? 1025;
    await new Promise<void>((resolve, reject) => {
      const listener = this.server.server;
      listener.once('error', reject);
      this.server.listen(port, host, () => {
        listener.off('error', reject);
        resolve();
      });
    });

    const address = this.address as { host: string; port: number };
    this.logger.info(address, 'SMTP endpoint listening');
    return address;
  }

  /** The bound address, or null while not listening. */
  get address(): { host: string; port: number } | null {
    const address = this.server.server.address();
    if (address === null || typeof address === 'string') {
      return null;
    }
    return { host: address.address, port: address.port };
  }

  /**
   * Stops listening, aborts every open delivery with `server-shutdown`, waits for
   * messages past their final dot, then sends 421 to every client and closes the
   * connections. `reason` becomes the detail of the aborts. Safe to call more than once.
   */
  close(reason = 'The server shut down.'): Promise<void> {
    this.closing ??= this.shutDown(abortReason('server-shutdown', reason));
    return this.closing;
  }

  /**
   * Closes a session's connection without a reply, because a failure rule asked for it.
   * The open delivery, if any, is aborted with the kind `rule`. Returns false when no such
   * session is open.
   */
  dropConnection(sessionId: string, rule: RuleRef): boolean {
    const connection = [...this.server.connections].find((c) => c.session.id === sessionId);
    if (connection === undefined) return false;
    const state = this.sessions.get(sessionId);
    if (state !== undefined) {
      state.endReason ??= abortReason(
        'rule',
        `Rule "${rule.name}" closed the connection without a reply.`,
        rule,
      );
    }
    this.transcripts.add(sessionId, 'I', `Rule "${rule.name}" dropped the connection`);
    destroyConnection(connection);
    return true;
  }

  private get maxMessageSize(): number {
    return this.options.maxMessageSize ?? 50 * MIB;
  }

  private serverOptions(): SMTPServerOptions {
    const auth = this.options.auth ?? { users: null };
    const tls = this.options.tls ?? null;
    return {
      name: this.options.hostname ?? os.hostname(),
      banner: this.options.banner ?? 'Mailscope',
      logger: createLibraryLogger(this.logger, this.transcripts),
      size: this.maxMessageSize,
      // The endpoint sends the 552 for an oversized message itself, so the client gets one.
      rejectOversized: false,
      hideENHANCEDSTATUSCODES: false,
      lenientAddressParsing: true,
      disableReverseLookup: true,
      socketTimeout: this.options.idleTimeoutMs ?? 300_000,
      closeTimeout: this.shutdownTimeoutMs,
      authMethods: ['PLAIN', 'LOGIN'],
      authOptional: auth.required !== true,
      allowInsecureAuth: auth.requireTls !== true,
      // The limit slows down password guessing. It would also disconnect clients that send
      // many commands before an AUTH that this server does not require.
      maxAllowedUnauthenticatedCommands: false,
      // Without a certificate smtp-server would offer STARTTLS with its built-in test
      // certificate, whose private key is public.
      disabledCommands: tls === null ? ['STARTTLS'] : [],
      ...(tls === null ? {} : { key: tls.key, cert: tls.cert }),
      onConnect: (session, callback) => this.onConnect(session, callback),
      onSecure: (socket, session, callback) => this.onSecure(socket, session, callback),
      onAuth: (auth, session, callback) => this.onAuth(auth, session, callback),
      onMailFrom: (address, session, callback) => this.onMailFrom(address, session, callback),
      onRcptTo: (address, session, callback) => this.onRcptTo(address, session, callback),
      onData: (stream, session, callback) => this.onData(stream, session, callback),
      onClose: (session) => this.onClose(session),
    };
  }

  private get shutdownTimeoutMs(): number {
    return this.options.shutdownTimeoutMs ?? 5000;
  }

  // SESSION HOOKS

  private onConnect(session: SMTPServerSession, callback: (error?: Error | null) => void): void {
    if (this.closing !== null) {
      completeHook(session, callback, rejected(SHUTDOWN_REPLY));
      return;
    }
    const state = new SessionState(session.id, this.logger.child({ cid: session.id }));
    this.sessions.set(session.id, state);
    this.transcripts.start(session.id);
    this.options.events.emit({
      type: 'session.opened',
      sessionId: session.id,
      at: Date.now(),
      remoteAddress: session.remoteAddress,
      remotePort: session.remotePort,
      localAddress: session.localAddress,
      localPort: session.localPort,
    });
    if (this.options.gate === undefined) {
      callback();
      return;
    }
    const done = this.gateCommand(session, 'connect').then((outcome) => {
      // smtp-server sends the error's code and message and closes the connection.
      if (outcome?.kind === 'reply') {
        const { code, enhancedCode, message } = outcome.reply;
        const error = Object.assign(new Error(message), { responseCode: code });
        sendWithEnhancedCode(session, code, enhancedCode, () => callback(error));
      } else if (outcome === null) {
        callback();
      }
    });
    this.track(done);
  }

  private onSecure(
    _socket: unknown,
    session: SMTPServerSession,
    callback: (error?: Error | null) => void,
  ): void {
    const cipher = session.tlsOptions;
    if (cipher !== false) {
      this.transcripts.add(session.id, 'I', `TLS established: ${cipher.version} ${cipher.name}`);
    }
    // RFC 3207 section 4.2: the client starts over after STARTTLS, and smtp-server has
    // already discarded the transaction.
    const state = this.sessions.get(session.id);
    const reason = abortReason('client-reset', 'STARTTLS discarded the open transaction.');
    this.track(state?.interrupt(reason));
    callback();
  }

  private onAuth(
    auth: SMTPServerAuthentication,
    session: SMTPServerSession,
    callback: (
      error: Error | null | undefined,
      response?: SMTPServerAuthenticationResponse,
    ) => void,
  ): void {
    if (this.options.gate === undefined) {
      this.authenticate(auth, session, callback);
      return;
    }
    const gated = this.gateCommand(session, 'auth', auth.username ?? '').then((outcome) => {
      if (outcome?.kind === 'reply') {
        const { code, enhancedCode, message } = outcome.reply;
        const error = Object.assign(new Error(message), { responseCode: code });
        sendWithEnhancedCode(session, code, enhancedCode, () => callback(error));
      } else if (outcome === null) {
        this.authenticate(auth, session, callback);
      }
    });
    this.track(gated);
  }

  private authenticate(
    auth: SMTPServerAuthentication,
    session: SMTPServerSession,
    callback: (
      error: Error | null | undefined,
      response?: SMTPServerAuthenticationResponse,
    ) => void,
  ): void {
    const username = auth.username ?? '';
    const state = this.sessions.get(session.id);
    if (!this.acceptsCredentials(username, auth.password ?? '')) {
      state?.logger.info({ user: username, method: auth.method }, 'AUTH rejected');
      callback(null, { responseCode: 535, message: 'Error: Authentication credentials invalid' });
      return;
    }
    this.transcripts.add(session.id, 'I', `Authenticated as ${username} with ${auth.method}`);
    // metadata.ts reads the user name back from session.user.
    callback(null, { user: username });
  }

  private onMailFrom(
    address: SMTPServerAddress,
    session: SMTPServerSession,
    callback: (error?: Error | null) => void,
  ): void {
    this.runHook(session, callback, async (state) => {
      const outcome = await this.gateCommand(session, 'mail');
      if (outcome?.kind === 'reply') return rejected(outcome.reply);
      if (outcome?.kind === 'drop') return rejected(LOCAL_ERROR_REPLY);
      return this.handlers.mailFrom(state, session, address);
    });
  }

  private onRcptTo(
    address: SMTPServerAddress,
    session: SMTPServerSession,
    callback: (error?: Error | null) => void,
  ): void {
    this.runHook(session, callback, (state) => this.handlers.rcptTo(state, address));
  }

  private onData(
    stream: Readable,
    session: SMTPServerSession,
    callback: (error?: Error | null, message?: string) => void,
  ): void {
    this.runHook(session, callback, (state) => this.handlers.data(state, stream));
  }

  private onClose(session: SMTPServerSession): void {
    const state = this.sessions.get(session.id);
    if (state === undefined) {
      return;
    }
    this.sessions.delete(session.id);
    state.closed = true;
    const reason =
      state.endReason ??
      abortReason('client-disconnected', 'The connection closed before the transaction finished.');
    this.track(state.interrupt(reason).finally(() => this.emitClosed(state.id)));
  }

  private onTransactionReset(
    session: SMTPServerSession,
    kind: 'client-reset' | 'new-transaction',
    command: string,
  ): void {
    const detail =
      kind === 'new-transaction'
        ? 'The client sent MAIL FROM again before it finished the transaction.'
        : `The client sent ${command}, which resets the transaction.`;
    this.track(this.sessions.get(session.id)?.interrupt(abortReason(kind, detail)));
  }

  /**
   * Records a RCPT TO that smtp-server rejected for its syntax as a rejected recipient of
   * the open delivery, so that the trace shows every RCPT TO the client sent.
   */
  private onRcptRejected(session: SMTPServerSession, argument: string, reply: LibraryReply): void {
    const transaction = this.sessions.get(session.id)?.transaction;
    if (transaction === null || transaction === undefined || transaction.phase !== 'open') {
      return;
    }
    const sent = argument.trim();
    this.options.events.emit({
      type: 'rcpt',
      deliveryId: transaction.meta.id,
      at: Date.now(),
      original: sent,
      address: sent,
      status: 'rejected',
      reply,
    });
  }

  private onIdleTimeout(session: SMTPServerSession): void {
    const state = this.sessions.get(session.id);
    if (state === undefined) {
      return;
    }
    const idleTimeoutMs = this.options.idleTimeoutMs ?? 300_000;
    state.endReason ??= abortReason(
      'timeout',
      `The client sent nothing for ${idleTimeoutMs} ms, so the server closed the connection.`,
    );
    this.transcripts.add(session.id, 'I', 'Idle timeout: closing the connection');
    this.track(state.interrupt(state.endReason));
  }

  /**
   * Runs a transaction hook and sends its outcome. An unexpected error becomes a 451
   * reply, so one client's failure never escapes into smtp-server's socket handling.
   */
  private runHook(
    session: SMTPServerSession,
    callback: (error?: Error | null, message?: string) => void,
    work: (state: SessionState) => Promise<HookOutcome>,
  ): void {
    const state = this.sessions.get(session.id);
    if (state === undefined) {
      // smtp-server runs no hook after the close hook, so this is a bug in the endpoint.
      this.logger.error({ cid: session.id }, 'SMTP command arrived for a session already closed');
      completeHook(session, callback, rejected(LOCAL_ERROR_REPLY));
      return;
    }

    const done = work(state)
      .catch((error: unknown): HookOutcome => {
        const msgId = state.transaction?.meta.id;
        state.logger.error({ err: error, msgId }, 'SMTP command handler failed');
        return rejected(LOCAL_ERROR_REPLY);
      })
      .then((outcome) => completeHook(session, callback, outcome))
      .catch((error: unknown) => {
        const msgId = state.transaction?.meta.id;
        state.logger.error({ err: error, msgId }, 'failed to send an SMTP reply');
      })
      .finally(() => {
        state.decidingMessage = false;
        state.pendingHook = null;
        this.transcripts.flushSoon(session.id);
      });
    state.pendingHook = done;
    this.track(done);
  }

  /**
   * Asks the gate about a step and records its decision: a line in the transcript, the
   * rule on the open transaction at DATA, or the dropped connection.
   */
  private async gateCommand(
    session: SMTPServerSession,
    step: GateStep,
    authUser?: string,
  ): Promise<GateOutcome | null> {
    const gate = this.options.gate;
    if (gate === undefined) return null;
    const info = authUser === undefined ? {} : { authUser };
    const outcome = await gate.check(step, session, info).catch((error: unknown) => {
      this.logger.error({ err: error, cid: session.id, step }, 'SMTP step gate failed');
      return null;
    });
    if (outcome === null) return null;
    if (outcome.kind === 'drop') {
      this.dropConnection(session.id, outcome.rule);
      return outcome;
    }

    const { reply, rule } = outcome;
    const by = rule === null ? 'Intake paused' : `Rule "${rule.name}"`;
    this.transcripts.add(session.id, 'I', `${by}: ${reply.code} ${reply.enhancedCode} at ${step}`);
    const transaction = this.sessions.get(session.id)?.transaction;
    if (rule !== null && transaction !== undefined && transaction !== null) {
      noteRuleRejection(transaction, new RuleError(rule, reply), step.toUpperCase());
    }
    return outcome;
  }

  private emitClosed(sessionId: string): void {
    this.transcripts.close(sessionId);
    this.options.events.emit({ type: 'session.closed', sessionId, at: Date.now() });
  }

  private track(work: Promise<unknown> | undefined): void {
    if (work === undefined) {
      return;
    }
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  // SHUTDOWN

  private async shutDown(reason: AbortReason): Promise<void> {
    this.logger.info({ sessions: this.sessions.size }, 'SMTP endpoint closing');
    for (const state of this.sessions.values()) {
      state.endReason = reason;
      this.transcripts.add(state.id, 'I', 'Server shutting down');
      this.track(state.interrupt(reason));
    }
    // smtp-server stops accepting connections and replies 421 to every further command.
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));

    // A message past its final dot gets its own reply first, so that a client never
    // sees 421 for a message that was committed.
    const replies = [...this.sessions.values()]
      .filter((state) => state.decidingMessage)
      .map((state) => state.pendingHook);
    await waitAtMost(Promise.allSettled(replies), this.shutdownTimeoutMs);
    for (const connection of this.server.connections) {
      const { code, enhancedCode, message } = SHUTDOWN_REPLY;
      sendWithEnhancedCode(connection.session, code, enhancedCode, () =>
        connection.send(code, message),
      );
    }
    await serverClosed;

    // Close hooks run one event-loop turn after their socket closed.
    await new Promise((resolve) => setImmediate(resolve));
    await waitAtMost(Promise.allSettled([...this.inFlight]), this.shutdownTimeoutMs);
    for (const state of this.sessions.values()) {
      state.closed = true;
      this.emitClosed(state.id);
    }
    this.sessions.clear();
    this.logger.info('SMTP endpoint closed');
  }
}

async function waitAtMost(work: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([work, timeout]);
  clearTimeout(timer);
}
