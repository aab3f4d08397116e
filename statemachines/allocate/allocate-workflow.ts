/**
 * The allocate workflow (`fleetflow-<env>-allocate`): a fresh deployment, or the hosts a
 * partly lost environment is missing. Input `{ "tiers": { "web": 2 } }`, each tier's
 * declared `count` by default; `"release"` only when none is recorded yet.
 *
 *   Plan Allocation -> Acquire Lock -> Notify Started
 *   -> Prepare: [Create Database | Restore Database] while every tier launches (ready, verified, stored)
 *   -> Provision (every tier at once: [restore: check the data, write the connection] set up, install,
 *      into service) -> [restore: Record Database]
 *   -> Unlock -> Notify Succeeded;  on failure: terminate what was launched, unlock, fail
 */
import { Construct } from 'constructs';
import type { FleetFlowStateMachine } from '../../lib/constructs/fleetflow-state-machine';
import { ComputeRun } from '../constructs/compute-run';
import type { LockingWorkflowProps } from '../constructs/workflow';
import { ALLOCATE_FUNCTION_SPECS } from './functions';

export class AllocateWorkflow extends Construct {
  readonly definition;
  readonly stateMachine: FleetFlowStateMachine;

  constructor(scope: Construct, id: string, props: LockingWorkflowProps) {
    super(scope, id);
    const run = new ComputeRun(this, 'Run', { ...props, workflow: 'allocate', label: 'Allocate', planner: ALLOCATE_FUNCTION_SPECS.planAllocation }, (r, done) => r.allocateStages(done));
    this.definition = run.definition;
    this.stateMachine = run.stateMachine(this, `FleetFlow: allocate the hosts (and database) of environment ${props.environment.name}`);
  }
}
