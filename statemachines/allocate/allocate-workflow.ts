/**
 * The allocate workflow (`fleetflow-<env>-allocate`): a fresh deployment, or the hosts a
 * partly lost environment is missing. Input `{ "tiers": { "web": 2 } }`, each tier's
 * declared `count` by default; `"release"` only when none is recorded yet.
 *
 *   Plan Allocation -> Acquire Lock -> Notify Started -> [Create Database]
 *   -> Provision (every tier at once: launch, ready, verify, set up, install, into service)
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
    const run = new ComputeRun(this, 'Run', { ...props, workflow: 'allocate', label: 'Allocate', planner: ALLOCATE_FUNCTION_SPECS.planAllocation }, (r, done) =>
      r.stage('Provision', r.provision, done, { launches: true, context: ' allocating the environment' }),
    );
    this.definition = run.definition;
    this.stateMachine = run.stateMachine(this, `FleetFlow: allocate the hosts (and database) of environment ${props.environment.name}`);
  }
}
