/**
 * `fleetflow plan [--workflow W] [the workflow's options] [--env FILE] [--simulated [--hosts N]] [--json]`:
 * what the workflow would do (lib/plan/plan-workflow.ts; a deploy: lib/plan/plan-deploy.ts), printed for a person or as JSON.
 * Exit 0 with a plan; 1 when the workflow itself would refuse (its FleetFlow error name and message);
 * 2 for bad input or no AWS region or credentials; 3 when AWS cannot be reached (permission, network).
 */
import type { EnvironmentDefinition } from '../../lambdas/domain/environment/model';
import { isFleetFlowRefusal } from '../../lambdas/domain/contract/errors';
import { AwsConfigurationError, AwsUnreachableError, exitCodeOf, refusalOf } from './aws/errors';
import { formatPlan, formatWorkflowPlan } from '../plan/format-plan';
import type { DeployPlanReport } from '../plan/plan-deploy';
import { planWorkflow, type PlannedWorkflow } from '../plan/plan-workflow';

export interface PlanCommandOptions {
  /** @default "deploy" */
  readonly workflow?: PlannedWorkflow;
  readonly environment: EnvironmentDefinition;
  readonly input: Record<string, unknown>;
  /** Plan against the simulated account (hosts per tier: as `simulate <workflow>` seeds it, unless given); undefined plans against AWS. */
  readonly simulated?: { readonly hostsPerTier?: number };
  readonly json: boolean;
}

export async function planCommand(options: PlanCommandOptions): Promise<number> {
  const workflow = options.workflow ?? 'deploy';
  let planned;
  try {
    planned = await planWorkflow({
      workflow,
      environment: options.environment,
      input: options.input,
      ...(options.simulated ? { simulated: options.simulated } : {}),
    });
  } catch (err) {
    // A refusal of the workflow's own planning code (the command line was checked before): what the
    // workflow would fail with, before the lock.
    if (isFleetFlowRefusal(err)) {
      process.stderr.write(`fleetflow: ${workflow === 'allocate' ? 'an' : 'a'} ${workflow} would be refused: ${err.name}: ${err.message}\n`);
      return 1;
    }
    // AWS not reached (no region, credentials, permission or network): one line, as every AWS command says it.
    const refusal = refusalOf(err);
    if (refusal instanceof AwsUnreachableError || refusal instanceof AwsConfigurationError) {
      process.stderr.write(`fleetflow: ${refusal.message} (or plan with --simulated)\n`);
      return exitCodeOf(refusal);
    }
    // Any other error is a defect and is not dressed as a refusal.
    throw err;
  }
  if (planned.workflow !== 'deploy') {
    process.stdout.write(options.json ? `${JSON.stringify(planned.report, null, 2)}\n` : formatWorkflowPlan(planned.report));
    return 0;
  }
  printDeployPlan(planned.report, options.json);
  return 0;
}

function printDeployPlan(report: DeployPlanReport, json: boolean): void {
  if (json) {
    const { plan, estimate, releasesByTier } = report;
    const tiers = plan.tiers.map((t) => ({
      name: t.spec.name,
      hosts: t.spec.hostCount,
      releases: releasesByTier[t.spec.name] ?? {},
      minHealthy: t.spec.minHealthy,
      batches: t.batches.map((b) => ({ hosts: b.map((h) => h.name), stayInService: t.spec.hostCount - b.length })),
    }));
    const document = {
      workflow: 'deploy',
      environment: plan.environment,
      release: plan.release,
      component: plan.component,
      recordedRelease: plan.recordedRelease,
      upToDate: plan.upToDate,
      alreadyReleased: plan.alreadyReleased,
      database: plan.database ? { snapshot: plan.database.snapshotId, instance: plan.database.instanceIdentifier, migrationRunner: plan.database.runner.name } : null,
      validation: { bakeSeconds: plan.validation.bakeSeconds, alarms: plan.validation.alarms, approvalRequired: plan.validation.approval.required, onFailure: plan.validation.onFailure },
      tiers,
      ...estimate,
    };
    process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  } else process.stdout.write(formatPlan(report));
}

