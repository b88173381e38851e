import type { IntakeState } from './types.js';

/**
 * The pause switch. While paused, the SMTP endpoint replies to each MAIL FROM with the
 * configured code, so no transaction starts. Connections and other commands go on. The
 * state lives in memory, so Mailscope always starts with intake running.
 */
export class IntakeSwitch {
  private current: IntakeState = { paused: false, code: 451, since: null };

  constructor(private readonly now: () => number = Date.now) {}

  state(): IntakeState {
    return { ...this.current };
  }

  /** Pauses with `code` (421 or 451, kept from the last pause when missing) or resumes. */
  set(paused: boolean, code?: 421 | 451): IntakeState {
    const nextCode = code ?? this.current.code;
    let since: number | null = null;
    if (paused) since = this.current.paused ? this.current.since : this.now();
    this.current = { paused, code: nextCode, since };
    return this.state();
  }
}
