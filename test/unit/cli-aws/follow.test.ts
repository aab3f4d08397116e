/**
 * `start --wait` and `watch`: an execution and its rollout child followed through their
 * histories until the execution closes; exit 0 on success, 1 with the error name and cause
 * otherwise. Step Functions is a fake whose histories grow each time the execution is
 * described, and which pages GetExecutionHistory three events at a time (AWS may return fewer
 * than maxResults), so following must page and must not print an event twice.
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  type GetExecutionHistoryCommandInput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_LINE_CHARS } from '../../../lib/cli/aws/follow';
import { ACCOUNT, REGION, runAws } from './harness';

const sfnMock = mockClient(SFNClient);

const ROOT = `arn:aws:states:${REGION}:${ACCOUNT}:execution:fleetflow-canonical-deploy:1_2_3-abc`;
const CHILD = `arn:aws:states:${REGION}:${ACCOUNT}:execution:fleetflow-canonical-rollout:5f1c2a`;
const PAGE = 3;

/** When each event happened, in seconds after 09:00: the child runs between the root's Roll Segment and Start Bake. */
const ROOT_SECONDS = [0, 1, 2, 3, 4, 5, 6, 20, 21, 22, 23];
const CHILD_SECONDS = [7, 8, 9, 19];
const at = (second: number) => new Date(Date.UTC(2026, 11, 7, 9, 0, second));
const entered = (name: string, input: unknown = {}, type = 'TaskStateEntered'): Partial<HistoryEvent> => ({
  type: type as HistoryEvent['type'],
  stateEnteredEventDetails: { name, input: JSON.stringify(input) },
});
const PLAN = { release: '1.2.3', validation: { bakeSeconds: 300 } };

function rootEvents(end: Partial<HistoryEvent>): Array<Partial<HistoryEvent>> {
  return [
    { type: 'ExecutionStarted', executionStartedEventDetails: { input: '{"release":"1.2.3"}' } },
    entered('Plan Release'),
    entered('Acquire Lock', { plan: PLAN }),
    entered('Roll Tiers', { plan: PLAN }, 'MapStateEntered'),
    entered('Roll Out Segment', { tier: { name: 'web' } }),
    { type: 'TaskScheduled', taskScheduledEventDetails: { resourceType: 'states', resource: 'startExecution.sync:2', region: REGION, parameters: '{}' } },
    { type: 'TaskSubmitted', taskSubmittedEventDetails: { resourceType: 'states', resource: 'startExecution.sync:2', output: JSON.stringify({ ExecutionArn: CHILD, StartDate: '2026-12-07T09:00:05Z' }) } },
    { type: 'TaskSucceeded', taskSucceededEventDetails: { resourceType: 'states', resource: 'startExecution.sync:2', output: '{}' } },
    entered('Start Bake', { plan: PLAN }),
    entered('Check Bake', { plan: PLAN }),
    end,
  ];
}

/** The rollout child of web's first segment: batch 1 of 12, web-1. */
const BATCH = { release: '1.2.3', tier: { name: 'web' }, keyPrefix: 'canonical#1_2_3-abc#release#web', batch: { index: 0, count: 12, hosts: [{ id: 'i-1', name: 'web-1' }] } };
const CHILD_EVENTS: Array<Partial<HistoryEvent>> = [
  { type: 'ExecutionStarted', executionStartedEventDetails: { input: JSON.stringify({ release: '1.2.3', tier: { name: 'web' }, batchCount: 12, segment: { first: 0, last: 3 } }) } },
  entered('Take Batch Out', BATCH),
  entered('Install Release', BATCH),
  { type: 'ExecutionSucceeded' },
];

