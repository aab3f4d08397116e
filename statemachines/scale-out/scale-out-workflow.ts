/**
 * The scale-out workflow (`fleetflow-<env>-scale-out`): `{ "tier": "web", "add": 4 }` new
 * hosts on the tier's recorded release, ending in service.
 *
 *   Plan Scale Out -> Acquire Lock -> Notify Started -> Provision -> Unlock -> Notify Succeeded
 *   on failure: terminate what was launched, unlock, fail
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ComputeRun, type ComputeRunProps } from '../constructs/compute-run';

export class ScaleOutWorkflow extends Construct {
  readonly definition;

  constructor(scope: Construct, id: string, props: Omit<ComputeRunProps, 'workflow' | 'planner'> & { planScaleOut: lambda.IFunction }) {
    super(scope, id);
    const run = new ComputeRun(this, 'Run', { ...props, workflow: 'Scale Out', planner: props.planScaleOut }, (r, done) =>
      r.stage('Provision', r.provision, done, { launches: true, context: ' scaling out' }),
    );
    this.definition = run.definition;
  }
}
