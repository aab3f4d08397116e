/**
 * Every failure named (issue 7, class 3): an execution of any workflow of the stack (deploy,
 * allocate, scale-out, replace, restore-data, recover, and their rollout child) ends SUCCEEDED, or
 * FAILED with one of FleetFlow's error names, never with a raw SDK or runtime name
 * (TypeError, Lambda.Unknown, States.Timeout, ThrottlingException, ...).
 *
 * Checked on the synthesized definitions by following every path with, for each error object
 * in the state ($.failure, $.rollbackFailure, ...), whether its Error may be a raw name: a
 * Catch of FleetFlow names only writes a named one, any other Catch a raw one; a Pass that
 * sets Error to a FleetFlow name names it; a Choice rule that lets only FleetFlow names
 * through names it on that branch, whether it compares the Error itself or a flag a Pass set
 * to whether the Error is in a list of FleetFlow names only (failures.ts `catchNamed`). Every Fail state must then fail with a FleetFlow name or
 * from an error object that is named on every path to it, and no error may leave a
 * workflow uncaught (a Task, Map or Parallel without a States.ALL catcher).
 *
 * (States.Runtime and States.DataLimitExceeded at the quotas cannot be caught, in AWS or in
 * the simulator: they are the one exception, bounded by the plan instead; see history-budget.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as handlerErrors from '../../lambdas/domain/contract/errors';
import { fromTemplate, type AslDefinition, type AslState, type LocalStateMachine } from '../../lib/simulator/definition';
import { TRANSIENT_ERRORS } from '../../lambdas/shared/transient';
import { LAMBDA_TIMEOUT_ERROR } from '../../lib/simulator/lambda-runtime';
import { FLEETFLOW_ERRORS, LAMBDA_CAUSE_PATTERN } from '../../statemachines/constructs/failures';
import { canonicalEnvironment, sharedCanonical, type CanonicalTemplate } from './support';

const canonical = canonicalEnvironment();
const DEPLOY = `fleetflow-${canonical.name}-deploy`;
const ROLLOUT = `fleetflow-${canonical.name}-rollout`;
const ALLOCATE = `fleetflow-${canonical.name}-allocate`;
const SCALE_OUT = `fleetflow-${canonical.name}-scale-out`;
const SCALE_IN = `fleetflow-${canonical.name}-scale-in`;
const REPLACE = `fleetflow-${canonical.name}-replace`;
const RESTORE_DATA = `fleetflow-${canonical.name}-restore-data`;
const RECOVER = `fleetflow-${canonical.name}-recover`;
const REPLACE_DATABASE = `fleetflow-${canonical.name}-replace-database`;
/** The compute workflows: each provisions tiers (and replace retires hosts) through the rollout child. */
const COMPUTE = [ALLOCATE, SCALE_OUT, REPLACE];
/** The data workflows: restore-data repoints hosts through the rollout child; recover runs allocate, restore-data and deploy as its parts; replace-database switches a blue/green deployment over. */
const DATA = [RESTORE_DATA, RECOVER, REPLACE_DATABASE];
/** Every state machine of the stack: each is walked, path by path, to every Fail state. */
const MACHINES = [DEPLOY, ROLLOUT, ...COMPUTE, SCALE_IN, ...DATA];

/** The names the workflows themselves give failures (Pass states and the approval's rejection). */
const WORKFLOW_NAMES = ['ApprovalRejectedError', 'ApprovalTimeoutError', 'EnvironmentLockedError', 'LockCorruptError', 'ReleaseNotRecordedError', 'UnexpectedTaskError'];
/** Every error class of lambdas/domain/contract/errors.ts, by the name it fails with. */
const HANDLER_NAMES = Object.values(handlerErrors).flatMap((value) =>
  typeof value === 'function' && value.prototype instanceof Error ? [new (value as new (message: string) => Error)('').name] : [],
);
const NAMES = new Set([...HANDLER_NAMES, ...WORKFLOW_NAMES]);

interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
}
interface Retrier {
  ErrorEquals: string[];
  MaxAttempts?: number;
}

/**
 * What the walk knows of the error objects in the state on one path: those whose Error may be
 * a raw name (`raw`), and those whose Error is known to be one of FleetFlow's (`named`: written
 * by a catcher of FleetFlow's names only, a Pass that sets a FleetFlow name, a Choice rule that
 * lets only FleetFlow names through, or a copy of such an object). Any other path is neither.
 */
interface Flow {
  readonly raw: ReadonlySet<string>;
  readonly named: ReadonlySet<string>;
  /** Boolean flags a Pass set to whether an error object's Error is a FleetFlow name: flag path -> the object. */
  readonly flags: ReadonlyMap<string, string>;
}

const EMPTY: Flow = { raw: new Set(), named: new Set(), flags: new Map() };
const within = (p: string, path: string) => path === '$' || p === path || p.startsWith(`${path}.`);

