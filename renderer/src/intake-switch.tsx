import { useId, useState } from 'react';

import type { IntakeState } from '../../src/http/api-types.js';
import { setIntake } from './rules-api.js';

/** Renders the header's pause switch, which pauses intake with 421 or 451 or resumes it. */
export function IntakeSwitch({
  intake,
  onChange,
  onError,
}: {
  intake: IntakeState | null;
  onChange(intake: IntakeState): void;
  onError(message: string): void;
}) {
  const [code, setCode] = useState<421 | 451>(451);
  const codeSelectId = useId();
  if (intake === null) return null;

  const toggle = () => {
    setIntake(!intake.paused, intake.paused ? intake.code : code).then(onChange, (error: Error) =>
      onError(`Could not change the intake: ${error.message}`),
    );
  };

  return (
    <span className="intake-switch">
      {!intake.paused && (
        <>
          <label htmlFor={codeSelectId}>Reply while paused</label>
          <select
            id={codeSelectId}
            title="SMTP reply code to MAIL FROM while intake is paused"
            value={code}
            onChange={(event) => setCode(Number(event.target.value) as 421 | 451)}
          >
            <option value={451}>451</option>
            <option value={421}>421</option>
          </select>
        </>
      )}
      <button type="button" aria-pressed={intake.paused} onClick={toggle}>
        {intake.paused ? 'Resume intake' : 'Pause intake'}
      </button>
    </span>
  );
}

/** Renders the banner shown while intake is paused. */
export function IntakeBanner({ intake }: { intake: IntakeState | null }) {
  if (intake === null || !intake.paused) return null;
  const since =
    intake.since === null ? '' : ` since ${new Date(intake.since).toLocaleTimeString()}`;
  return (
    <div className="intake-banner" role="alert">
      Intake paused{since}: every new SMTP transaction gets {intake.code}, and the send and import
      APIs return 503. Resume intake to accept mail again.
    </div>
  );
}
