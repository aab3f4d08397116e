import type { DatabasePlan, PhaseState } from '../domain/contract/payloads';

/** Input of every database task: the plan's database section and, for checks, the phase polled. */
export interface DatabaseTaskInput {
  readonly release: string;
  readonly execution: string;
  readonly database: DatabasePlan;
  readonly phase?: PhaseState;
}
