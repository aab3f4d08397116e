/**
 * `watch`, `start --wait` and `status --report` read AWS's execution histories and print and
 * draw what `simulate` does for the same run.
 *
 * The run is a recorded one: `simulate deploy --fault patch-fail:web-2` on the canonical
 * environment, its parent's events and those of web's rollout child (install fails on web-2,
 * the batch is rolled back, then the release), in the order the simulator logged them, with
 * each payload cut to what the progress lines and the timeline read (checked equal when it was
 * recorded: fixtures/patch-fail-web-2.json). aws-history.ts writes those events as Step
 * Functions writes a history; a fake GetExecutionHistory serves them a few at a time as the
 * run goes on. The lines printed must be the ones progress.ts gives the simulator's own
 * events, in the simulator's order, each once.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ExecutionReader, PAGE_SIZE } from '../../../lib/cli/aws/follow';
import { HistoryMapper, MAX_OPEN_STATES } from '../../../lib/cli/aws/history-events';
import { OMITTED_FROM_HISTORY, reportFromHistory } from '../../../lib/cli/aws/run-report';
import { describeEvent, type ExecutionEvent } from '../../../lib/simulator/progress';
import { buildTimeline } from '../../../lib/simulator/timeline';
import { escapeHtml } from '../../../lib/report/escape';
import { toAwsHistory } from './aws-history';
import { fakeContext, runAws } from './harness';

const sfnMock = mockClient(SFNClient);
const dir = mkdtempSync(join(tmpdir(), 'fleetflow-follow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Recorded {
  readonly childArn: string;
  readonly merged: Array<{ exec: 'root' | 'child'; event: ExecutionEvent }>;
}
const recorded = JSON.parse(readFileSync(new URL('./fixtures/patch-fail-web-2.json', import.meta.url), 'utf8')) as Recorded;
const ROOT = 'arn:aws:states:us-east-1:123456789012:execution:fleetflow-canonical-deploy:sim-1';
const CHILD = recorded.childArn;
const rootEvents = recorded.merged.filter((m) => m.exec === 'root').map((m) => m.event);
const childEvents = recorded.merged.filter((m) => m.exec === 'child').map((m) => m.event);
const start = rootEvents[0]!.timestamp;
const end = rootEvents.at(-1)!.timestamp;
const failed = rootEvents.at(-1)!;

/** The lines the simulator printed: progress.ts over its events in its order, a child's own start and end left out. */
const simulated = recorded.merged
  .filter((m) => !(m.exec === 'child' && m.event.type.startsWith('Execution')))
  .map((m) => describeEvent(m.event, start))
  .filter((line): line is string => line !== undefined);

/** web's segment is the child the parent's Roll Out Segment task started (its middle segment is not in the recording). */
const histories = new Map<string, HistoryEvent[]>([
  [ROOT, toAwsHistory(rootEvents, { childOf: (e) => (e.state?.name === 'Roll Out Segment' && (e.state.input as { tier?: { name?: string } }).tier?.name === 'web' ? CHILD : undefined) })],
  [CHILD, toAwsHistory(childEvents)],
]);

/**
 * The fake: each DescribeExecution of the root is a later moment of the run (`looks` instants,
 * evenly spread), and each history shows what happened up to it, `page` events a page at most
 * (AWS may return fewer than maxResults).
 */
/** Each GetExecutionHistory asked, as it was asked (the SDK's paginator reuses its input object). */
let asked: GetExecutionHistoryCommandInput[] = [];

function fake({ looks = 6, page = 7 }: { looks?: number; page?: number } = {}): void {
  let look = 0;
  const until = () => start + ((end - start) * look) / looks;
  sfnMock.on(DescribeExecutionCommand).callsFake(({ executionArn }: { executionArn: string }) => {
    look = Math.min(look + 1, looks);
    const closed = look === looks;
    return {
      executionArn,
      name: 'sim-1',
      status: closed ? 'FAILED' : 'RUNNING',
      input: '{"release":"1.1.0"}',
      startDate: new Date(start),
      ...(closed ? { stopDate: new Date(end), error: failed.Error, cause: String(failed.Cause) } : {}),
    };
  });
  sfnMock.on(GetExecutionHistoryCommand).callsFake((input: GetExecutionHistoryCommandInput) => {
    asked.push({ ...input });
    const shown = histories.get(input.executionArn!)!.filter((e) => e.timestamp!.getTime() <= until());
    const ordered = input.reverseOrder ? [...shown].reverse() : shown;
    const offset = Number(input.nextToken ?? 0);
    const size = Math.min(input.maxResults ?? 100, page);
    return { events: ordered.slice(offset, offset + size), ...(offset + size < ordered.length ? { nextToken: String(offset + size) } : {}) };
  });
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: ROOT, startDate: new Date(start) });
}

