/**
 * Lambda timeouts that hold (issue 14): for every Lambda task state of every state machine,
 * the function it invokes may run at most as long as the task waits for it (Timeout ≤ the
 * task's TimeoutSeconds), and well longer than any time budget its handler keeps of its own
 * (an exported `TIME_BUDGET_MS`, e.g. Launch Hosts'), so the handler returns before Lambda
 * stops it. Read from the synthesized template, functions and definitions as CloudFormation
 * receives them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HANDLER_METADATA_KEY, RETIRE_GUARD_PLANNER_TIMEOUT } from '../../lib/constructs/fleetflow-function';
import { forEachState, fromTemplate, type DefinitionObjects } from '../../lib/simulator/definition';
import { canonicalEnvironment, sharedCanonical, type CanonicalTemplate, type CfnTemplate } from './support';

const DEPLOY = `fleetflow-${canonicalEnvironment().name}-deploy`;
/** "Well below": a handler's own budget is at most two thirds of its function's timeout, the rest for the work in flight when it runs out. */
const BUDGET_HEADROOM = 1.5;

interface Pairing {
  readonly machine: string;
  readonly state: string;
  readonly module: string;
  readonly functionTimeoutSeconds: number;
  readonly taskTimeoutSeconds: number | undefined;
}

/** Every Lambda task state of every state machine of the template, with its function's timeout. */
function pairings(template: CfnTemplate, definitions: DefinitionObjects): Pairing[] {
  const found: Pairing[] = [];
  for (const machine of fromTemplate(template as never, DEPLOY, definitions).byArn.values()) {
    forEachState(machine.definition, (state, asl) => {
      const target = machine.taskHandlers.get(state);
      if (asl.Type !== 'Task' || target?.kind !== 'lambda') return;
      const taskTimeoutSeconds = typeof asl.TimeoutSeconds === 'number' ? asl.TimeoutSeconds : undefined;
      found.push({ machine: machine.name, state, module: target.module, functionTimeoutSeconds: target.timeoutSeconds, taskTimeoutSeconds });
    });
  }
  return found;
}

/** What breaks the rule, one line per task state; `budgets` is each handler module's own budget in ms, when it keeps one. */
function timeoutViolations(template: CfnTemplate, definitions: DefinitionObjects, budgets: ReadonlyMap<string, number>): string[] {
  return pairings(template, definitions).flatMap((p) => {
    const where = `${p.machine}: ${p.state} (${p.module})`;
    const budget = budgets.get(p.module);
    return [
      ...(p.taskTimeoutSeconds === undefined ? [`${where}: the task has no TimeoutSeconds`] : []),
      ...(p.taskTimeoutSeconds !== undefined && p.functionTimeoutSeconds > p.taskTimeoutSeconds
        ? [`${where}: the function may run ${p.functionTimeoutSeconds} s, the task waits ${p.taskTimeoutSeconds} s`]
        : []),
      ...(budget !== undefined && p.functionTimeoutSeconds * 1000 < budget * BUDGET_HEADROOM
        ? [`${where}: the handler's own budget (${budget / 1000} s) is not well below the function's timeout (${p.functionTimeoutSeconds} s)`]
        : []),
    ];
  });
}

/** The time budget each handler module exports (`TIME_BUDGET_MS`), read from the module itself. */
async function handlerBudgets(modules: Iterable<string>): Promise<Map<string, number>> {
  const budgets = new Map<string, number>();
  for (const module of new Set(modules)) {
    const loaded = (await import(new URL(`../../lambdas/${module}`, import.meta.url).href)) as { TIME_BUDGET_MS?: unknown };
    if (typeof loaded.TIME_BUDGET_MS === 'number') budgets.set(module, loaded.TIME_BUDGET_MS);
  }
  return budgets;
}