/**
 * The state after `path` is written: nothing is known any more of what was there, nor of an
 * object whose Error it writes (an error object whose Cause alone is rewritten keeps its name).
 */
function cleared(flow: Flow, path: string): { raw: Set<string>; named: Set<string>; flags: Map<string, string> } {
  return {
    raw: new Set([...flow.raw].filter((p) => !within(p, path))),
    named: new Set([...flow.named].filter((p) => !within(p, path) && !within(path, `${p}.Error`))),
    // A flag holds while neither it nor the Error it was computed from is written again.
    flags: new Map([...flow.flags].filter(([flag, object]) => !within(flag, path) && !within(object, path) && !within(path, `${object}.Error`))),
  };
}

/** `States.ArrayContains(States.Array('<name>', ...), <object>.Error)` with FleetFlow names only: the object it checks. */
function checkedByNames(expression: string): string | undefined {
  const match = /^States\.ArrayContains\(States\.Array\(((?:'[A-Za-z]+',?\s*)+)\), (\$(?:\.[A-Za-z0-9_]+)*)\.Error\)$/.exec(expression);
  if (!match) return undefined;
  const names = [...match[1]!.matchAll(/'([A-Za-z]+)'/g)].map((m) => m[1]!);
  return names.every((name) => NAMES.has(name)) ? match[2] : undefined;
}

function withRaw(flow: Flow, path: string): Flow {
  const out = cleared(flow, path);
  out.raw.add(path);
  return out;
}

function withNamed(flow: Flow, path: string): Flow {
  const out = cleared(flow, path);
  out.named.add(path);
  return out;
}

/** Whether the error object at `path` (or one that holds it) may be raw. */
function isRaw(flow: Flow, path: string): boolean {
  return [...flow.raw].some((p) => p === path || path.startsWith(`${p}.`));
}

/** The state paths a Pass parameter's value reads (a path, or the paths inside an intrinsic function). */
function pathsIn(expression: string): string[] {
  // Not the context object ($$.Execution.Name, ...): only the state itself holds error objects.
  return expression.match(/(?<!\$)\$(?!\$)(?:\.[A-Za-z0-9_]+)*/g) ?? [];
}

/** What a Choice rule lets through when it holds: an error object it only lets through named. */
function namedBy(rule: Record<string, unknown>, flow: Flow): string | undefined {
  if (typeof rule.Variable === 'string' && rule.BooleanEquals === true && flow.flags.has(rule.Variable)) return flow.flags.get(rule.Variable);
  const terms = (rule.Or as Array<Record<string, unknown>> | undefined) ?? [rule];
  const variables = new Set(terms.map((t) => t.Variable));
  if (variables.size !== 1) return undefined;
  const [variable] = [...variables] as [unknown];
  if (typeof variable !== 'string' || !variable.endsWith('.Error')) return undefined;
  const onlyNames = terms.every(
    (t) => typeof t.StringEquals === 'string' && NAMES.has(t.StringEquals) && Object.keys(t).every((k) => ['Variable', 'StringEquals', 'Next'].includes(k)),
  );
  return onlyNames ? variable.slice(0, -'.Error'.length) : undefined;
}

interface Analysis {
  /** Fail states that may fail with a raw name, and errors that may leave the workflow uncaught. */
  readonly violations: string[];
  /** What may leave this scope as a raw error (uncaught), for the enclosing Map or Parallel. */
  readonly escapes: string[];
  /** Every Fail state reached, in this scope or any Map or Parallel nested in it. */
  readonly fails: Set<string>;
}

/** The state after a Pass: what it writes at its ResultPath, named, raw, or neither. */
function afterPass(state: AslState, flow: Flow): Flow {
  const resultPath = state.ResultPath === undefined ? '$' : (state.ResultPath as string | null);
  const value = (state.Parameters ?? state.Result) as Record<string, unknown> | undefined;
  if (resultPath === null || value === undefined) return flow;
  let out: Flow = cleared(flow, resultPath);
  if (typeof value !== 'object' || value === null) return out;
  const at = (field: string) => (resultPath === '$' ? `$.${field}` : `${resultPath}.${field}`);
  // Fields first: a copy of an error object keeps what is known of it; anything computed from a raw one may be raw.
  for (const [field, expression] of Object.entries(value)) {
    if (!field.endsWith('.$') || typeof expression !== 'string') continue;
    const target = at(field.slice(0, -2));
    if (flow.named.has(expression)) out = withNamed(out, target);
    else if (pathsIn(expression).some((p) => isRaw(flow, p) || [...flow.raw].some((r) => r.startsWith(`${p}.`)))) out = withRaw(out, target);
  }
  // The object written itself, when it is an error: named only by a FleetFlow name, or by a copy of a named object's Error.
  if ('Error' in value) out = NAMES.has(String(value.Error)) ? withNamed(out, resultPath) : withRaw(out, resultPath);
  if ('Error.$' in value) {
    const copied = value['Error.$'];
    const source = typeof copied === 'string' && copied.endsWith('.Error') ? copied.slice(0, -'.Error'.length) : undefined;
    out = source !== undefined && flow.named.has(source) ? withNamed(out, resultPath) : withRaw(out, resultPath);
    // A flag of whether the copied Error is one of FleetFlow's names: true names the copy.
    for (const [field, expression] of Object.entries(value)) {
      if (source === undefined || !field.endsWith('.$') || typeof expression !== 'string' || checkedByNames(expression) !== source) continue;
      out = { ...out, flags: new Map([...out.flags, [at(field.slice(0, -2)), resultPath]]) };
    }
  }
  return out;
}