beforeEach(() => {
  sfnMock.reset();
  asked = [];
});

describe('the recorded run, read from AWS histories', () => {
  it('is a run worth reading: a failure, the batch rolled back, then the release', () => {
    expect(simulated).toContain('[00:07:47] web batch 2/2: installing 1.1.0 on web-2');
    expect(simulated).toContain('[00:08:42] web batch 2/2: rollback: reinstalling 1.0.0 on web-2');
    expect(simulated).toContain('[00:09:57] ROLLING BACK the release after PatchFailedError');
    expect(simulated.at(-1)).toMatch(/^\[00:19:46\] execution FAILED: PatchFailedError: tier web: install failed on web-2/);
  });

  it.each([
    ['watch', ['watch', ROOT]],
    ['start --wait', ['start', 'deploy', '--env', 'canonical', '--release', '1.1.0', '--wait']],
  ])('%s prints the lines simulate printed, in its order, each once, and exits 1 with the error and cause', async (_name, argv) => {
    // Prepare
    fake();

    // Act
    const run = await runAws(argv);

    // Assess
    expect(run.exitCode).toBe(1);
    expect(run.out.filter((line) => !line.startsWith('started '))).toEqual(simulated);
    expect(run.err).toEqual([`sim-1 FAILED: PatchFailedError: ${String(failed.Cause)}`]);
    // It looked while the run went on, and read the child it found in the parent's history.
    expect(run.sleeps).toBe(5);
    expect(sfnMock).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { executionArn: CHILD });
    // Paged (the fake gives 7 events a page): forward at first, then newest first; pages asked at the API's maximum.
    expect(asked.some((input) => input.nextToken !== undefined && !input.reverseOrder)).toBe(true);
    expect(asked.some((input) => input.nextToken !== undefined && input.reverseOrder)).toBe(true);
    expect(asked.every((input) => input.maxResults === PAGE_SIZE && input.includeExecutionData === true)).toBe(true);
  });

  it('prints the same lines however the run is cut into looks', async () => {
    fake({ looks: 1, page: 1000 });

    const run = await runAws(['watch', ROOT]);

    expect(run.out).toEqual(simulated);
    expect(run.sleeps).toBe(0);
  });
});

describe('--report from the histories', () => {
  it('watch --report draws the failed host\'s row, its rollback and the steps, and says what it cannot know', async () => {
    // Prepare
    fake();
    const file = join(dir, 'watch.html');

    // Act
    const run = await runAws(['watch', ROOT, '--report', file]);

    // Assess
    expect(run.exitCode).toBe(1);
    expect(run.out.at(-1)).toBe(`report written to ${file}`);
    const page = readFileSync(file, 'utf8');
    // The failed batch's row, marked failed, named by its host.
    expect(page).toMatch(/<g class="gantt-row forward failed" data-label="web batch 2\/2: web-2" data-hosts="web-2"/);
    expect(page).toContain('web batch 2/2 install (web-2) 00:07:47-00:08:32 FAILED PatchFailedError: tier web: install failed on web-2');
    // Its own rollback on the same row, as a rollback.
    expect(page).toContain('web rollback 2/2 reinstall (web-2) 00:08:42-');
    expect(page).toMatch(/<td class="name">plan rollback<\/td>/);
    expect(page).toContain('FleetFlow release 1.1.0 on canonical: FAILED');
    // What the history does not hold is not drawn, and the page says so.
    expect(page).not.toContain('class="tier-capacity"');
    for (const sentence of OMITTED_FROM_HISTORY) expect(page).toContain(escapeHtml(sentence));
    expect(page).not.toMatch(/state transitions|virtual time/);
  });

  it('status --report writes the same page for the closed execution, from one read', async () => {
    fake();
    const watched = join(dir, 'watched.html');
    const status = join(dir, 'status.html');
    await runAws(['watch', ROOT, '--report', watched]);
    sfnMock.reset();
    fake({ looks: 1 });

    const run = await runAws(['status', ROOT, '--report', status]);

    expect(run.exitCode).toBe(1);
    expect(run.out).toContain(`report written to ${status}`);
    expect(readFileSync(status, 'utf8')).toBe(readFileSync(watched, 'utf8'));
  });

  it('status --report draws a running execution as it stands, up to now', async () => {
    fake({ looks: 6 });
    const file = join(dir, 'running.html');

    const run = await runAws(['status', ROOT, '--report', file]);

    expect(run.exitCode).toBe(0);
    const page = readFileSync(file, 'utf8');
    expect(page).toContain('<h1 class="outcome running">FleetFlow release 1.1.0 on canonical: RUNNING</h1>');
    // Read at the second look (a third of the run, 00:06:35): web's first batch had begun, its second had not.
    expect(page).toContain('<td class="name">roll out</td>');
    expect(page).toContain('data-label="web batch 1/2: web-1"');
    expect(page).not.toContain('web batch 2/2');
  });

  it('builds the timeline the simulator builds from its own events', async () => {
    // Prepare
    fake({ looks: 1 });
    const { context } = fakeContext();
    const reader = new ExecutionReader(context, ROOT, true);
    const execution = await context.sfn.send(new DescribeExecutionCommand({ executionArn: ROOT }));

    // Act
    await reader.look();
    const report = reportFromHistory(execution, reader.run(execution.startDate), context.now());

    // Assess
    const simulatedTimeline = buildTimeline({ events: rootEvents, childEvents: [childEvents], start, inService: new Map(), floors: {}, nameOf: () => undefined });
    expect(report.timeline).toEqual(simulatedTimeline);
    expect(report.timeline.phases.filter((p) => p.failure).map((p) => `${p.tier} ${p.batch} ${p.phase} ${p.failure!.error}`)).toEqual(['web 2 install PatchFailedError']);
    expect(report.makespanSeconds).toBe((end - start) / 1000);
    expect(report.rolledBack).toBe(true);
  });

  it('refuses a report file it could not write, before any call', async () => {
    const run = await runAws(['watch', ROOT, '--report', join(dir, 'missing', 'run.html')]);

    expect(run.thrown?.name).toBe('InvalidInputError');
    expect(run.thrown?.message).toMatch(/^--report ".*run\.html": the directory ".*missing" does not exist$/);
    expect(sfnMock.calls()).toHaveLength(0);
  });
});

