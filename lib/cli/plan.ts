/**
 * `fleetflow plan --release V [--env FILE] [--component C] [--simulated [--hosts N]] [--json]`:
 * the release a deploy would run (lib/plan/plan-deploy.ts), printed for a person or as JSON.
 * Exit 0 with a plan; 1 when the workflow itself would refuse (its FleetFlow error name and message);
 * 2 for bad input or no AWS region or credentials; 3 when AWS cannot be reached (permission, network).
 */
import type { EnvironmentDefinition } from '../../lambdas/domain/environment/model';
import { isFleetFlowRefusal } from '../../lambdas/domain/contract/errors';
import { AwsConfigurationError, AwsUnreachableError, exitCodeOf, refusalOf } from './aws/errors';
import { formatPlan } from '../plan/format-plan';
import { planDeploy } from '../plan/plan-deploy';

export interface PlanCommandOptions {
  readonly environment: EnvironmentDefinition;
  readonly input: Record<string, unknown>;
  /** Hosts per tier of the simulated account; undefined plans against AWS. */
  readonly simulatedHostsPerTier?: number;
  readonly json: boolean;
}

export async function planCommand(options: PlanCommandOptions): Promise<number> {
  let report;
  try {
    report = await planDeploy({ environment: options.environment, input: options.input, simulatedHostsPerTier: options.simulatedHostsPerTier });
  } catch (err) {
    // A refusal of the workflow's own planning code (the command line was checked before): what a
    // deploy would fail with, before the lock.
    if (isFleetFlowRefusal(err)) {
      process.stderr.write(`fleetflow: a deploy would be refused: ${err.name}: ${err.message}\n`);
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
  if (options.json) {
    const { plan, estimate, releasesByTier } = report;
    const tiers = plan.tiers.map((t) => ({
      name: t.spec.name,
      hosts: t.spec.hostCount,
      releases: releasesByTier[t.spec.name] ?? {},
      minHealthy: t.spec.minHealthy,
      batches: t.batches.map((b) => ({ hosts: b.map((h) => h.name), stayInService: t.spec.hostCount - b.length })),
    }));
    const document = {
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
  return 0;
}

