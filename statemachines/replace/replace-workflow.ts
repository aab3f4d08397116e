/**
 * The replace workflow (`fleetflow-<env>-replace`), compute restore: hosts by name or ID,
 * or "unhealthy", each replaced without downtime.
 *
 *   Plan Replacement -> Acquire Lock -> Notify Started
 *   -> Provision (a replacement per host, same tier and subnet, set up, on the recorded
 *      release, in service and healthy)       on failure: terminate the replacements, fail
 *   -> Retire Replaced (rollout mode "retire": capacity kept, out of traffic, drained,
 *      stopped or terminated by the tier's policy, tagged why)   on failure: keep everything, fail
 *   -> Unlock -> Notify Succeeded
 *
 * `"mode": "disaster-recovery"` retires first, everything at once (the service may be down),
 * then provisions.
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { WORKFLOW_TIMEOUT, type FleetFlowStateMachine } from '../../lib/constructs/fleetflow-state-machine';
import { ComputeRun } from '../constructs/compute-run';
import { rollTiers } from '../constructs/roll-tiers';
import type { LockingWorkflowProps } from '../constructs/workflow';
import { REPLACE_FUNCTION_SPECS } from './functions';

export class ReplaceWorkflow extends Construct {
  readonly definition;
  readonly stateMachine: FleetFlowStateMachine;

  constructor(scope: Construct, id: string, props: LockingWorkflowProps) {
    super(scope, id);
    // The stored tiers say mode "retire" and why (Plan Replacement).
    const retire = (prefix: string) => rollTiers(this, { prefix, planPath: '$.plan.retire', rollout: props.rollout, checkAlarms: false, timeout: WORKFLOW_TIMEOUT });
    const run = new ComputeRun(this, 'Run', { ...props, workflow: 'replace', label: 'Replace', planner: REPLACE_FUNCTION_SPECS.planReplacement }, (r, done) => {
      // Standard: replacements in service first, then the old hosts leave.
      const retireAfter = r.stage('Retire Replaced', retire('Retire '), done, {
        launches: false,
        context: ' retiring the replaced hosts (their replacements are in service)',
      });
      const retireNow = new sfn.Choice(this, 'Old Hosts Still In Place?')
        .when(sfn.Condition.booleanEquals('$.plan.retire.first', true), done)
        .otherwise(retireAfter);
      const provision = r.stage('Provision', r.provision, retireNow, { launches: true, context: ' launching replacements' });
      // Disaster recovery: the old hosts are lost anyway; they go first, all at once, then everything is rebuilt.
      const retireFirst = r.stage('Retire Lost', retire('Retire Lost '), provision, {
        launches: false,
        context: ' retiring the lost hosts; no replacement was launched',
      });
      return new sfn.Choice(this, 'Disaster Recovery?').when(sfn.Condition.booleanEquals('$.plan.retire.first', true), retireFirst).otherwise(provision);
    });
    this.definition = run.definition;
    this.stateMachine = run.stateMachine(this, `FleetFlow: replace hosts of environment ${props.environment.name} without downtime`);
  }
}