/** Follows every path of a `States` scope from its start, with what is known of the error objects on entry. */
function analyse(scope: AslDefinition, entry: Flow, where: string): Analysis {
  const violations: string[] = [];
  const escapes: string[] = [];
  const fails = new Set<string>();
  const seen = new Map<string, Set<string>>();
  const queue: Array<[string, Flow]> = [[scope.StartAt, entry]];
  const visit = (name: string, flow: Flow) => queue.push([name, flow]);

  while (queue.length > 0) {
    const [name, flow] = queue.pop()!;
    const state = scope.States[name];
    if (!state) {
      violations.push(`${where}${name}: no such state`);
      continue;
    }
    const key = `${[...flow.raw].sort().join('|')}#${[...flow.named].sort().join('|')}#${[...flow.flags].sort().join('|')}`;
    const keys = seen.get(name) ?? new Set<string>();
    if (keys.has(key)) continue;
    keys.add(key);
    seen.set(name, keys);

    switch (state.Type) {
      case 'Fail': {
        fails.add(name);
        if (typeof state.Error === 'string') {
          if (!NAMES.has(state.Error)) violations.push(`${where}${name}: fails with ${state.Error}`);
        } else if (typeof state.ErrorPath === 'string' && state.ErrorPath.endsWith('.Error')) {
          const object = state.ErrorPath.slice(0, -'.Error'.length);
          if (isRaw(flow, object)) violations.push(`${where}${name}: fails with ${state.ErrorPath}, which may hold a raw error on some path`);
        } else {
          violations.push(`${where}${name}: fails with no error name it can check (${JSON.stringify(state.ErrorPath)})`);
        }
        break;
      }
      case 'Succeed':
        break;
      case 'Wait':
        if (typeof state.Next === 'string') visit(state.Next, flow);
        break;
      case 'Choice': {
        for (const rule of (state.Choices as Array<Record<string, unknown> & { Next: string }>) ?? []) {
          const named = namedBy(rule, flow);
          visit(rule.Next, named ? withNamed(flow, named) : flow);
        }
        if (typeof state.Default === 'string') visit(state.Default, flow);
        break;
      }
      case 'Pass':
        if (typeof state.Next === 'string') visit(state.Next, afterPass(state, flow));
        break;
      case 'Task':
      case 'Map':
      case 'Parallel': {
        const inner: Analysis[] = [];
        if (state.Type === 'Map') {
          const processor = (state.ItemProcessor ?? state.Iterator) as AslDefinition;
          inner.push(analyse(processor, state.ItemSelector ? EMPTY : flow, `${where}${name} ▸ `));
        }
        for (const branch of state.Branches ?? []) inner.push(analyse(branch, flow, `${where}${name} ▸ `));
        for (const analysis of inner) {
          violations.push(...analysis.violations);
          for (const fail of analysis.fails) fails.add(fail);
        }

        const resultPath = state.ResultPath === undefined ? '$' : (state.ResultPath as string | null);
        if (typeof state.Next === 'string') visit(state.Next, resultPath === null ? flow : cleared(flow, resultPath));
        const catchers = (state.Catch as Catcher[] | undefined) ?? [];
        for (const catcher of catchers) {
          const path = catcher.ResultPath === undefined ? '$' : catcher.ResultPath;
          if (path === null) {
            visit(catcher.Next, flow);
            continue;
          }
          const named = catcher.ErrorEquals.every((error) => NAMES.has(error));
          visit(catcher.Next, named ? withNamed(flow, path) : withRaw(flow, path));
        }
        if (!catchers.some((c) => c.ErrorEquals.includes('States.ALL'))) {
          if (state.Type === 'Task') escapes.push(`${where}${name}: a Task without a States.ALL catcher`);
          else for (const analysis of inner) escapes.push(...analysis.escapes);
        }
        break;
      }
      default:
        violations.push(`${where}${name}: unknown state type ${state.Type}`);
    }
  }
  return { violations, escapes, fails };
}

