import type { SMTPServerSession } from 'smtp-server';

import { RuleError, type DeliveryRules, type RuleRef } from '../delivery/rule-hooks.js';
import type { MsgMetadata } from '../delivery/types.js';
import type { GateOutcome, GateStep, GateStepInfo, SmtpStepGate } from '../smtp/step-gate.js';
import type { RuleDecision, RuleEngine, StepContext } from './engine.js';
import type { IntakeSwitch } from './intake.js';

/** Closes a session's connection without a reply; set once the SMTP endpoint exists. */
export type ConnectionDropper = (sessionId: string, rule: RuleRef) => void;

/** RFC 3463: 4.3.2 is "system not accepting network messages". */
const PAUSED_ENHANCED_CODE = '4.3.2';

/**
 * Connects the rule engine and the pause switch to the SMTP endpoint (the greeting,
 * HELO, AUTH, MAIL FROM while paused, and DATA) and to the delivery pipeline (MAIL FROM,
 * RCPT TO and the end of data). Rules apply to SMTP deliveries only, not to imported files.
 */
export class RuleHooks implements SmtpStepGate, DeliveryRules {
  dropConnection: ConnectionDropper = () => undefined;

  constructor(
    private readonly engine: RuleEngine,
    private readonly intake: IntakeSwitch,
    private readonly sleep: (ms: number) => Promise<void> = defaultSleep,
  ) {}

  async check(
    step: GateStep,
    session: SMTPServerSession,
    info: GateStepInfo = {},
  ): Promise<GateOutcome | null> {
    if (step === 'mail') {
      // MAIL FROM rules run in the pipeline, so that the refused delivery is recorded.
      return this.pausedReply();
    }
    const context: StepContext = {
      stage: step,
      clientAddress: session.remoteAddress,
      authUser: info.authUser ?? sessionUser(session),
    };
    if (step === 'data') {
      context.sender = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
      context.recipients = session.envelope.rcptTo.map((rcpt) => rcpt.address);
    }
    const decision = this.engine.evaluate(context);
    if (decision === null) return null;

    const { action, rule } = decision;
    await this.sleep('delayMs' in action ? (action.delayMs ?? 0) : 0);
    switch (action.type) {
      case 'reply':
        return { kind: 'reply', reply: replyOf(action), rule };
      case 'drop':
        return { kind: 'drop', rule };
      case 'delay':
      case 'accept':
        return null;
    }
  }

  async mailFrom(meta: MsgMetadata, mailFrom: string): Promise<void> {
    await this.apply(meta, { stage: 'mail', ...connection(meta), sender: mailFrom });
  }

  async rcptTo(meta: MsgMetadata, mailFrom: string, rcptTo: string): Promise<void> {
    const context = { stage: 'rcpt', ...connection(meta), sender: mailFrom, recipient: rcptTo };
    await this.apply(meta, context as StepContext);
  }

  async endOfData(
    meta: MsgMetadata,
    mailFrom: string,
    recipients: readonly string[],
    header: { fields: StepContext['headers'] },
  ): Promise<void> {
    await this.apply(meta, {
      stage: 'end-of-data',
      ...connection(meta),
      sender: mailFrom,
      recipients,
      headers: header.fields ?? [],
    });
  }

  /** Runs the action of the rule that fires for a pipeline step; throws a RuleError to refuse it. */
  private async apply(meta: MsgMetadata, context: StepContext): Promise<void> {
    if (meta.conn.protocol === 'LOCAL') return;
    const decision: RuleDecision | null = this.engine.evaluate(context);
    if (decision === null) return;

    const { action, rule } = decision;
    await this.sleep('delayMs' in action ? (action.delayMs ?? 0) : 0);
    switch (action.type) {
      case 'reply':
        throw new RuleError(rule, replyOf(action));
      case 'drop':
        this.dropConnection(meta.conn.sessionId, rule);
        // The client never sees this reply, because the connection is gone.
        throw new RuleError(rule, {
          code: 421,
          enhancedCode: '4.4.2',
          message: 'Connection dropped by a rule',
        });
      case 'delay':
      case 'accept':
        return;
    }
  }

  private pausedReply(): GateOutcome | null {
    const state = this.intake.state();
    if (!state.paused) return null;
    const message =
      state.code === 421
        ? 'Mailscope intake is paused, closing connection'
        : 'Mailscope intake is paused, try again later';
    return {
      kind: 'reply',
      reply: { code: state.code, enhancedCode: PAUSED_ENHANCED_CODE, message },
      rule: null,
    };
  }
}

function connection(meta: MsgMetadata): Pick<StepContext, 'clientAddress' | 'authUser'> {
  return { clientAddress: meta.conn.remoteAddress, authUser: meta.conn.authUser };
}

/** Returns the user name the session logged in with; the endpoint stores it as `user`. */
function sessionUser(session: SMTPServerSession): string | null {
  const user: unknown = session.user;
  return typeof user === 'string' && user !== '' ? user : null;
}

function defaultSleep(ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function replyOf(action: { code: number; enhancedCode: string; message: string }) {
  return { code: action.code, enhancedCode: action.enhancedCode, message: action.message };
}
