import { refreshAll } from '$app/navigation';

/**
 * While `active()` holds, refreshes the page's data every `delayMs()`. A refresh still in flight is
 * not doubled (a slow server is not asked twice at once), unless it has hung for 10 s, when a new
 * one overtakes it. Call it from a component's script.
 */
export function refreshWhile(active: () => boolean, delayMs: () => number): void {
  $effect(() => {
    if (!active()) return;
    let startedAt = 0;
    let inFlight = false;
    const timer = setInterval(() => {
      if (inFlight && Date.now() - startedAt < 10_000) return;
      inFlight = true;
      startedAt = Date.now();
      void refreshAll().catch(() => {}).finally(() => { inFlight = false; });
    }, delayMs());
    return () => clearInterval(timer);
  });
}