/** A copy of the template with one handler's function timeout changed. */
function withFunctionTimeout(template: CfnTemplate, module: string, seconds: number): CfnTemplate {
  const copy = structuredClone(template) as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }> };
  const functions = Object.values(copy.Resources).filter((r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.[HANDLER_METADATA_KEY] === module);
  expect(functions, module).toHaveLength(1);
  functions[0]!.Properties!.Timeout = seconds;
  return copy as unknown as CfnTemplate;
}

describe('Lambda timeouts', () => {
  let synth: CanonicalTemplate;
  let budgets: Map<string, number>;

  beforeAll(async () => {
    synth = sharedCanonical();
    budgets = await handlerBudgets(pairings(synth.json, synth.definitions).map((p) => p.module));
  });
  afterAll(() => synth?.cleanup());

  it('checks every function of the template, through the task states that invoke it, and finds the budgets handlers keep', () => {
    const checked = new Set(pairings(synth.json, synth.definitions).map((p) => p.module));
    const functions = Object.values(synth.json.Resources).filter((r) => r.Type === 'AWS::Lambda::Function' && typeof r.Metadata?.[HANDLER_METADATA_KEY] === 'string');

    expect(functions.length).toBeGreaterThan(40);
    expect(functions.map((f) => f.Metadata![HANDLER_METADATA_KEY]).filter((m) => !checked.has(m as string))).toEqual([]);
    expect(budgets.get('compute/launch-hosts.ts')).toBe(60_000);
  });

  it("gives every Lambda task's function a timeout at or below the task's, and well above its handler's own budget", () => {
    expect(timeoutViolations(synth.json, synth.definitions, budgets)).toEqual([]);
  });

  it('gives the planners that read every retired host\'s protection Lambda\'s longest timeout, and their tasks 20 s more; every other task its 100 s and 120 s', () => {
    // The retire guards' reads go at EC2's request rate: a 1,000-host surge tier's take 97.5 s (lambdas/compute/retire-guards.ts).
    const guarded = new Set(['deploy/plan-release.ts', 'compute/plan-scale-in.ts', 'compute/plan-replacement.ts']);
    const all = pairings(synth.json, synth.definitions);
    const timeouts = (p: Pairing) => [p.functionTimeoutSeconds, p.taskTimeoutSeconds];

    expect(new Set(all.filter((p) => guarded.has(p.module)).map((p) => p.module))).toEqual(guarded);
    expect(all.filter((p) => guarded.has(p.module)).map(timeouts)).toEqual(all.filter((p) => guarded.has(p.module)).map(() => [RETIRE_GUARD_PLANNER_TIMEOUT.toSeconds(), 920]));
    expect(new Set(all.filter((p) => !guarded.has(p.module)).map((p) => timeouts(p).join('/')))).toEqual(new Set(['100/120']));
  });

  it('fails a function that may run longer than its task waits for it', () => {
    // Act: the task's 120 s would run out while Lambda still runs the function.
    const violations = timeoutViolations(withFunctionTimeout(synth.json, 'rollout/check-install.ts', 121), synth.definitions, budgets);

    // Assess
    expect(violations.length).toBeGreaterThan(0);
    expect(violations.every((v) => v.includes('(rollout/check-install.ts): the function may run 121 s, the task waits 120 s'))).toBe(true);
  });

  it("fails a function whose timeout is not well above its handler's own budget", () => {
    // Act: Launch Hosts stops launching after 60 s; Lambda would stop it at 80 s, mid-launch.
    const violations = timeoutViolations(withFunctionTimeout(synth.json, 'compute/launch-hosts.ts', 80), synth.definitions, budgets);

    // Assess: every task that runs it, in every compute workflow.
    expect(violations).toEqual(
      expect.arrayContaining([
        `fleetflow-canonical-allocate: Launch Hosts (compute/launch-hosts.ts): the handler's own budget (60 s) is not well below the function's timeout (80 s)`,
        `fleetflow-canonical-replace: Launch More Hosts (compute/launch-hosts.ts): the handler's own budget (60 s) is not well below the function's timeout (80 s)`,
      ]),
    );
    expect(violations.every((v) => v.includes('compute/launch-hosts.ts'))).toBe(true);
  });
});
