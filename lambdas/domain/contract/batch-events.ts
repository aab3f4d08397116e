/**
 * The per-batch progress event (lambdas/shared/batch-events.ts puts it): its source, detail type
 * and detail, for the handlers, the stack (the bus's environment variable) and the simulator.
 */

/** The events' source: not the notifications' `fleetflow`, so the rule that mails those to the topic never matches these. */
export const BATCH_EVENT_SOURCE = 'fleetflow.batch';
export const BATCH_EVENT_DETAIL_TYPE = 'FleetFlow Batch Progress';
/** The function's environment variable naming the bus (set by lib/fleetflow.ts; short, like PLAN_TABLE: template bytes); without it no event is put. */
export const EVENT_BUS_ENV = 'EVENT_BUS';
/**
 * - `out-of-traffic`: the batch was deregistered (or drained by command); draining has begun.
 * - `installed`: every host of the batch runs the release (a rollback's: its previous one).
 * - `returned`: the batch is back in service and healthy.
 * - `reverted`: the same after a rollback, on the previous release.
 */
export type BatchPhase = 'out-of-traffic' | 'installed' | 'returned' | 'reverted';

/** The event's detail: counts and at most MAX_NAMED_HOSTS names, whatever the size of the fleet. */
export interface BatchProgressDetail {
  readonly environment: string;
  /** The name of the execution that planned the batch (deploy, allocate, ...); its rollout children carry it. */
  readonly execution: string;
  readonly release: string;
  readonly tier: string;
  /** 1-based, as people count: batch 3 of 10. */
  readonly batch: number;
  readonly batchCount: number;
  readonly rollback: boolean;
  readonly phase: BatchPhase;
  readonly hostsMoved: { readonly count: number; readonly names: readonly string[] };
  /**
   * Hosts of the tier in service when the event was put, by the tier's target groups (the
   * fewest healthy of any group); null where nothing counted them (a tier without target group,
   * or the `installed` phase, which changes nothing in service).
   */
  readonly inService: number | null;
  /** The tier's minimum healthy hosts. */
  readonly floor: number;
  /** The same for every copy of this phase of this batch: `execution/tier/rollback?/batch/phase`. */
  readonly key: string;
}

