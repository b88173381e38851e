import { useEffect, useId, useRef } from 'react';
import type { ReactNode } from 'react';

interface ModalDialogProps {
  title: string;
  children: ReactNode;
  /** Called when the dialog closes by Escape or a button that closes it. */
  onClose(): void;
  className?: string;
}

/**
 * Renders a modal `<dialog>`. The browser traps focus inside it, makes the page behind it inert
 * and closes it on Escape. The parent mounts it to open it and unmounts it to close it.
 */
export function ModalDialog({ title, children, onClose, className }: ModalDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    const element = dialog.current;
    // Unmounting removes the element and so closes it. Calling close() here would fire
    // `close` and run onClose again.
    if (element && !element.open) element.showModal();
  }, []);

  return (
    <dialog
      ref={dialog}
      className={`modal ${className ?? ''}`}
      aria-labelledby={titleId}
      onClose={onClose}
    >
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}

interface ConfirmDialogProps {
  title: string;
  message: string;
  confirmLabel: string;
  onConfirm(): void;
  onCancel(): void;
}

/** Asks before a destructive action. Cancel has the focus, so Enter does not confirm. */
export function ConfirmDialog(props: ConfirmDialogProps) {
  return (
    <ModalDialog title={props.title} onClose={props.onCancel}>
      <p>{props.message}</p>
      <div className="dialog-buttons">
        <button type="button" autoFocus onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" className="danger" onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
      </div>
    </ModalDialog>
  );
}

const SHORTCUTS: Array<[string[], string]> = [
  [['j', '↓'], 'Select the next delivery'],
  [['k', '↑'], 'Select the previous delivery'],
  [['Enter'], 'Open the selected delivery'],
  [['Delete'], 'Delete the open delivery, or the selected one when none is open'],
  [['/'], 'Search'],
  [['?'], 'Show this help'],
  [['Escape'], 'Close a dialog or leave the search box'],
];

/** Renders the list of keyboard shortcuts. */
export function HelpDialog({ onClose }: { onClose(): void }) {
  return (
    <ModalDialog title="Keyboard shortcuts" onClose={onClose} className="help-dialog">
      <table className="shortcuts">
        <tbody>
          {SHORTCUTS.map(([keys, action]) => (
            <tr key={action}>
              <th scope="row">
                {keys.map((key, index) => (
                  <span key={key}>
                    {index > 0 && ' or '}
                    <kbd>{key}</kbd>
                  </span>
                ))}
              </th>
              <td>{action}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="dialog-buttons">
        <button type="button" autoFocus onClick={onClose}>
          Close
        </button>
      </div>
    </ModalDialog>
  );
}
