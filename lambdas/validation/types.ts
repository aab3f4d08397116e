import type { PhaseState, ValidationPlan } from '../domain/contract/payloads';

export interface ValidationTaskInput {
  readonly release: string;
  readonly validation: ValidationPlan;
  /** The bake being polled; absent on the first check, which starts it. */
  readonly phase?: PhaseState;
  /**
   * After a rollback, alarms need their evaluation periods to return to OK: only the
   * state at the end of the bake counts.
   */
  readonly recovering?: boolean;
}
