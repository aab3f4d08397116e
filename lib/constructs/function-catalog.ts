/**
 * The FleetFlow functions of one deployment, each created once, on first request: a handler
 * two workflows invoke (Check Bake, Terminate Launched, ...) stays one function with one role.
 * Each workflow declares the functions it invokes as `FunctionSpecs`, next to its state machine
 * (statemachines/<workflow>/functions.ts), with its handler path written out.
 */
import { Construct } from 'constructs';
import { FleetFlowFunction } from './fleetflow-function';

/** One Lambda task's function, as a workflow declares it. */
export interface FunctionSpec {
  /** Construct ID of the function, e.g. `PlanRelease`: the same ID is the same function wherever it is declared. */
  readonly id: string;
  /** Handler module, relative to the repository's `lambdas/` folder, e.g. `deploy/plan-release.ts`. */
  readonly handler: string;
  /** What the task does, shown in the Lambda console. */
  readonly description: string;
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
      if (known.spec.handler !== spec.handler || known.spec.description !== spec.description) {
        throw new Error(
          `${this.node.path}: function ${spec.id} is declared as ${JSON.stringify(known.spec)} and as ${JSON.stringify(spec)}; one ID, one handler`,
        );
      }
      return known.fn;
    }
    const fn = new FleetFlowFunction(this, spec.id, { handler: spec.handler, description: spec.description });
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