describe('nested executions', () => {
  it('follows recover\'s deploy and its rollout child, and names the deploy as the execution to approve', async () => {
    // Prepare: recover starts a deploy (startExecution.sync:2), which starts a rollout segment, then waits for approval.
    const RECOVER = 'arn:aws:states:us-east-1:123456789012:execution:fleetflow-canonical-recover:r1';
    const DEPLOY = 'arn:aws:states:us-east-1:123456789012:execution:fleetflow-canonical-deploy:r1-release';
    const ROLLOUT = 'arn:aws:states:us-east-1:123456789012:execution:fleetflow-canonical-rollout:r1-web-0';
    const s = (seconds: number) => start + seconds * 1000;
    const batch = { release: '1.2.0', tier: { name: 'web' }, keyPrefix: 'canonical#r1#release#web', batch: { index: 0, count: 2, hosts: [{ id: 'i-1', name: 'web-1' }] } };
    const task = (name: string, input: unknown, from: number, to: number): ExecutionEvent[] => [
      { type: 'StateEntered', timestamp: s(from), state: { name, type: 'Task', input } },
      { type: 'StateExited', timestamp: s(to), state: { name, type: 'Task', input, output: input } },
    ];
    const recover: ExecutionEvent[] = [{ type: 'ExecutionStarted', timestamp: s(0) }, ...task('Release Recorded Release', { plan: { release: '1.2.0' } }, 1, 50), { type: 'ExecutionSucceeded', timestamp: s(51) }];
    const deploy: ExecutionEvent[] = [
      { type: 'ExecutionStarted', timestamp: s(2) },
      ...task('Roll Out Segment', { tier: { name: 'web' } }, 3, 20),
      ...task('Request Approval', { plan: { release: '1.2.0' } }, 21, 40),
      { type: 'ExecutionSucceeded', timestamp: s(45) },
    ];
    const rollout: ExecutionEvent[] = [
      { type: 'ExecutionStarted', timestamp: s(3) },
      { type: 'StateEntered', timestamp: s(4), state: { name: 'Take Batch Out', type: 'Task', input: batch } },
      { type: 'StateEntered', timestamp: s(5), state: { name: 'Install Release', type: 'Task', input: batch } },
      { type: 'ExecutionSucceeded', timestamp: s(19) },
    ];
    const nested = new Map<string, HistoryEvent[]>([
      [RECOVER, toAwsHistory(recover, { childOf: (e) => (e.state?.name === 'Release Recorded Release' ? DEPLOY : undefined) })],
      [DEPLOY, toAwsHistory(deploy, { childOf: (e) => (e.state?.name === 'Roll Out Segment' ? ROLLOUT : undefined), resourceOf: (e) => (e.state?.name === 'Request Approval' ? { resourceType: 'sns', resource: 'publish.waitForTaskToken' } : undefined) })],
      [ROLLOUT, toAwsHistory(rollout)],
    ]);
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: RECOVER, name: 'r1', status: 'SUCCEEDED', startDate: new Date(s(0)), stopDate: new Date(s(51)) });
    sfnMock.on(GetExecutionHistoryCommand).callsFake((input: GetExecutionHistoryCommandInput) => ({ events: nested.get(input.executionArn!)! }));

    // Act
    const run = await runAws(['watch', RECOVER]);

    // Assess: progress.ts's lines for the three executions' events, in time order, the children's own start and end left out.
    const described = [...recover, ...deploy.filter((e) => !e.type.startsWith('Execution')), ...rollout.filter((e) => !e.type.startsWith('Execution'))]
      .sort((a, b) => a.timestamp - b.timestamp)
      .map((e) => describeEvent(e, start))
      .filter((line) => line !== undefined);
    expect(described).toContain('[00:00:04] web batch 1/2: taking web-1 out of traffic');
    expect(described).toContain('[00:00:21] validation: waiting for a person to approve');
    expect(run.out).toEqual([
      ...described.slice(0, -1),
      `[00:00:21] waiting for approval: fleetflow approve --execution ${DEPLOY} (or reject)`,
      described.at(-1),
      'r1 SUCCEEDED',
    ]);
    expect(run.exitCode).toBe(0);
  });
});

