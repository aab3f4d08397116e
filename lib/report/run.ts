/**
 * What the page is drawn from: a simulation's report (lib/simulator/simulate.ts'
 * SimulationReport has every field), or an execution read from AWS's histories
 * (lib/cli/aws/run-report.ts), which lacks the figures only the simulator measures: those
 * are left out of the page, and `omitted` says which and why, rather than any being invented.
 */
import type { Timeline } from '../simulator/timeline';

export interface RunReport {
  /** Where the run was: a simulation (virtual time) or an execution on AWS (wall-clock time). */
  readonly source?: 'simulation' | 'aws';
  readonly workflow: string;
  /** SUCCEEDED, FAILED, ABORTED; on AWS also RUNNING or TIMED_OUT. */
  readonly status: string;
  readonly error?: string;
  readonly cause?: string;
  readonly environment: string;
  readonly release?: string;
  readonly executionName: string;
  /** Seconds from the start to the end (or, for a running execution, to now). */
  readonly makespanSeconds: number;
  /** The plan's lower bound (the simulator's model); absent when not known. */
  readonly lowerBoundSeconds?: number;
  /** State transitions of the run; absent when not counted. */
  readonly stateTransitions?: number;
  readonly rolledBack: boolean;
  readonly recoveryPointTime?: string;
  readonly recoveryTimeSeconds?: number;
  readonly timeline: Timeline;
  /**
   * A simulated `restart:SECONDS` (simulate.ts' RestartReport): applied, the execution was stopped and
   * started again, and the timeline holds both, on the first start's clock (wholeRunTimeline).
   */
  readonly restart?: { readonly applied: boolean; readonly stopAfterSeconds: number; readonly stoppedExecution?: string; readonly startedAgainAtSeconds?: number };
  /** Figures left out of the page, each a sentence saying which and why. */
  readonly omitted?: readonly string[];
}
