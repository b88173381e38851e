import { createContext, useCallback, useContext, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';

export interface Notice {
  id: number;
  text: string;
  kind: 'info' | 'error';
}

type Notify = (text: string, kind?: Notice['kind']) => void;

const NoticeContext = createContext<Notify>(() => undefined);

/** How long a notice stays on screen. Errors stay longer so they can be read. */
const INFO_MS = 2500;
const ERROR_MS = 8000;

/** Provides `useNotify` and shows its notices in a polite live region. */
export function NoticeProvider({ children }: { children: ReactNode }) {
  const [notices, setNotices] = useState<Notice[]>([]);
  const nextId = useRef(1);

  const notify = useCallback<Notify>((text, kind = 'info') => {
    const id = nextId.current++;
    setNotices((current) => [...current.slice(-3), { id, text, kind }]);
    window.setTimeout(
      () => setNotices((current) => current.filter((notice) => notice.id !== id)),
      kind === 'error' ? ERROR_MS : INFO_MS,
    );
  }, []);
  const value = useMemo(() => notify, [notify]);

  return (
    <NoticeContext.Provider value={value}>
      {children}
      <div className="notices" role="status" aria-live="polite">
        {notices.map((notice) => (
          <div key={notice.id} className={`notice notice-${notice.kind}`}>
            {notice.text}
          </div>
        ))}
      </div>
    </NoticeContext.Provider>
  );
}

export function useNotify(): Notify {
  return useContext(NoticeContext);
}