/** A batch polled until its install is done: 9 history events a poll (Choice, Wait, and a Task's five). */
function pollingRun(polls: number): ExecutionEvent[] {
  const input = { tier: { name: 'web' }, release: '1.1.0', keyPrefix: 'canonical#r#release#web', batch: { index: 0, count: 2, hosts: [{ id: 'i-1', name: 'web-1' }] } };
  const events: ExecutionEvent[] = [{ type: 'ExecutionStarted', timestamp: start }];
  for (let i = 0; i < polls; i++) {
    const at = start + i * 10_000;
    events.push(
      { type: 'StateEntered', timestamp: at, state: { name: 'Install Done?', type: 'Choice', input } },
      { type: 'StateExited', timestamp: at, state: { name: 'Install Done?', type: 'Choice', input, output: input } },
      { type: 'StateEntered', timestamp: at, state: { name: 'Wait For Install', type: 'Wait', input } },
      { type: 'StateExited', timestamp: at + 5_000, state: { name: 'Wait For Install', type: 'Wait', input, output: input } },
      { type: 'StateEntered', timestamp: at + 5_000, state: { name: 'Check Install', type: 'Task', input } },
      { type: 'StateExited', timestamp: at + 6_000, state: { name: 'Check Install', type: 'Task', input, output: { ...input, install: { done: i === polls - 1 } } } },
    );
  }
  events.push({ type: 'ExecutionSucceeded', timestamp: start + polls * 10_000, output: {} });
  return events;
}

