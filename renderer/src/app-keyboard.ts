import { useEffect, useRef } from 'react';

export interface ShortcutHandlers {
  moveSelection(step: 1 | -1): void;
  openSelected(): void;
  deleteSelected(): void;
  focusSearch(): void;
  showHelp(): void;
}

/**
 * Listens for the keyboard shortcuts on the window. Keys typed into a text field are
 * left alone (Escape there leaves the field), and an open modal dialog handles its own
 * keys, Escape included. Arrow keys move the selection only outside the detail pane,
 * where they scroll, and Enter only when no button or link has the focus.
 */
export function useKeyboardShortcuts(handlers: ShortcutHandlers): void {
  const current = useRef(handlers);

  useEffect(() => {
    current.current = handlers;
  });

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (document.querySelector('dialog[open]')) return;

      const target = event.target instanceof HTMLElement ? event.target : document.body;
      if (target.closest('input, textarea, select, [contenteditable="true"]')) {
        if (event.key === 'Escape') target.blur();
        return;
      }
      const action = shortcutFor(event.key, target);
      if (action === null) return;
      event.preventDefault();
      action(current.current);
    };

    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, []);
}

type Action = (handlers: ShortcutHandlers) => void;

function shortcutFor(key: string, target: HTMLElement): Action | null {
  const inDetail = target.closest('.detail-pane') !== null;
  const onControl = target.closest('button, a, summary, [role="tab"]') !== null;

  switch (key) {
    case 'j':
      return (handlers) => handlers.moveSelection(1);
    case 'k':
      return (handlers) => handlers.moveSelection(-1);
    case 'ArrowDown':
      return inDetail ? null : (handlers) => handlers.moveSelection(1);
    case 'ArrowUp':
      return inDetail ? null : (handlers) => handlers.moveSelection(-1);
    case 'Enter':
      return onControl ? null : (handlers) => handlers.openSelected();
    case 'Delete':
      return (handlers) => handlers.deleteSelected();
    case '/':
      return (handlers) => handlers.focusSearch();
    case '?':
      return (handlers) => handlers.showHelp();
    default:
      return null;
  }
}
