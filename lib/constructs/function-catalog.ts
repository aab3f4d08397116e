/**
 * The FleetFlow functions of one deployment, each created once, on first request: a handler
 * two workflows invoke (Check Bake, Terminate Launched, ...) stays one function with one role.
 * Each workflow declares the functions it invokes as `FunctionSpecs`, next to its state machine
 * (statemachines/<workflow>/functions.ts), with its handler path written out.
 */
import type { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { FleetFlowFunction, FUNCTION_MEMORY_MB } from './fleetflow-function';

/**
 * Memory of the planners (every handler module named `plan-*.ts`). "Lambda allocates CPU power in
 * proportion to the amount of memory configured ... At 1,769 MB, a function has the equivalent of
 * one vCPU" (Lambda Developer Guide, Configure Lambda function memory), so 256 MB is about 0.14 vCPU.
 * A planner runs once per execution, so nearly always cold, and its cold import is the largest:
 * 78-92 ms of CPU on the bench machine for the six that read the environment, 65-68 ms for the two
 * that plan a way back (`npm run bench`, "Lambda bundles"; every other task 57-70 ms). At 256 MB
 * that is 0.45-0.64 s of init; at 1,024 MB 0.11-0.16 s, and the plan's own work over thousands of
 * hosts runs four times faster too. Beyond 1,024 MB the init would save under 0.07 s more. The
 * price is about 1 GB-second per planner run, a small fraction of what the execution's Step
 * Functions transitions cost.
 */
export const PLANNER_MEMORY_MB = 1024;

/** The memory a handler's function gets: the planners', or FleetFlow's default. */
export function memoryFor(handler: string): number {
  return /(^|\/)plan-[^/]+\.ts$/.test(handler) ? PLANNER_MEMORY_MB : FUNCTION_MEMORY_MB;
}

/** One Lambda task's function, as a workflow declares it. */
export interface FunctionSpec {
  /** Construct ID of the function, e.g. `PlanRelease`: the same ID is the same function wherever it is declared. */
  readonly id: string;
  /** Handler module, relative to the repository's `lambdas/` folder, e.g. `deploy/plan-release.ts`. */
  readonly handler: string;
  /** What the task does, shown in the Lambda console. */
  readonly description: string;
  /**
   * Lambda's timeout, for a handler whose work may outlast the default (the planners that read
   * every retired host's protection: RETIRE_GUARD_PLANNER_TIMEOUT). The tasks invoking it wait longer too.
   * @default FUNCTION_TIMEOUT
   */
  readonly timeout?: Duration;
}

/** A workflow's functions, by the name its definition uses. */
export type FunctionSpecs<K extends string = string> = { readonly [key in K]: FunctionSpec };

/** The functions of `FunctionSpecs`, by the same names. */
export type FleetFlowFunctions<K extends string> = { readonly [key in K]: FleetFlowFunction };

export class FunctionCatalog extends Construct {
  private readonly created = new Map<string, { spec: FunctionSpec; fn: FleetFlowFunction }>();

  /** The function of `spec`, created on the first request for its ID. */
  function(spec: FunctionSpec): FleetFlowFunction {
    const known = this.created.get(spec.id);
    if (known) {
      // Two declarations of one ID must mean one function, or one of them would silently run the other's code.
      if (known.spec.handler !== spec.handler || known.spec.description !== spec.description || known.spec.timeout?.toSeconds() !== spec.timeout?.toSeconds()) {
        throw new Error(
          `${this.node.path}: function ${spec.id} is declared as ${JSON.stringify(known.spec)} and as ${JSON.stringify(spec)}; one ID, one handler`,
        );
      }
      return known.fn;
    }
    const fn = new FleetFlowFunction(this, spec.id, {
      handler: spec.handler,
      description: spec.description,
      memorySize: memoryFor(spec.handler),
      ...(spec.timeout ? { timeout: spec.timeout } : {}),
    });
    this.created.set(spec.id, { spec, fn });
    return fn;
  }

  /** The functions of `specs`, by the same names, each created on first request. */
  functions<K extends string>(specs: FunctionSpecs<K>): FleetFlowFunctions<K> {
    const out: Partial<Record<K, FleetFlowFunction>> = {};
    for (const key of Object.keys(specs) as K[]) out[key] = this.function(specs[key]);
    return out as FleetFlowFunctions<K>;
  }

  /** Every function created so far. */
  get all(): FleetFlowFunction[] {
    return [...this.created.values()].map((entry) => entry.fn);
  }
}

/** The Lambda functions of `functions`, by the same names: what a definition's tasks invoke. */
export function lambdasOf<K extends string>(functions: FleetFlowFunctions<K>): { readonly [key in K]: FleetFlowFunction['function'] } {
  const out: Partial<Record<K, FleetFlowFunction['function']>> = {};
  for (const key of Object.keys(functions) as K[]) out[key] = functions[key].function;
  return out as { readonly [key in K]: FleetFlowFunction['function'] };
}
