import { type RetryPolicy, condition, defineQuery, defineSignal, setHandler, workflowInfo, CancellationScope, isCancellation } from '@temporalio/workflow';
import {
  cancelSignalName, progressQueryName, retrySignalName, type RunDecision, type StepProgress, type WorkflowProgress,
} from '@mutualis/contracts';

/**
 * How every workflow step retries a technical error (database, SMTP down): 1 s, doubling up to
 * 30 s, 8 attempts (about 2.5 minutes), then the run waits for a person. Business refusals
 * (`StepRefused`) are never retried.
 */
export const STEP_RETRY: RetryPolicy = {
  initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 8, nonRetryableErrorTypes: ['StepRefused'],
};

export const progressQuery = defineQuery<WorkflowProgress>(progressQueryName);
export const retrySignal = defineSignal<[RunDecision]>(retrySignalName);
export const cancelSignal = defineSignal<[RunDecision]>(cancelSignalName);

/** The plain words of a failure: an activity's own message, not Temporal's wrapping. */
export function plainMessage(error: unknown): string {
  let e: unknown = error;
  while (e && typeof e === 'object' && 'cause' in e && (e as { cause?: unknown }).cause) e = (e as { cause: unknown }).cause;
  return e instanceof Error ? e.message : String(e);
}

/**
 * Runs a workflow's steps with visible progress. A step that fails (a business refusal at once, a
 * technical error after its retries) leaves the run `waiting`: a `retryStep` signal runs it again,
 * a `cancelRun` signal cancels the run, whose owner then compensates what was done.
 */
export class StepRunner {
  readonly progress: WorkflowProgress;
  readonly scope = new CancellationScope();
  private retryRequested = false;
  /** Whether a `cancelRun` signal is heeded now: a workflow turns it off while a step that cannot be undone runs. */
  cancellable: () => boolean = () => true;

  constructor(workflowType: string, stepKeys: readonly string[]) {
    this.progress = {
      workflowId: workflowInfo().workflowId, workflowType, state: 'running', cancelledBy: null,
      steps: stepKeys.map((key) => ({ key, state: 'pending', startedAt: null, endedAt: null, attempts: 0, error: null, note: null })),
    };
    setHandler(progressQuery, () => this.progress);
    setHandler(retrySignal, () => { this.retryRequested = true; });
    setHandler(cancelSignal, ({ actorUserId }) => {
      if (this.progress.state === 'completed' || this.progress.state === 'cancelled' || this.progress.cancelledBy || !this.cancellable()) return;
      this.progress.cancelledBy = actorUserId;
      this.progress.state = 'cancelling';
      this.scope.cancel();
    });
  }

  step(key: string): StepProgress {
    const step = this.progress.steps.find((s) => s.key === key);
    if (!step) throw new Error(`unknown step ${key}`);
    return step;
  }

  /** Runs one step until it succeeds, waiting for a person after each failure. */
  async run<T>(key: string, work: () => Promise<T>, describe?: (result: T) => string | null): Promise<T> {
    for (;;) {
      try {
        return await this.attempt(key, work, describe);
      } catch (error) {
        if (isCancellation(error)) throw error;
        await this.waitForRetry();
      }
    }
  }

  /** Runs one step once: done, or failed (with its error in plain words) and rethrown. */
  async attempt<T>(key: string, work: () => Promise<T>, describe?: (result: T) => string | null): Promise<T> {
    const step = this.step(key);
    step.state = 'running';
    step.startedAt = new Date().toISOString();
    step.endedAt = null;
    step.attempts += 1;
    try {
      const result = await work();
      step.state = 'done';
      step.error = null;
      step.note = describe ? describe(result) : null;
      step.endedAt = new Date().toISOString();
      return result;
    } catch (error) {
      if (isCancellation(error)) throw error;
      step.state = 'failed';
      step.error = plainMessage(error);
      step.endedAt = new Date().toISOString();
      throw error;
    }
  }

  /** The run waits for a person: a `retryStep` signal resumes it, a `cancelRun` cancels it. */
  async waitForRetry(): Promise<void> {
    this.progress.state = 'waiting';
    this.retryRequested = false;
    await condition(() => this.retryRequested);
    this.progress.state = 'running';
  }

  skip(key: string, note: string): void {
    const step = this.step(key);
    step.state = 'skipped';
    step.note = note;
    step.startedAt = step.endedAt = new Date().toISOString();
  }

  doneSteps(): string[] {
    return this.progress.steps.filter((s) => s.state === 'done').map((s) => s.key);
  }
}