function allStates(definition: AslDefinition): Array<{ name: string; state: AslState; scope: AslDefinition }> {
  const found: Array<{ name: string; state: AslState; scope: AslDefinition }> = [];
  const walk = (scope: AslDefinition) => {
    for (const [name, state] of Object.entries(scope.States)) {
      found.push({ name, state, scope });
      for (const child of [state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])].filter(Boolean) as AslDefinition[]) walk(child);
    }
  };
  walk(definition);
  return found;
}

describe('every failure named', () => {
  let synth: CanonicalTemplate;
  let machines: Map<string, LocalStateMachine>;
  const machine = (name: string) => machines.get(name)!;
  const state = (m: string, name: string) => {
    const found = allStates(machine(m).definition).filter((s) => s.name === name);
    expect(found, `${m}: ${name}`).toHaveLength(1);
    return found[0]!;
  };

  beforeAll(() => {
    synth = sharedCanonical();
    machines = new Map([...fromTemplate(synth.json, DEPLOY, synth.definitions).byArn.values()].map((m) => [m.name, m]));
  });
  afterAll(() => synth?.cleanup());

  it("knows FleetFlow's names: every class of lambdas/domain/contract/errors.ts and the workflows' own, none a raw SDK or runtime name", () => {
    expect([...FLEETFLOW_ERRORS].sort()).toEqual([...NAMES].sort());
    expect(HANDLER_NAMES).toEqual(expect.arrayContaining(['PatchFailedError', 'RollbackFailedError', 'ValidationFailedError', 'PlanExceedsQuotaError']));
    for (const name of NAMES) {
      expect(name, 'a raw-looking name').toMatch(/^[A-Z][A-Za-z]+Error$/);
      expect(['TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'Error']).not.toContain(name);
    }
  });

  it("retries what the simulator injects as a one-off failure and never one of FleetFlow's names", () => {
    // The campaigns' error:STATE fault throws a TypeError; a handler past its function timeout fails Sandbox.Timedout (lambda-runtime.ts).
    expect(TRANSIENT_ERRORS).toEqual(expect.arrayContaining(['TypeError', LAMBDA_TIMEOUT_ERROR, 'States.Timeout', 'Lambda.Unknown']));
    expect(TRANSIENT_ERRORS.filter((name) => NAMES.has(name))).toEqual([]);
    expect(new Set(TRANSIENT_ERRORS).size).toBe(TRANSIENT_ERRORS.length);
  });

  it('walks every state machine of the stack: deploy, allocate, scale-out, scale-in, replace, restore-data, recover and the rollout child', () => {
    expect([...machines.keys()].sort()).toEqual([...MACHINES].sort());
  });

  it.each(MACHINES)('%s: every Fail state fails with a FleetFlow name, on every path to it, and no error leaves it uncaught', (name) => {
    const analysis = analyse(machine(name).definition, EMPTY, '');
    const failStates = allStates(machine(name).definition).filter(({ state: s }) => s.Type === 'Fail').map(({ name: n }) => n);

    expect(analysis.violations).toEqual([]);
    expect(analysis.escapes, 'errors that may end the execution as they came').toEqual([]);
    expect(analysis.fails.size).toBeGreaterThan(0);
    // Every Fail state of the definition, at any depth, is reached by the walk, so none goes unchecked.
    expect([...analysis.fails].sort()).toEqual([...failStates].sort());
  });

  it("names each failure where it happens: no Map iteration or Parallel branch lets a raw error out (Run Release's and the stages' own catches are only a backstop)", () => {
    const nested = MACHINES.flatMap((m) =>
      allStates(machine(m).definition).flatMap(({ name, state: s }) =>
        [s.ItemProcessor, s.Iterator, ...(s.Branches ?? [])].filter(Boolean).map((scope) => ({ name: `${m}: ${name}`, scope: scope as AslDefinition })),
      ),
    );

    expect(nested.map(({ name }) => name)).toEqual(
      expect.arrayContaining([
        `${DEPLOY}: Run Release`,
        `${DEPLOY}: Roll Tiers`,
        `${DEPLOY}: Revert Roll Segments`,
        ...COMPUTE.flatMap((m) => [`${m}: Provision`, `${m}: Provision Tiers`, `${m}: Provision Roll Segments`]),
        // Allocate: the database and the hosts side by side, both observed to their end, then either failure raised again.
        `${ALLOCATE}: Prepare`,
        `${ALLOCATE}: Prepare Tiers`,
        `${ALLOCATE}: Prepared`,
        `${ALLOCATE}: Point At Restored`,
        `${REPLACE}: Retire Replaced`,
        `${REPLACE}: Retire Roll Tiers`,
        `${REPLACE}: Retire Lost`,
        `${REPLACE}: Retire Lost Roll Segments`,
        `${RESTORE_DATA}: Run Restore`,
        `${RESTORE_DATA}: Repoint`,
        `${RESTORE_DATA}: Repoint Roll Tiers`,
        `${RESTORE_DATA}: Repoint Roll Segments`,
        `${RESTORE_DATA}: Repoint Back`,
        `${RESTORE_DATA}: Repoint Back Roll Tiers`,
        `${RESTORE_DATA}: Repoint Back Roll Segments`,
      ]),
    );
    // Every task inside a Map iteration or a Parallel branch catches its own errors: the cause then names the state that failed, not the stage around it.
    expect(nested.flatMap(({ name, scope }) => analyse(scope, EMPTY, `${name} ▸ `).escapes)).toEqual([]);
  });

  it('the check itself sees a raw error: a Fail reached from a States.ALL catch without a naming Pass is a violation', () => {
    const definition: AslDefinition = {
      StartAt: 'T',
      States: {
        T: { Type: 'Task', Resource: 'arn:aws:lambda:x', End: true, Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'F' }] },
        F: { Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' },
      },
    };
    expect(analyse(definition, EMPTY, '').violations).toEqual(['F: fails with $.failure.Error, which may hold a raw error on some path']);
    const uncaught: AslDefinition = { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:lambda:x', End: true } } };
    expect(analyse(uncaught, EMPTY, '').escapes).toEqual(['T: a Task without a States.ALL catcher']);
  });

  it("the check itself follows a copied error: a copy of a named error stays named, a copy of a raw one (or of what was parsed out of one) stays raw", () => {
    const named = [...NAMES];
    const copying = (catchers: Catcher[], copy: Record<string, unknown>): AslDefinition => ({
      StartAt: 'T',
      States: {
        T: { Type: 'Task', Resource: 'arn:aws:lambda:x', End: true, Catch: catchers },
        Copy: { Type: 'Pass', Parameters: copy, ResultPath: '$.failure', Next: 'F' },
        F: { Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' },
      },
    });
    const copyFailure = { 'Error.$': '$.failure.Error', 'Cause.$': "States.Format('{} (and more)', $.failure.Cause)" };
    // Caught by FleetFlow's names only: named, and so is its copy (the compute workflows' "Describe Clean Up Failure").
    expect(analyse(copying([{ ErrorEquals: named, ResultPath: '$.failure', Next: 'Copy' }], copyFailure), EMPTY, '').violations).toEqual([]);
    // Caught by States.ALL: raw, and so is its copy.
    expect(analyse(copying([{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Copy' }], copyFailure), EMPTY, '').violations).toEqual([
      'F: fails with $.failure.Error, which may hold a raw error on some path',
    ]);
    // An error read out of a raw cause (a child's failure) is raw until a Choice lets only FleetFlow's names through.
    const parsed: AslDefinition = {
      StartAt: 'T',
      States: {
        T: { Type: 'Task', Resource: 'arn:aws:lambda:x', End: true, Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Parse' }] },
        Parse: { Type: 'Pass', Parameters: { 'detail.$': 'States.StringToJson($.failure.Cause)' }, ResultPath: '$.child', Next: 'Take' },
        Take: { Type: 'Pass', Parameters: { 'Error.$': '$.child.detail.Error', 'Cause.$': '$.child.detail.Cause' }, ResultPath: '$.failure', Next: 'F' },
        F: { Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' },
      },
    };
    expect(analyse(parsed, EMPTY, '').violations).toEqual(['F: fails with $.failure.Error, which may hold a raw error on some path']);
  });

  it('the check itself trusts a "named?" flag only when its list holds FleetFlow names only and the Error it checked is the one that goes on', () => {
    const flagged = (names: string[], between: AslState[] = []): AslDefinition => ({
      StartAt: 'T',
      States: {
        T: { Type: 'Task', Resource: 'arn:aws:lambda:x', End: true, Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Check' }] },
        Check: {
          Type: 'Pass',
          Parameters: { 'Error.$': '$.failure.Error', 'Cause.$': '$.failure.Cause', 'named.$': `States.ArrayContains(States.Array(${names.map((n) => `'${n}'`).join(',')}), $.failure.Error)` },
          ResultPath: '$.failure',
          Next: between.length > 0 ? 'Between' : 'Named?',
        },
        ...(between.length > 0 ? { Between: { ...between[0]!, Next: 'Named?' } } : {}),
        'Named?': { Type: 'Choice', Choices: [{ Variable: '$.failure.named', BooleanEquals: true, Next: 'F' }], Default: 'Rename' },
        Rename: { Type: 'Pass', Parameters: { Error: 'UnexpectedTaskError', Cause: 'renamed' }, ResultPath: '$.failure', Next: 'F' },
        F: { Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' },
      },
    });
    expect(analyse(flagged(['PatchFailedError', 'DrainFailedError']), EMPTY, '').violations).toEqual([]);
    // A raw name in the list: the flag names nothing.
    expect(analyse(flagged(['PatchFailedError', 'TypeError']), EMPTY, '').violations).toEqual(['F: fails with $.failure.Error, which may hold a raw error on some path']);
    // The Error rewritten after the check: the flag says nothing of the new one.
    const overwrite = { Type: 'Pass', Parameters: { 'Error.$': '$.other' }, ResultPath: '$.failure' } as AslState;
    expect(analyse(flagged(['PatchFailedError'], [overwrite]), EMPTY, '').violations).toEqual(['F: fails with $.failure.Error, which may hold a raw error on some path']);
  });

  it('names the original error and, in a batch, the tier and its hosts when it renames an error, in one chain per failure path, then goes where the named errors go', () => {
    let renames = 0;
    const chains = new Set<string>();
    for (const m of MACHINES) {
      for (const { name, state: task, scope } of allStates(machine(m).definition)) {
        const catchers = (task.Catch as Catcher[] | undefined) ?? [];
        const all = catchers.find((c) => c.ErrorEquals.includes('States.ALL'));
        const check = all && scope.States[all.Next];
        const named = (check?.Parameters as Record<string, string> | undefined)?.['named.$'];
        if (!check || !named) continue;
        renames += 1;
        chains.add(`${m}: ${all.Next}`);
        // The chain tells FleetFlow's errors from others, so no state lists the names itself (a catcher of one particular error may come first).
        expect(catchers.filter((c) => [...NAMES].every((error) => c.ErrorEquals.includes(error))), `${m}: ${name}`).toEqual([]);
        expect(named).toBe(`States.ArrayContains(States.Array(${[...FLEETFLOW_ERRORS].map((n) => `'${n}'`).join(',')}), ${all.ResultPath}.Error)`);
        expect(check.ResultPath).toBe(all.ResultPath);
        const choice = scope.States[check.Next as string]!;
        expect(choice.Choices, `${m}: ${name}`).toEqual([{ Variable: `${all.ResultPath}.named`, BooleanEquals: true, Next: expect.any(String) }]);
        const rename = scope.States[choice.Default as string]!;
        expect((rename.Parameters as Record<string, unknown>).Error, `${m}: ${name}`).toBe('UnexpectedTaskError');
        const cause = (rename.Parameters as Record<string, string>)['Cause.$'];
        expect(cause, `${m}: ${name}`).toMatch(/^States\.Format\('a state failed unexpectedly with \{\}/);
        expect(cause, `${m}: ${name}: the original error`).toContain(`${all.ResultPath}.Error`);
        expect(cause, `${m}: ${name}: where the failed state is`).toMatch(/; the failed state and the original cause are in (the execution history|the history of the tier\\'s rollout execution)'/);
        // Bounded: the original cause (possibly large) is never copied in.
        expect(cause, `${m}: ${name}: copies a raw cause`).not.toContain('.Cause');
        expect(rename.ResultPath).toBe(all.ResultPath);
        // The named error goes on as it was caught, a Lambda task's with its message read out of the runtime's JSON cause
        // first, to where the renamed one goes.
        const namedNext = (choice.Choices as Array<{ Next: string }>)[0]!.Next;
        const reader = scope.States[namedNext]!;
        const lambdaTask = typeof task.Resource === 'string' && !task.Resource.includes(':states:::');
        const readsMessage = reader.Type === 'Choice' && (reader.Choices as Array<{ StringMatches?: string }>)[0]?.StringMatches === LAMBDA_CAUSE_PATTERN;
        expect(readsMessage, `${m}: ${name}: reads a Lambda message`).toBe(lambdaTask);
        expect(readsMessage ? reader.Default : namedNext, `${m}: ${name}`).toBe(rename.Next);
        // The steps to a batch (Load Batch, Load Next ... Batch) have not loaded its hosts: they name the batch by its number.
        if (m === ROLLOUT && !/^Load (Next .*)?Batch$/.test(name)) {
          // A surge batch's install and entry into service act on, and name, its new hosts, where its setup left them (surge-pipeline.ts).
          const onNewHosts = /^Surge (Install On New Hosts|Check New Hosts Install|Put New Hosts In Service|Check New Hosts Health)$/.test(name);
          expect(cause, `${m}: ${name}: the batch's hosts`).toContain(onNewHosts ? '$.tier.name, $.surgeSetUp.batch.label)' : '$.batch.label');
          expect(cause, `${m}: ${name}: the tier`).toContain('$.tier.name');
        }
        if (m === ROLLOUT && /^Load (Next .*)?Batch$/.test(name)) {
          expect(cause, `${m}: ${name}: the batch`).toContain('loading batch {} of {}');
          expect(cause, `${m}: ${name}: the tier`).toContain('$.tier.name');
        }
        // A compute workflow's tier task names the tier it was provisioning.
        if (COMPUTE.includes(m) && scope !== machine(m).definition && scope.States['Tier Provisioning Failed']) {
          expect(cause, `${m}: ${name}: the tier`).toContain('provisioning tier {}');
          expect(cause, `${m}: ${name}: the tier`).toContain('$.tier.spec.name');
        }
      }
    }
    // Named once per failure path, not per state: far fewer chains than states that fail into them.
    expect(chains.size).toBeLessThan(renames / 2);
    expect(renames).toBeGreaterThan(60);
    // Every Lambda task of the rollout names its failures so (it runs nothing else).
    const rolloutTasks = allStates(machine(ROLLOUT).definition).filter(({ state: s }) => s.Type === 'Task');
    for (const { name, state: task, scope } of rolloutTasks) {
      const all = ((task.Catch as Catcher[]) ?? []).find((c) => c.ErrorEquals.includes('States.ALL'))!;
      // Putting a batch back after a failed rollback, and waiting for its health: their failure is reported as the rollback's.
      if (name === 'Restore Traffic After Failed Rollback' || name === 'Check Restored Health') {
        expect((scope.States[all.Next]!.Parameters as Record<string, unknown>).Error, name).toBe('RollbackFailedError');
        continue;
      }
      // Putting retiring hosts back into traffic and waiting for their health (on their own or in a surge batch), or terminating a
      // failed surge batch's new hosts:
      // whether or not that works, the batch fails with the (named) error that made it do so.
      const keepsTheError: Record<string, string> = {
        'Terminate Surge Hosts': 'Surge Batch Failed',
        'Check Surge Termination': 'Surge Batch Failed',
        'Terminate Prepared Surge Hosts': 'Surge Batch Failed In Service',
        'Check Prepared Termination': 'Surge Batch Failed In Service',
      };
      // In a surge batch, by way of terminating the next batch's hosts when this one prepared them (surge-pipeline.ts).
      if (name === 'Surge Return Retiring Hosts' || name === 'Surge Check Returned Hosts') {
        const choice = 'Surge Retire Failed With Prepared Hosts?';
        // By way of the cause that says which hosts may be left out of traffic (retire-pipeline.ts).
        expect(task.Catch, name).toEqual([{ ErrorEquals: ['States.ALL'], Next: 'Surge Describe Return Failure', ResultPath: null }]);
        expect(scope.States['Surge Describe Return Failure'], name).toMatchObject({ Type: 'Pass', ResultPath: '$.failure', Next: choice });
        expect(scope.States[choice], name).toMatchObject({ Type: 'Choice', Default: 'Surge Retire Failed' });
        expect(scope.States['Surge Retire Failed'], name).toMatchObject({ Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' });
        continue;
      }
      // Preparing the next surge batch is no failure of this one: it goes on, and the next batch launches for itself.
      if (name === 'Launch Next Surge Hosts') {
        expect(task.Catch, name).toEqual([{ ErrorEquals: ['States.ALL'], Next: 'Surge Install On New Hosts', ResultPath: null }]);
        continue;
      }
      // Pointing a batch back to the old database failed: it returns to traffic; if that fails too, the segment fails
      // with that error, its cause naming the batch's hosts as possibly out of traffic.
      if (name === 'Return Batch After Failed Repoint Back' || name === 'Check Batch Back') {
        expect(task.Catch, name).toEqual([{ ErrorEquals: ['States.ALL'], Next: 'Describe Batch Left Out', ResultPath: null }]);
        const describe = scope.States['Describe Batch Left Out']!;
        expect(describe, name).toMatchObject({ Type: 'Pass', Next: 'Repoint Back Failed', ResultPath: '$.failure', Parameters: { 'Error.$': '$.failure.Error' } });
        expect((describe.Parameters as Record<string, string>)['Cause.$'], name).toContain('$.batch.label');
        expect(scope.States['Repoint Back Failed'], name).toMatchObject({ Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' });
        continue;
      }
      // Putting a retire batch back failed: the batch fails with the error that brought it back, its cause naming
      // the batch's hosts as possibly out of traffic.
      const putBack = /^(Surge )?(Return Retiring Hosts|Check Returned Hosts)$/.exec(name);
      if (putBack) {
        const prefix = putBack[1] ?? '';
        expect(task.Catch, name).toEqual([{ ErrorEquals: ['States.ALL'], Next: `${prefix}Describe Return Failure`, ResultPath: null }]);
        const describe = scope.States[`${prefix}Describe Return Failure`]!;
        expect(describe, name).toMatchObject({ Type: 'Pass', Next: `${prefix}Retire Failed`, ResultPath: '$.failure', Parameters: { 'Error.$': '$.failure.Error' } });
        expect((describe.Parameters as Record<string, string>)['Cause.$'], name).toContain('$.batch.label');
        expect(scope.States[`${prefix}Retire Failed`], name).toMatchObject({ Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' });
        continue;
      }
      if (name in keepsTheError) {
        const fail = keepsTheError[name]!;
        expect(task.Catch, name).toEqual([{ ErrorEquals: ['States.ALL'], Next: fail, ResultPath: null }]);
        expect(scope.States[fail], name).toMatchObject({ Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' });
        continue;
      }
      expect((scope.States[all.Next]!.Parameters as Record<string, unknown>)['named.$'], name).toBeDefined();
    }
  });

  it("retries transient errors on idempotent tasks, Record Release and Plan Rollback among them, and never FleetFlow's own", () => {
    for (const m of MACHINES) {
      for (const { name, state: task } of allStates(machine(m).definition)) {
        const retriers = (task.Retry as Retrier[] | undefined) ?? [];
        // No retrier of a Lambda task retries everything, nor any FleetFlow name: those are answers, not accidents.
        if (typeof task.Resource === 'string' && task.Resource.includes(':states:::')) continue;
        for (const retrier of retriers) {
          expect(retrier.ErrorEquals, `${m}: ${name}`).not.toContain('States.ALL');
          expect(retrier.ErrorEquals.filter((error) => NAMES.has(error)), `${m}: ${name}`).toEqual([]);
        }
      }
    }
    for (const [m, name] of [
      [DEPLOY, 'Record Release'],
      [DEPLOY, 'Plan Rollback'],
      [DEPLOY, 'Plan Release'],
      [ROLLOUT, 'Check Install'],
      [ROLLOUT, 'Retire Hosts'],
      [ROLLOUT, 'Check Set Up'],
      [ROLLOUT, 'Launch Surge Hosts'],
      [ROLLOUT, 'Start Retired Hosts'],
      ...COMPUTE.flatMap((m) => [
        [m, 'Launch Hosts'],
        [m, 'Store New Hosts'],
        [m, 'Clean Up Launched'],
      ]),
      // Only allocate creates or restores a database.
      [ALLOCATE, 'Create Database'],
      [ALLOCATE, 'Restore Database'],
      [ALLOCATE, 'Record Database'],
      [ALLOCATE, 'Plan Allocate'],
      [SCALE_OUT, 'Plan Scale Out'],
      [SCALE_IN, 'Plan Scale In'],
      [REPLACE, 'Plan Replace'],
      [RESTORE_DATA, 'Plan Restore Data'],
      [RESTORE_DATA, 'Restore Database'],
      [RESTORE_DATA, 'Record Database'],
      [RESTORE_DATA, 'Plan Repoint Back'],
      [RECOVER, 'Plan Recover'],
      [RECOVER, 'Report Recovery'],
    ] as const) {
      const retriers = (state(m, name).state.Retry as Retrier[]) ?? [];
      const transient = retriers.find((r) => TRANSIENT_ERRORS.every((error) => r.ErrorEquals.includes(error)));
      expect((transient?.MaxAttempts ?? 0) >= 1, `${name} is not retried on transient errors`).toBe(true);
    }
    // Tasks that must not run twice are not retried on transient errors (they are caught and named).
    for (const name of [
      'Install Release',
      'Take Batch Out',
      'Return Batch To Traffic',
      'Install On New Hosts',
      'Put New Hosts In Service',
      'Set Up Hosts',
      'Take Retiring Hosts Out',
      'Take Repoint Batch Out',
      'Reconfigure Repoint Batch',
      'Return Repoint Batch',
    ]) {
      expect(((state(ROLLOUT, name).state.Retry as Retrier[]) ?? []).some((r) => r.ErrorEquals.some((error) => TRANSIENT_ERRORS.includes(error))), name).toBe(false);
    }
  });

  it('never ends a release that passed its bake with nothing recorded and nothing rolled back, unnamed: Record Release fails ReleaseNotRecordedError, saying so', () => {
    const { state: record, scope } = state(DEPLOY, 'Record Release');
    const catchers = record.Catch as Catcher[];
    expect(catchers).toHaveLength(1);
    expect(catchers[0]!.ErrorEquals).toEqual(['States.ALL']);
    const describe = scope.States[catchers[0]!.Next]!;
    expect(describe.Type).toBe('Pass');
    const parameters = describe.Parameters as Record<string, string>;
    expect(parameters.Error).toBe('ReleaseNotRecordedError');
    expect(parameters['Cause.$']).toContain(`/fleetflow/${canonical.name}/{}/current`);
    expect(parameters['Cause.$']).toContain('none was rolled back');
    expect(parameters['Cause.$']).toContain('start the release again to record it');
    expect(scope.States[describe.Next as string]!.Type).toBe('Fail');
  });
});