/** The fake: each DescribeExecution of the root reveals more of both histories; the last shows it closed. */
function fake(end: Partial<HistoryEvent>, closed: { status: string; error?: string; cause?: string }): void {
  const histories = new Map<string, HistoryEvent[]>([
    [ROOT, rootEvents(end).map((e, i) => ({ ...e, id: i + 1, previousEventId: i, timestamp: at(ROOT_SECONDS[i]!) }) as HistoryEvent)],
    [CHILD, CHILD_EVENTS.map((e, i) => ({ ...e, id: i + 1, previousEventId: i, timestamp: at(CHILD_SECONDS[i]!) }) as HistoryEvent)],
  ]);
  // How many events of each history are visible after the nth description of the root.
  const visible: Array<Record<string, number>> = [
    { [ROOT]: 4, [CHILD]: 0 },
    { [ROOT]: 8, [CHILD]: 3 },
    { [ROOT]: 11, [CHILD]: 4 },
  ];
  let looks = 0;
  sfnMock.on(DescribeExecutionCommand).callsFake(({ executionArn }: { executionArn: string }) => {
    looks = Math.min(looks + 1, visible.length);
    const done = looks === visible.length;
    return {
      executionArn,
      name: executionArn.split(':').at(-1),
      status: done ? closed.status : 'RUNNING',
      ...(done && closed.error ? { error: closed.error, cause: closed.cause } : {}),
      input: '{"release":"1.2.3"}',
      startDate: at(0),
    };
  });
  sfnMock.on(GetExecutionHistoryCommand).callsFake((input: GetExecutionHistoryCommandInput) => {
    const shown = histories.get(input.executionArn!)!.slice(0, visible[looks - 1]![input.executionArn!]);
    const ordered = input.reverseOrder ? [...shown].reverse() : shown;
    const offset = Number(input.nextToken ?? 0);
    const size = Math.min(input.maxResults ?? 1000, PAGE);
    const events = ordered.slice(offset, offset + size);
    return { events, ...(offset + size < ordered.length ? { nextToken: String(offset + size) } : {}) };
  });
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: ROOT, startDate: new Date() });
}

beforeEach(() => {
  sfnMock.reset();
});

describe('fleetflow start --wait', () => {
  it('follows the execution and its rollout child, each event once, and exits 0 on success', async () => {
    // Prepare
    fake({ type: 'ExecutionSucceeded' }, { status: 'SUCCEEDED' });

    // Act
    const run = await runAws(['start', 'deploy', '--env', 'canonical', '--release', '1.2.3', '--wait']);

    // Assess
    expect(run.exitCode).toBe(0);
    // simulate's lines (lib/simulator/progress.ts), stamped from the root's start; the child's own start and end are not printed.
    expect(run.out).toEqual([
      `started ${ROOT}`,
      '[00:00:00] execution started',
      '[00:00:02] taking the environment lock',
      '[00:00:08] web batch 1/12: taking web-1 out of traffic',
      '[00:00:09] web batch 1/12: installing 1.2.3 on web-1',
      '[00:00:21] validation: baking for 300s, watching alarms',
      '[00:00:23] execution SUCCEEDED',
      '1_2_3-abc SUCCEEDED',
    ]);
    expect(run.err).toEqual([]);
    expect(run.sleeps).toBe(2);
    // Newest first, paged: each look reads only what is new.
    expect(sfnMock).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { executionArn: ROOT, reverseOrder: true });
  });

  it('exits 1 with the error name and the cause when the execution fails', async () => {
    // Prepare
    fake(
      { type: 'ExecutionFailed', executionFailedEventDetails: { error: 'PatchFailedError', cause: 'install failed on web-2' } },
      { status: 'FAILED', error: 'PatchFailedError', cause: 'install failed on web-2 (exit 1); web-1 and web-2 were rolled back to 1.0.0' },
    );

    // Act
    const run = await runAws(['start', 'deploy', '--env', 'canonical', '--release', '1.2.3', '--wait']);

    // Assess
    expect(run.exitCode).toBe(1);
    expect(run.out.at(-1)).toBe('[00:00:23] execution FAILED: PatchFailedError: install failed on web-2');
    expect(run.err).toEqual(['1_2_3-abc FAILED: PatchFailedError: install failed on web-2 (exit 1); web-1 and web-2 were rolled back to 1.0.0']);
  });

  it.each([
    { status: 'TIMED_OUT', line: '1_2_3-abc TIMED_OUT: States.Timeout: no cause recorded' },
    { status: 'ABORTED', line: '1_2_3-abc ABORTED: Aborted: the execution was stopped' },
  ])('exits 1 when the execution ends $status', async ({ status, line }) => {
    // Prepare
    fake({ type: status === 'ABORTED' ? 'ExecutionAborted' : 'ExecutionTimedOut' }, { status });

    // Act
    const run = await runAws(['watch', ROOT]);

    // Assess
    expect(run.exitCode).toBe(1);
    expect(run.err).toEqual([line]);
  });
});

