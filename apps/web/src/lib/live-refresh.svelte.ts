import { refreshAll } from '$app/navigation';

/**
 * While `active()` holds, refreshes the page's data every `delayMs()`. The next refresh is planned
 * once the previous one has answered, so a slow server is never asked twice at once (with a fixed
 * interval, refreshes slower than the interval would cancel each other and the page would freeze).
 * Call it from a component's script.
 */
export function refreshWhile(active: () => boolean, delayMs: () => number): void {
  $effect(() => {
    if (!active()) return;
    const delay = delayMs();
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const tick = async () => {
      // A refresh that hangs (the server waiting on a busy worker) is overtaken after 15 s by the next one.
      await Promise.race([refreshAll().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 15_000))]);
      if (!stopped) timer = setTimeout(tick, delay);
    };
    timer = setTimeout(tick, delay);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  });
}
