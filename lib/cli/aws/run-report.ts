/**
 * `watch EXECUTION --report FILE` and `status EXECUTION --report FILE`: the page `simulate
 * --report` writes (lib/report), built from the execution's and its children's histories
 * through the simulator's own timeline builder (lib/simulator/timeline.ts), fed the mapped
 * events (history-events.ts).
 *
 * What the simulator measures and a history does not hold is left out and the page says so:
 * the hosts in service per tier over time (the simulator counts them in its account; AWS
 * records no such figure in an execution history), the plan's lower bound and the state
 * transitions (the simulator's model and count), and recover's recovery time.
 */
import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { writeRunReport, type RunReport } from '../../report/index';
import { buildTimeline } from '../../simulator/timeline';
import type { ReadRun } from './follow';
import { releaseOf } from './history';
import { AWS_WORKFLOWS } from './names';

/** The sentences the page shows for what it leaves out. */
export const OMITTED_FROM_HISTORY = [
  'Hosts in service per tier are not drawn: an execution history does not record them (the simulator counts them in its account).',
  'No lower bound and no state-transition count: those are the simulator\'s model and count, not in the history.',
] as const;

/** The report of an execution read from AWS; `now` ends a running one. */
export function reportFromHistory(execution: DescribeExecutionCommandOutput, run: ReadRun, now: Date): RunReport {
  const arn = execution.executionArn ?? '';
  const { environment, workflow } = namesOf(arn.split(':')[6] ?? '');
  const end = (execution.stopDate ?? now).getTime();
  const release = releaseOf(execution.input);
  return {
    source: 'aws',
    workflow,
    status: execution.status ?? 'UNKNOWN',
    ...(execution.error === undefined ? {} : { error: execution.error }),
    ...(execution.cause === undefined ? {} : { cause: execution.cause }),
    environment,
    ...(release === '-' ? {} : { release }),
    executionName: execution.name ?? arn.split(':').at(-1) ?? arn,
    makespanSeconds: Math.max(0, (end - run.startedAt) / 1000),
    // As the simulator reads it (simulate.ts): the release's own rollback ran to its description.
    rolledBack: run.events.some((e) => e.type === 'StateEntered' && e.state?.name === 'Describe Rollback'),
    timeline: buildTimeline({ events: run.events, childEvents: run.childEvents, start: run.startedAt, inService: new Map(), floors: {}, nameOf: () => undefined }),
    omitted: workflow === 'recover' || workflow === 'restore-data' ? [...OMITTED_FROM_HISTORY, 'The recovery time and recovery point are the simulator\'s figures; the steps below are measured from the history.'] : OMITTED_FROM_HISTORY,
  };
}

/** Writes the page of an execution read from AWS to `file`. */
export function writeHistoryReport(file: string, execution: DescribeExecutionCommandOutput, run: ReadRun, now: Date): void {
  writeRunReport(reportFromHistory(execution, run, now), file);
}

/** `fleetflow-canonical-restore-data` → canonical, restore-data (the state machine names of lib/cli/aws/names.ts). */
function namesOf(stateMachine: string): { environment: string; workflow: string } {
  for (const workflow of [...AWS_WORKFLOWS, 'rollout']) {
    const suffix = `-${workflow}`;
    if (stateMachine.startsWith('fleetflow-') && stateMachine.endsWith(suffix) && stateMachine.length > 'fleetflow-'.length + suffix.length) {
      return { environment: stateMachine.slice('fleetflow-'.length, -suffix.length), workflow };
    }
  }
  return { environment: stateMachine, workflow: 'execution' };
}