describe('long histories', () => {
  it('reads 2,800 events in pages of 1,000 at first, then only what is new, printing each line once', async () => {
    // Prepare: 311 polls are 2,801 events; the first look sees all but the last poll and the end.
    const events = pollingRun(311);
    const history = toAwsHistory(events);
    let look = 0;
    sfnMock.on(DescribeExecutionCommand).callsFake(() => {
      look += 1;
      return { executionArn: ROOT, name: 'sim-1', status: look === 1 ? 'RUNNING' : 'SUCCEEDED', startDate: new Date(start) };
    });
    sfnMock.on(GetExecutionHistoryCommand).callsFake((input: GetExecutionHistoryCommandInput) => {
      asked.push({ ...input });
      const shown = look === 1 ? history.slice(0, history.length - 10) : history;
      const ordered = input.reverseOrder ? [...shown].reverse() : shown;
      const offset = Number(input.nextToken ?? 0);
      return { events: ordered.slice(offset, offset + input.maxResults!), ...(offset + input.maxResults! < ordered.length ? { nextToken: String(offset + input.maxResults!) } : {}) };
    });

    // Act
    const run = await runAws(['watch', ROOT]);

    // Assess
    expect(history).toHaveLength(2_801);
    expect(run.exitCode).toBe(0);
    expect(run.out).toEqual([
      ...events.map((e) => describeEvent(e, start)).filter((line) => line !== undefined),
      'sim-1 SUCCEEDED',
    ]);
    expect(run.out.filter((line) => line.includes('installed on web-1'))).toHaveLength(1);
    // The first look: three forward pages; the second: one page, newest first, stopping at what was read.
    expect(asked.map((input) => [input.reverseOrder ?? false, input.nextToken])).toEqual([
      [false, undefined],
      [false, '1000'],
      [false, '2000'],
      [true, undefined],
    ]);
  });

  it('keeps only the open states: a poll loop of 2,800 events holds at most one', () => {
    const mapper = new HistoryMapper();
    let most = 0;
    for (const event of toAwsHistory(pollingRun(311))) {
      mapper.map(event);
      most = Math.max(most, mapper.openStates);
    }
    expect(most).toBe(1);
    expect(mapper.openStates).toBe(0);
  });

  it('forgets each state when it exits, a Map or Parallel too (whose end points into its branches)', () => {
    for (const [arn, events] of [
      [ROOT, rootEvents],
      [CHILD, childEvents],
    ] as const) {
      const mapper = new HistoryMapper();
      for (const event of histories.get(arn)!) mapper.map(event);
      // What the engine entered and never exited (a Fail state, a Map whose failure was not caught).
      const count = (type: string) => events.filter((e) => e.type === type).length;
      expect(mapper.openStates).toBe(count('StateEntered') - count('StateExited'));
    }
  });

  it('drops the oldest past MAX_OPEN_STATES states that never exit', () => {
    const mapper = new HistoryMapper();
    for (let id = 1; id <= MAX_OPEN_STATES + 10; id++) {
      mapper.map({ id, previousEventId: id - 1, type: 'TaskStateEntered', timestamp: new Date(start), stateEnteredEventDetails: { name: `Task ${id}`, input: '{}' } });
    }
    expect(mapper.openStates).toBe(MAX_OPEN_STATES);
  });
});

describe('HistoryMapper', () => {
  const input = { tier: { name: 'web' }, batch: { index: 0, count: 1, hosts: [{ name: 'web-1' }] } };
  const at = (s: number) => new Date(start + s * 1000);
  const task = { resourceType: 'lambda', resource: 'invoke' };

  it('reads a task retried after a transient error as the engine logs it: failed, retried (attempt 1), exited with its input', () => {
    // Prepare: Step Functions writes no "retried" event; the task is scheduled again.
    const history: HistoryEvent[] = [
      { id: 1, previousEventId: 0, timestamp: at(0), type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Check Drain', input: JSON.stringify(input) } },
      { id: 2, previousEventId: 1, timestamp: at(0), type: 'TaskScheduled', taskScheduledEventDetails: { ...task, region: 'eu-west-1', parameters: '{}' } },
      { id: 3, previousEventId: 2, timestamp: at(0), type: 'TaskStarted', taskStartedEventDetails: task },
      { id: 4, previousEventId: 3, timestamp: at(1), type: 'TaskFailed', taskFailedEventDetails: { ...task, error: 'Lambda.TooManyRequestsException', cause: 'Rate exceeded' } },
      { id: 5, previousEventId: 4, timestamp: at(3), type: 'TaskScheduled', taskScheduledEventDetails: { ...task, region: 'eu-west-1', parameters: '{}' } },
      { id: 6, previousEventId: 5, timestamp: at(3), type: 'TaskStarted', taskStartedEventDetails: task },
      { id: 7, previousEventId: 6, timestamp: at(4), type: 'TaskSucceeded', taskSucceededEventDetails: { ...task, output: '{}' } },
      { id: 8, previousEventId: 7, timestamp: at(4), type: 'TaskStateExited', stateExitedEventDetails: { name: 'Check Drain', output: JSON.stringify({ ...input, drain: { done: true } }) } },
    ];
    const mapper = new HistoryMapper();

    // Act
    const mapped = history.flatMap((event) => mapper.map(event));

    // Assess
    const state = { name: 'Check Drain', type: 'Task', input };
    expect(mapped).toEqual([
      { type: 'StateEntered', timestamp: start, state },
      { type: 'StateFailed', timestamp: start + 1000, state, Error: 'Lambda.TooManyRequestsException', Cause: 'Rate exceeded' },
      { type: 'StateRetried', timestamp: start + 3000, state, retry: { attempt: 1 } },
      { type: 'StateExited', timestamp: start + 4000, state: { ...state, output: { ...input, drain: { done: true } } } },
    ]);
    expect(mapped.map((e) => describeEvent(e, start)).filter(Boolean)).toEqual([
      '[00:00:03] Check Drain: retrying after a transient error (attempt 2)',
      '[00:00:04] web batch 1/1: web-1 drained',
    ]);
  });
});
