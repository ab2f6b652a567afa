// "The first screen is up": work that can wait (re-reading cached reference lists, counting
// incidents) starts after it, so it never competes with what the agent is waiting to see.
const waiting = new Set<() => void>();
let shown = false;

export function markFirstScreenShown(): void {
  if (shown) return;
  shown = true;
  for (const run of waiting) run();
  waiting.clear();
}

/** Run `task` once the first screen is shown, or after `latestMs` whatever happens. */
export function afterFirstScreen(task: () => void, latestMs = 5000): () => void {
  let done = false;
  const once = (): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    waiting.delete(once);
    task();
  };
  const timer = setTimeout(once, latestMs);
  if (shown) queueMicrotask(once);
  else waiting.add(once);
  return () => {
    done = true;
    clearTimeout(timer);
    waiting.delete(once);
  };
}
