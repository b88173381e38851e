/**
 * A gate that replies to SMTP steps with no delivery behind them, for the failure rules and
 * the pause switch. Those steps are the greeting, HELO/EHLO, AUTH, a MAIL FROM while intake
 * is paused, and the DATA command before its 354 reply.
 *
 * HACK: smtp-server 3.21.6 has no hook for HELO, EHLO or the DATA command (onData runs after
 * the library has sent 354), so `installCommandGate` wraps those three handlers of its
 * SMTPConnection class. Each wrapper calls the original method unless the gate replies to the
 * command, and changes nothing for a server that was not passed to `installCommandGate`.
 */
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import type { SMTPServer, SMTPServerSession } from 'smtp-server';

import type { RuleRef } from '../delivery/rule-hooks.js';
import type { SmtpReply } from '../delivery/types.js';
import { sendWithEnhancedCode } from './connection-patch.js';

/** The steps the gate decides. */
export type GateStep = 'connect' | 'helo' | 'auth' | 'mail' | 'data';

/** Details of a step besides the session. */
export interface GateStepInfo {
  /** The user name that AUTH tries, at `auth`. */
  authUser?: string;
}

/** The gate's decision: send a failure reply, or close the connection without one. */
export type GateOutcome =
  { kind: 'reply'; reply: SmtpReply; rule: RuleRef | null } | { kind: 'drop'; rule: RuleRef };

export interface SmtpStepGate {
  /**
   * Returns the reply to a step, or null to let it go on as usual. It may wait before it
   * resolves, which delays the reply. It should not reject.
   */
  check(
    step: GateStep,
    session: SMTPServerSession,
    info?: GateStepInfo,
  ): Promise<GateOutcome | null>;
}

type CommandHandler = (this: SMTPConnection, step: GateStep) => Promise<GateOutcome | null>;

const gates = new WeakMap<SMTPServer, CommandHandler>();
let installed = false;

/**
 * Routes HELO, EHLO and DATA of `server` through `handler`, which returns what the
 * wrapper sends instead of the library's reply. Installs the wrappers on first use.
 */
export function installCommandGate(
  server: SMTPServer,
  handler: (connection: SMTPConnection, step: GateStep) => Promise<GateOutcome | null>,
): void {
  installWrappers();
  gates.set(server, function (this: SMTPConnection, step: GateStep) {
    return handler(this, step);
  });
}

/** Closes the connection at once, without a reply. */
export function destroyConnection(connection: SMTPConnection): void {
  connection._socket.destroy();
}

function installWrappers(): void {
  if (installed) return;
  installed = true;
  const proto = SMTPConnection.prototype;
  for (const [method, step] of [
    ['handler_HELO', 'helo'],
    ['handler_EHLO', 'helo'],
    ['handler_DATA', 'data'],
  ] as const) {
    const original = proto[method];
    if (typeof original !== 'function') {
      throw new Error(
        `smtp-server's SMTPConnection has no ${method} method, so failure rules at the ` +
          `${step} stage cannot be installed. Update src/smtp/step-gate.ts for this version.`,
      );
    }
    proto[method] = function (command: Buffer, callback: () => void) {
      const gate = gates.get(this._server);
      // DATA without a recipient gets the library's 503, whatever the rules decide.
      if (gate === undefined || (step === 'data' && this.session.envelope.rcptTo.length === 0)) {
        original.call(this, command, callback);
        return;
      }
      void gate.call(this, step).then(
        (outcome) => {
          if (outcome === null) {
            original.call(this, command, callback);
          } else if (outcome.kind === 'drop') {
            destroyConnection(this);
            callback();
          } else {
            const { code, enhancedCode, message } = outcome.reply;
            sendWithEnhancedCode(this.session, code, enhancedCode, () => this.send(code, message));
            callback();
          }
        },
        () => original.call(this, command, callback),
      );
    };
  }
}
