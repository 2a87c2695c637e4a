/**
 * Replay of recorded onboardMember histories against the current workflow bundle: a change to the
 * workflow code that would break runs already in flight (a step added, moved or removed, a timer or
 * signal handled differently) fails here, in CI, before it reaches a worker in production.
 *
 * The histories are real runs (tests/integration/onboarding/histories/*.json, Temporal's JSON
 * history format, the one `temporal workflow show --output json` writes). Replaying needs no server.
 * Histories of earlier code are kept under their version's name (`before-<patch>.*.json`): they are
 * the runs in flight at the time of that change, which the `patched()` branch must still replay.
 *
 * Re-record them, on purpose, after an intended incompatible change (which needs a versioning plan
 * for runs in flight: `patched()` or a new workflow type), with the test stack's settings:
 *   RECORD_HISTORIES=1 npm test -- tests/integration/onboarding/replay.record.test.ts
 * (replay.record.test.ts is left out of every other run, see vitest.config.ts). Review the diff,
 * then commit the files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { workflowBundle } from '@mutualis/worker';

export const HISTORIES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'histories');

interface Recorded { workflowId: string; history: unknown }

export const recordedFiles = () => readdirSync(HISTORIES).filter((f) => f.endsWith('.json')).sort();
const load = (file: string): Recorded => {
  const history = JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8')) as { events: Array<Record<string, any>> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  const workflowId = String(history.events[0]?.workflowExecutionStartedEventAttributes?.workflowId ?? file);
  return { workflowId, history };
};

describe('replaying recorded onboardMember histories against the current workflow code', () => {
  beforeAll(() => {
    try { Runtime.install({ logger: new DefaultLogger('WARN') }); } catch { /* a runtime already exists in this process */ }
  });

  it('has recorded histories to replay', () => {
    expect(recordedFiles().length).toBeGreaterThanOrEqual(4);
  });

  it('replays every recorded history without a non-determinism error', async () => {
    const files = recordedFiles();
    const histories = files.map(load);
    const results: Array<{ file: string; error: string | null }> = [];
    let i = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
      results.push({ file: files[i++]!, error: result.error ? String(result.error) : null });
    }
    expect(results).toEqual(files.map((file) => ({ file, error: null })));
  }, 120_000);

  it('notices a history that does not match: the check can fail', async () => {
    // The completed run with its first activity renamed: the current code schedules registerMember, the history says otherwise.
    const { workflowId, history } = load('completed-with-dsi.json');
    const tampered = JSON.parse(JSON.stringify(history).replace('"registerMember"', '"registerMemberV0"')) as unknown;
    await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, tampered, workflowId)).rejects.toThrow(/[Nn]ondeterminis/);
  }, 120_000);
});

