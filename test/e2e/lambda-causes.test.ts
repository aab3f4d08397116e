/**
 * Causes as AWS shows them (issue 14): a handler's error reaches Step Functions as Lambda
 * delivers it, the Cause being the runtime's JSON with a trace of the bundle's paths. The
 * workflows read the message out of it themselves, once per failure path, so the execution's
 * cause and its Failed event carry the error's sentence, never a stack trace; and causes that
 * are not a Lambda error's JSON pass through as they are.
 */
import { describe, expect, it } from 'vitest';
import { failedStates } from '../../lib/simulator/campaign';
import { simulateExecutions, type SimulationResult } from '../../lib/simulator/simulate';
import type { ExecutionEvent } from '../../lib/simulator/progress';
import { canonical, expectSafeEnd } from './helpers';

const release = { release: '1.1.0' };

/** A stack line, as the Node.js runtime reports them: "    at fn (/path/file.ts:1:2)". */
const STACK_LINE = /\n?\s+at .*:\d+:\d+/;

function expectSentence(cause: string | undefined) {
  expect(cause).toBeDefined();
  expect(cause, 'the runtime JSON').not.toContain('"errorType"');
  expect(cause, 'a trace').not.toContain('"trace"');
  expect(cause, 'a stack line').not.toMatch(STACK_LINE);
}

/** The failed Event the execution published (EventBridge, forwarded to SNS). */
function failedEvent(result: SimulationResult) {
  const failed = result.account.notifications.filter((n) => n.detail.event === 'Failed');
  expect(failed).toHaveLength(1);
  return failed[0]!.detail as { error?: string; cause?: string };
}

/** The failures of a task state, as its own history shows them (the Lambda error, before any Catch). */
function taskFailures(events: ExecutionEvent[], state: string) {
  return events.filter((e) => e.type === 'StateFailed' && e.state?.name === state);
}

describe("a handler's error, as Lambda delivers it, in the execution's cause and its Failed event", () => {
  it('a failed install (PatchFailedError) rolled back: the sentence and what the rollback did, no stack trace, at every level', async () => {
    // Act
    const result = await simulateExecutions({ environment: canonical, input: undefined, faults: ['patch-fail:web-2'], executions: [{ input: release }] });
    const [report] = result.reports;

    // Assess: the error reached the rollout's Check Install as Lambda delivers it, the runtime's JSON with a trace.
    const failures = result.childEvents[0]!.flatMap((events) => taskFailures(events, 'Check Install'));
    expect(failures.length).toBeGreaterThan(0);
    const delivered = JSON.parse(String(failures[0]!.Cause)) as { errorType: string; errorMessage: string; trace: string[] };
    expect(failures[0]!.Error).toBe('PatchFailedError');
    expect(delivered.errorType).toBe('PatchFailedError');
    expect(delivered.trace.length).toBeGreaterThan(1);
    expect(delivered.errorMessage).toContain('web-2');

    // The execution fails with the sentence, and what the workflow adds to it.
    expect(report!.status).toBe('FAILED');
    expect(report!.error).toBe('PatchFailedError');
    expect(report!.cause).toBe(`${delivered.errorMessage} (the release was rolled back: every host that had moved runs its previous release again)`);
    expectSentence(report!.cause);
    // So does the Failed event, and the rollout execution that failed.
    expect(failedEvent(result)).toMatchObject({ error: 'PatchFailedError', cause: report!.cause });
    const childFailures = result.childEvents[0]!.flatMap((events) => events.filter((e) => e.type === 'ExecutionFailed'));
    expect(childFailures.length).toBeGreaterThan(0);
    for (const failed of childFailures) expectSentence(String(failed.Cause));
    expectSafeEnd(report!);
  });

  it("a release refused before the lock: Notify Refused and the execution carry Plan Release's sentence", async () => {
    // Act: a release that does not exist as a parameter name would; an input Plan Release refuses.
    const result = await simulateExecutions({ environment: canonical, input: undefined, executions: [{ input: { release: '1.1.0', bogus: true } }] });
    const [report] = result.reports;

    // Assess
    expect(report!.status).toBe('FAILED');
    expect(report!.error).toMatch(/Error$/);
    const delivered = JSON.parse(String(taskFailures(result.events[0]!, 'Plan Release')[0]!.Cause)) as { errorMessage: string; trace: string[] };
    expect(delivered.trace.length).toBeGreaterThan(1);
    expect(report!.cause).toBe(delivered.errorMessage);
    expectSentence(report!.cause);
    expect(failedEvent(result)).toMatchObject({ error: report!.error, cause: report!.cause });
  });

  it("leaves a cause that is not a Lambda error's JSON as it is: a TypeError renamed UnexpectedTaskError keeps its own words", async () => {
    // Act: Check Install throws on every attempt Step Functions makes.
    const result = await simulateExecutions({
      environment: canonical,
      input: undefined,
      faults: [1, 2, 3].map((n) => `error:Check Install@${n}`),
      executions: [{ input: release }],
    });
    const [report] = result.reports;

    // Assess
    expect(report!.error).toBe('UnexpectedTaskError');
    expect(report!.cause).toMatch(/^a state failed unexpectedly with TypeError on tier middle \(mid-1 \(i-.*the release was rolled back/);
    // The state that failed is in the rollout child's history, as the cause says.
    expect(failedStates(result.events[0]!, result.childEvents[0])).toContainEqual({ state: 'Check Install', error: 'TypeError' });
    expectSentence(report!.cause);
    expect(failedEvent(result)).toMatchObject({ error: 'UnexpectedTaskError', cause: report!.cause });
  });
});
