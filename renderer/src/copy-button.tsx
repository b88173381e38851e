import { useNotify } from './app-notices.js';
import { copyText } from './clipboard.js';

/** Renders a small button that copies `text`, such as an address, to the clipboard. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const notify = useNotify();

  const copy = () => {
    copyText(text).then(
      () => notify(`Copied ${text}`),
      (error: Error) => notify(error.message, 'error'),
    );
  };

  return (
    <button type="button" className="copy-button" aria-label={label} title={label} onClick={copy}>
      <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
        <rect x="5" y="5" width="9" height="9" rx="1.5" fill="none" stroke="currentColor" />
        <path d="M3 11V3.5A1.5 1.5 0 0 1 4.5 2H11" fill="none" stroke="currentColor" />
      </svg>
    </button>
  );
}
