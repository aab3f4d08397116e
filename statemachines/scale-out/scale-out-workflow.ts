/**
 * The scale-out workflow (`fleetflow-<env>-scale-out`): `{ "tier": "web", "add": 4 }` new
 * hosts on the tier's recorded release, ending in service.
 *
 *   Plan Scale Out -> Acquire Lock -> Notify Started -> Provision -> Unlock -> Notify Succeeded
 *   on failure: terminate what was launched, unlock, fail
 */
import { Construct } from 'constructs';
import type { FleetFlowStateMachine } from '../../lib/constructs/fleetflow-state-machine';
import { ComputeRun } from '../constructs/compute-run';
import type { LockingWorkflowProps } from '../constructs/workflow';
import { SCALE_OUT_FUNCTION_SPECS } from './functions';

export class ScaleOutWorkflow extends Construct {
  readonly definition;
  readonly stateMachine: FleetFlowStateMachine;

  constructor(scope: Construct, id: string, props: LockingWorkflowProps) {
    super(scope, id);
    const run = new ComputeRun(this, 'Run', { ...props, workflow: 'scale-out', label: 'Scale Out', planner: SCALE_OUT_FUNCTION_SPECS.planScaleOut }, (r, done) =>
      r.stage('Provision', r.provision, done, { launches: true, context: ' scaling out' }),
    );
    this.definition = run.definition;
    this.stateMachine = run.stateMachine(this, `FleetFlow: add hosts to a tier of environment ${props.environment.name}`);
  }
}
