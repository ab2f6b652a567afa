// Repeat a fetch every few seconds without overlapping: the next call is scheduled only once
// the previous one settled, and nothing runs after the component is gone.
import { useEffect, useRef } from "react";

export function usePolling(task: () => Promise<unknown>, everyMs: number, enabled = true): void {
  const latest = useRef(task);
  useEffect(() => {
    latest.current = task;
  });
  useEffect(() => {
    if (!enabled) return undefined;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = (): void => {
      timer = setTimeout(() => {
        latest
          .current()
          .catch(() => undefined) // a failed poll is retried by the next one
          .finally(() => {
            if (!stopped) tick();
          });
      }, everyMs);
    };
    tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [everyMs, enabled]);
}
