import type { RequestEvent } from '@sveltejs/kit';
import { api } from './context.ts';

/**
 * After a "cancel" signal, waits (up to `ms`) for the run to finish its compensation, so the page
 * the person comes back to shows the outcome rather than the moment before it.
 */
export async function settled(event: RequestEvent, workflowId: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const run = await api(event).workflows.get({ workflowId }).catch(() => null);
    if (!run || !['running', 'waiting', 'cancelling'].includes(run.state)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
