import { useEffect, useRef, useState } from 'react';

export interface Resource<T> {
  /** Latest data loaded for the current identity, possibly from an older version. */
  data: T | undefined;
  error: Error | undefined;
  /** True until the current identity and version have loaded or failed. */
  loading: boolean;
}

interface Loaded<T> {
  identity: string;
  version: number;
  data?: T;
  error?: Error;
}

/**
 * Loads data for `identity` (such as a message id) and loads it again when `version`
 * grows. While a newer version loads, the older data of the same identity stays
 * visible, but data of another identity never shows. A null identity loads nothing.
 */
export function useResource<T>(
  identity: string | null,
  version: number,
  load: (signal: AbortSignal) => Promise<T>,
): Resource<T> {
  const [loaded, setLoaded] = useState<Loaded<T> | null>(null);
  const loader = useRef(load);

  useEffect(() => {
    loader.current = load;
  });

  useEffect(() => {
    if (identity === null) return;
    const controller = new AbortController();
    loader.current(controller.signal).then(
      (data) => setLoaded({ identity, version, data }),
      (error: Error) => {
        if (!controller.signal.aborted) setLoaded({ identity, version, error });
      },
    );
    return () => controller.abort();
  }, [identity, version]);

  if (identity === null || loaded === null || loaded.identity !== identity) {
    return { data: undefined, error: undefined, loading: identity !== null };
  }
  return {
    data: loaded.data,
    error: loaded.error,
    loading: loaded.version !== version,
  };
}
