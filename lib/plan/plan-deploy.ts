/**
 * `fleetflow plan`: the release a deploy would run, worked out by the workflow's own
 * planning code (Plan Release, lambdas/deploy/plan-release.ts) against a real account with
 * the standard credentials, or against the simulated one, without starting anything. It
 * refuses exactly what the workflow would refuse, with the same message, because it is the
 * same code. Read-only: every SDK call it makes goes through a guard that refuses anything
 * but a read (Describe, Get, List, BatchGet, Query, Scan), so a plan can never change the account.
 */
import type { DeployPlan } from '../../lambdas/domain/contract/payloads';
import type { EnvironmentDefinition } from '../../lambdas/domain/environment/model';
import { noFaults } from '../simulator/faults';
import { seedAccount } from '../simulator/fleet';
import { attachSimulator } from '../simulator/intercept';
import { useSimulatedAwsEnvironment } from '../simulator/simulate';
import { estimateRelease, type ReleaseEstimate } from './release-estimate';

const READ_ONLY_MIDDLEWARE = 'fleetflowPlanReadOnly';
const READ_OPERATION = /^(Describe|Get|List|BatchGet|Query|Scan)[A-Z]/;

export class PlanWouldWriteError extends Error {
  override readonly name = 'PlanWouldWriteError';
}

interface MiddlewareClient {
  middlewareStack: {
    add: (middleware: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => Promise<unknown>, options: object) => void;
    remove: (name: string) => boolean;
  };
}

/** Refuses, before it is sent, any call of the clients that is not a read; `what` names the command in the refusal (capture uses it too). */
export function guardReadOnly(clients: Record<string, unknown>, what = 'plan'): () => void {
  for (const [service, client] of Object.entries(clients) as Array<[string, MiddlewareClient]>) {
    client.middlewareStack.remove(READ_ONLY_MIDDLEWARE);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = (context.commandName ?? '').replace(/Command$/, '');
        if (!READ_OPERATION.test(operation)) throw new PlanWouldWriteError(`${what} is read-only and refused ${service}:${operation}`);
        return next(args);
      },
      { step: 'initialize', priority: 'high', name: READ_ONLY_MIDDLEWARE },
    );
  }
  return () => {
    for (const client of Object.values(clients) as MiddlewareClient[]) client.middlewareStack.remove(READ_ONLY_MIDDLEWARE);
  };
}

export interface DeployPlanReport {
  readonly plan: DeployPlan;
  readonly estimate: ReleaseEstimate;
  /** Hosts per tier by the release they run now. */
  readonly releasesByTier: Record<string, Record<string, number>>;
}

export interface PlanDeployOptions {
  readonly environment: EnvironmentDefinition;
  /** The execution input a deploy would get ({ release, component, ... }). */
  readonly input: unknown;
  /** Plan against the simulated account seeded with this many hosts per tier instead of AWS. */
  readonly simulatedHostsPerTier?: number;
}

export async function planDeploy(options: PlanDeployOptions): Promise<DeployPlanReport> {
  // The handlers' logger writes JSON lines to stdout: silent unless asked for, so --json stays one document.
  process.env.POWERTOOLS_LOG_LEVEL ??= process.env.FLEETFLOW_LAMBDA_LOG_LEVEL ?? 'SILENT';
  const { planRelease } = await import('../../lambdas/deploy/plan-release');
  const { allClients } = await import('../../lambdas/shared/clients');
  const { assertReleasePlanFits } = await import('../../lambdas/shared/plan-store');
  // Plan Release's handler stores the plan, refusing one that cannot fit Step Functions' quotas: the same refusals here.
  const release = async () => {
    const plan = await planRelease({ environment: options.environment, input: options.input, execution: 'fleetflow-plan' });
    assertReleasePlanFits(plan);
    return plan;
  };
  const plan =
    options.simulatedHostsPerTier === undefined ? await readOnly(allClients, release) : await simulated(allClients, options.environment, options.simulatedHostsPerTier, release);
  const releasesByTier: Record<string, Record<string, number>> = {};
  for (const tier of plan.tiers) {
    const counts: Record<string, number> = {};
    for (const host of tier.batches.flat()) counts[host.previous || 'none'] = (counts[host.previous || 'none'] ?? 0) + 1;
    releasesByTier[tier.spec.name] = counts;
  }
  return { plan, estimate: estimateRelease(plan), releasesByTier };
}

async function readOnly<T>(allClients: Record<string, unknown>, work: () => Promise<T>): Promise<T> {
  const release = guardReadOnly(allClients);
  try {
    return await work();
  } finally {
    release();
  }
}

async function simulated<T>(allClients: Record<string, unknown>, environment: EnvironmentDefinition, hostsPerTier: number, work: () => Promise<T>): Promise<T> {
  const restoreEnvironment = useSimulatedAwsEnvironment();
  const account = seedAccount(environment, noFaults(), { hostsPerTier });
  const detach = attachSimulator(allClients as never, account);
  const release = guardReadOnly(allClients);
  try {
    return await work();
  } finally {
    release();
    detach();
    restoreEnvironment();
  }
}
