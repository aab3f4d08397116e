/**
 * The allocate workflow (`fleetflow-<env>-allocate`): a fresh deployment, or the hosts a
 * partly lost environment is missing. Input `{ "tiers": { "web": 2 } }`, each tier's
 * declared `count` by default; `"release"` only when none is recorded yet.
 *
 *   Plan Allocation -> Acquire Lock -> Notify Started -> [Create Database]
 *   -> Provision (every tier at once: launch, ready, verify, set up, install, into service)
 *   -> Unlock -> Notify Succeeded;  on failure: terminate what was launched, unlock, fail
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ComputeRun, type ComputeRunProps } from '../constructs/compute-run';

export class AllocateWorkflow extends Construct {
  readonly definition;

  constructor(scope: Construct, id: string, props: Omit<ComputeRunProps, 'workflow' | 'planner'> & { planAllocation: lambda.IFunction }) {
    super(scope, id);
    const run = new ComputeRun(this, 'Run', { ...props, workflow: 'Allocate', planner: props.planAllocation }, (r, done) =>
      r.stage('Provision', r.provision, done, { launches: true, context: ' allocating the environment' }),
    );
    this.definition = run.definition;
  }
}
