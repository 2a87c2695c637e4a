import { refreshAll } from '$app/navigation';

/**
 * While `active()` holds, refreshes the page's data every `delayMs()`. A refresh still in flight is
 * not doubled: a new one would cancel it, and refreshes slower than the interval would then never
 * complete. Only one that has hung for 30 s (far beyond the server's own 5 s limit on asking a
 * worker) is overtaken. Call it from a component's script.
 */
export function refreshWhile(active: () => boolean, delayMs: () => number): void {
  $effect(() => {
    if (!active()) return;
    let startedAt = 0;
    let inFlight = false;
    const timer = setInterval(() => {
      if (inFlight && Date.now() - startedAt < 30_000) return;
      inFlight = true;
      startedAt = Date.now();
      void refreshAll().catch(() => {}).finally(() => { inFlight = false; });
    }, delayMs());
    return () => clearInterval(timer);
  });
}
