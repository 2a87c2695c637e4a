/**
 * A workflow that does nothing: the baseline of the onboarding benchmark (tests/bench), i.e. what
 * one run costs in Temporal alone (start, one workflow task, completion) on the same server and worker.
 */
export async function noopWorkflow(): Promise<null> {
  return null;
}