describe('fleetflow watch and status', () => {
  it('watch follows without starting', async () => {
    // Prepare
    fake({ type: 'ExecutionSucceeded' }, { status: 'SUCCEEDED' });

    // Act
    const run = await runAws(['watch', ROOT]);

    // Assess
    expect(run.exitCode).toBe(0);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(run.out.every((line) => line.length <= MAX_LINE_CHARS)).toBe(true);
  });

  it('status prints the execution and exits 1 with its error when it failed', async () => {
    // Prepare
    sfnMock.on(DescribeExecutionCommand).resolves({
      executionArn: ROOT,
      status: 'FAILED',
      input: '{"release":"1.2.3"}',
      startDate: new Date('2026-12-07T09:00:00Z'),
      stopDate: new Date('2026-12-07T09:42:05Z'),
      error: 'AlarmFiredError',
      cause: 'checkout-5xx is in ALARM',
    });

    // Act
    const run = await runAws(['status', ROOT]);

    // Assess
    expect(run.exitCode).toBe(1);
    expect(run.out).toEqual([
      `execution  ${ROOT}`,
      'status     FAILED',
      'release    1.2.3',
      'started    2026-12-07T09:00:00.000Z',
      'stopped    2026-12-07T09:42:05.000Z',
      'duration   42m 05s',
      'error      AlarmFiredError: checkout-5xx is in ALARM',
    ]);
  });

  it('status exits 0 for a running execution, with the time so far', async () => {
    // Prepare
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: ROOT, status: 'RUNNING', input: '{"releaseFrom":"next"}', startDate: new Date('2026-12-07T08:30:00Z') });

    // Act
    const run = await runAws(['status', ROOT]);

    // Assess
    expect(run.exitCode).toBe(0);
    expect(run.out).toContain('release    (next)');
    expect(run.out).toContain('duration   1h 30m 00s');
  });

  it('asks for the region the execution ARN names, whatever region is configured', async () => {
    const elsewhere = 'arn:aws:states:ap-southeast-2:123456789012:execution:fleetflow-canonical-deploy:abc';
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: elsewhere, status: 'SUCCEEDED', input: '{"release":"1.2.3"}', startDate: new Date('2026-12-07T08:30:00Z'), stopDate: new Date('2026-12-07T08:40:00Z') });

    const status = await runAws(['status', elsewhere]);
    const start = await runAws(['approve', '--execution', elsewhere]);

    expect(status.regions).toEqual(['ap-southeast-2']);
    expect(start.regions).toEqual(['ap-southeast-2']);
  });

  it.each(['fleetflow-canonical-deploy', 'arn:aws:states:eu-west-1:123456789012:stateMachine:fleetflow-canonical-deploy'])('refuses %s as an execution ARN before any call', async (arn) => {
    // Act
    const run = await runAws(['status', arn]);

    // Assess
    expect(run.thrown?.name).toBe('InvalidInputError');
    expect(run.thrown?.message).toContain('EXECUTION_ARN must be an execution ARN');
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('says which execution waits for approval and how to answer it, whole and without the token', async () => {
    // Prepare
    const token = 'AQCEAAAAKgAAAAMAAAAAAAAAAcOk0xJ2lAx1aJcu6sq8Rl0xRkAIXNg0example';
    const long = `arn:aws:states:${REGION}:${ACCOUNT}:execution:fleetflow-a-very-long-environment-name-deploy:${'r'.repeat(80)}`;
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: long, name: 'r'.repeat(80), status: 'SUCCEEDED' });
    const events: Array<Partial<HistoryEvent>> = [
      { type: 'ExecutionStarted' },
      entered('Request Approval'),
      {
        type: 'TaskScheduled',
        taskScheduledEventDetails: { resourceType: 'sns', resource: 'publish.waitForTaskToken', region: REGION, parameters: JSON.stringify({ Message: { token } }) },
      },
      { type: 'TaskSucceeded', taskSucceededEventDetails: { resourceType: 'sns', resource: 'publish.waitForTaskToken', output: '{"approvedBy":"bob"}' } },
      { type: 'ExecutionSucceeded' },
    ];
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: events.map((e, i) => ({ ...e, id: i + 1, previousEventId: i, timestamp: at(i) }) as HistoryEvent) });

    // Act
    const run = await runAws(['watch', long]);

    // Assess
    expect(run.exitCode).toBe(0);
    expect(run.out).toEqual([
      '[00:00:00] execution started',
      '[00:00:01] validation: waiting for a person to approve',
      `[00:00:02] waiting for approval: fleetflow approve --execution ${long} (or reject)`,
      '[00:00:04] execution SUCCEEDED',
      `${'r'.repeat(80)} SUCCEEDED`,
    ]);
    expect(run.out.join('\n')).not.toContain(token);
  });
});
