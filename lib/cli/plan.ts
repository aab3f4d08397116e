/**
 * `fleetflow plan --release V [--env FILE] [--component C] [--simulated [--hosts N]] [--json]`:
 * the release a deploy would run (lib/plan/plan-deploy.ts), printed for a person or as JSON.
 * Exit 0 with a plan; 1 when the workflow itself would refuse (its FleetFlow error name and message);
 * 2 for bad input; 3 when AWS cannot be reached (no region or credentials).
 */
import type { EnvironmentDefinition } from '../../lambdas/domain/environment/model';
import { isFleetFlowRefusal } from '../../lambdas/domain/contract/errors';
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
    const { name, message } = err as Error;
    if (unreachable(err)) {
      process.stderr.write(`fleetflow: cannot reach AWS: ${name}: ${message.split('\n')[0]} (set AWS_REGION and credentials, or plan with --simulated)\n`);
      return 3;
    }
    // A refusal of the workflow's own planning code (the command line was checked before): what a
    // deploy would fail with, before the lock. Any other error is a defect and is not dressed as one.
    if (isFleetFlowRefusal(err)) {
      process.stderr.write(`fleetflow: a deploy would be refused: ${name}: ${message}\n`);
      return 1;
    }
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

/** No region, no or bad credentials, no permission, or no connection: the plan never reached the account. */
const UNREACHABLE_NAMES = new Set(['CredentialsProviderError', 'AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation', 'UnrecognizedClientException', 'InvalidClientTokenId', 'ExpiredTokenException', 'ExpiredToken', 'TimeoutError']);
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN']);

function unreachable(err: unknown): boolean {
  const { name, message, code } = err as { name?: string; message?: string; code?: string };
  return UNREACHABLE_NAMES.has(name ?? '') || UNREACHABLE_CODES.has(code ?? '') || /Region is missing/i.test(message ?? '');
}
