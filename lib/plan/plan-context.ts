/**
 * Where a plan runs: against AWS with the standard credentials, or against the simulated
 * account, always behind a guard that refuses, before it is sent, any call but a read
 * (Describe, Get, List, BatchGet, Query, Scan), so a plan can never change the account.
 *
 * The planners of the batch workflows (replace, restore-data) write their batches to the
 * plan table as they plan (lambdas/shared/plan-store.ts storeTiers). A plan answers those
 * writes itself, never sending them: the guard keeps the hosts they would have stored,
 * which is how the plan learns each batch's hosts, and the account is not touched.
 */
import type { EnvironmentDefinition } from '../../lambdas/domain/environment/model';
import { noFaults, parseFaults } from '../simulator/faults';
import { faultScope, seedAccount, type FleetOptions } from '../simulator/fleet';
import { attachSimulator } from '../simulator/intercept';
import { SIMULATION_EPOCH, useSimulatedAwsEnvironment } from '../simulator/simulate';
import { runOnVirtualClock } from '../simulator/virtual-clock';

const READ_ONLY_MIDDLEWARE = 'fleetflowPlanReadOnly';
const READ_OPERATION = /^(Describe|Get|List|BatchGet|Query|Scan)[A-Z]/;
/**
 * The plan table's name while a plan runs: the planners' batch writes to it are kept by the
 * guard and never sent (no such table need exist; with the simulator, none does).
 */
export const PLAN_TABLE_UNSENT = 'fleetflow-plan-not-written';

export class PlanWouldWriteError extends Error {
  override readonly name = 'PlanWouldWriteError';
}

type Handler = (args: unknown) => Promise<unknown>;
interface MiddlewareClient {
  middlewareStack: {
    add: (middleware: (next: Handler, context: { commandName?: string }) => Handler, options: object) => void;
    remove: (name: string) => boolean;
  };
}

/** The batches a planner stored, by key (`<keyPrefix>#<index>`), as it would have written them. */
export type KeptBatches = Map<string, Array<{ id: string; name: string; previous: string }>>;

/**
 * Refuses, before it is sent, any call of the clients that is not a read; `what` names the command
 * in the refusal (capture uses it too). A BatchWriteItem to PLAN_TABLE_UNSENT only is answered here
 * (nothing sent) and its hosts kept in `kept`.
 */
export function guardReadOnly(clients: Record<string, unknown>, what = 'plan', kept: KeptBatches = new Map()): () => void {
  for (const [service, client] of Object.entries(clients) as Array<[string, MiddlewareClient]>) {
    client.middlewareStack.remove(READ_ONLY_MIDDLEWARE);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = (context.commandName ?? '').replace(/Command$/, '');
        if (service === 'dynamodb' && operation === 'BatchWriteItem' && keepPlanBatches(args, kept)) return { output: { UnprocessedItems: {}, $metadata: {} } };
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

interface BatchWriteArgs {
  input?: { RequestItems?: Record<string, Array<{ PutRequest?: { Item?: Record<string, { S?: string }> } }>> };
}

/** True when the write names the unsent plan table only and every request is a put of a batch: its hosts are kept. */
function keepPlanBatches(args: unknown, kept: KeptBatches): boolean {
  const items = (args as BatchWriteArgs).input?.RequestItems ?? {};
  const tables = Object.keys(items);
  if (tables.length !== 1 || tables[0] !== PLAN_TABLE_UNSENT) return false;
  const puts = items[PLAN_TABLE_UNSENT]!.map((r) => r.PutRequest?.Item);
  if (puts.some((item) => item?.pk?.S === undefined || item.hosts?.S === undefined)) return false;
  for (const item of puts) kept.set(item!.pk!.S!, JSON.parse(item!.hosts!.S!) as Array<{ id: string; name: string; previous: string }>);
  return true;
}

/** The simulated account a plan runs against: seeded as `simulate <workflow>` seeds it. */
export interface SimulatedAccountOptions extends FleetOptions {
  /** Faults of the simulated account (docs/faults.md), as `simulate --fault` takes them: the network ones make a plan refuse as the run would. */
  readonly faults?: readonly string[];
}

/**
 * Runs `work` behind the read-only guard: against AWS when `simulated` is undefined, else
 * against the simulated account on the simulator's virtual clock from its epoch (so a recovery
 * point and the data lost read as a simulated run's plan reads them, and the planner's own
 * sleeps, the retire guards' reads paced to EC2's request rate, pass as they do in a run, in no
 * real time). It waits for whatever the planner imports as it goes (no stall limit).
 */
export async function withPlanContext<T>(environment: EnvironmentDefinition, simulated: SimulatedAccountOptions | undefined, work: (kept: KeptBatches) => Promise<T>): Promise<T> {
  // The handlers' logger writes JSON lines to stdout: silent unless asked for, so --json stays one document.
  process.env.POWERTOOLS_LOG_LEVEL ??= process.env.FLEETFLOW_LAMBDA_LOG_LEVEL ?? 'SILENT';
  const { allClients } = await import('../../lambdas/shared/clients');
  const kept: KeptBatches = new Map();
  if (simulated === undefined) {
    const savedTable = process.env.PLAN_TABLE;
    process.env.PLAN_TABLE = PLAN_TABLE_UNSENT;
    const release = guardReadOnly(allClients, 'plan', kept);
    try {
      return await work(kept);
    } finally {
      release();
      if (savedTable === undefined) delete process.env.PLAN_TABLE;
      else process.env.PLAN_TABLE = savedTable;
    }
  }
  const restoreEnvironment = useSimulatedAwsEnvironment();
  process.env.PLAN_TABLE = PLAN_TABLE_UNSENT;
  const release = guardReadOnly(allClients, 'plan', kept);
  try {
    return await runOnVirtualClock(
      SIMULATION_EPOCH,
      async () => {
        const account = seedAccount(environment, noFaults(), simulated);
        if (simulated.faults && simulated.faults.length > 0) {
          const names = new Set([...account.hosts.values()].map((h) => h.name));
          account.useFaults(parseFaults(simulated.faults, names, new Set(account.alarms.keys()), undefined, faultScope(environment)));
        }
        const detach = attachSimulator(allClients as never, account);
        try {
          return await work(kept);
        } finally {
          detach();
        }
      },
      undefined,
      Number.POSITIVE_INFINITY,
    );
  } finally {
    release();
    restoreEnvironment();
  }
}
