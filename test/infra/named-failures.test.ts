/**
 * Every failure named (issue 7, class 3): an execution of either workflow ends SUCCEEDED, or
 * FAILED with one of FleetFlow's error names, never with a raw SDK or runtime name
 * (TypeError, Lambda.Unknown, States.Timeout, ThrottlingException, ...).
 *
 * Checked on the synthesized definitions by following every path with, for each error object
 * in the state ($.failure, $.rollbackFailure, ...), whether its Error may be a raw name: a
 * Catch of FleetFlow names only writes a named one, any other Catch a raw one; a Pass that
 * sets Error to a FleetFlow name names it; a Choice rule that lets only FleetFlow names
 * through names it on that branch. Every Fail state must then fail with a FleetFlow name or
 * from an error object that is named on every path to it, and no error may leave a
 * workflow uncaught (a Task, Map or Parallel without a States.ALL catcher).
 *
 * (States.Runtime and States.DataLimitExceeded at the quotas cannot be caught, in AWS or in
 * the simulator: they are the one exception, bounded by the plan instead; see history-budget.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as handlerErrors from '../../lambdas/shared/errors';
import { fromTemplate, type AslDefinition, type AslState, type LocalStateMachine } from '../../lib/simulator/definition';
import { FLEETFLOW_ERRORS } from '../../statemachines/fragments/failures';
import { canonicalEnvironment, synthesizeCanonical, type SynthesizedCanonical } from './support';

const canonical = canonicalEnvironment();
const DEPLOY = `fleetflow-${canonical.name}-deploy`;
const ROLLOUT = `fleetflow-${canonical.name}-rollout`;

/** The names the workflows themselves give failures (Pass states and the approval's rejection). */
const WORKFLOW_NAMES = ['ApprovalRejectedError', 'ApprovalTimeoutError', 'EnvironmentLockedError', 'LockCorruptError', 'ReleaseNotRecordedError', 'UnexpectedTaskError'];
/** Every error class of lambdas/shared/errors.ts, by the name it fails with. */
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

/** Error objects (paths such as $.failure) whose Error may be a raw name. */
type Raw = ReadonlySet<string>;

function without(raw: Raw, path: string): Set<string> {
  if (path === '$') return new Set();
  return new Set([...raw].filter((p) => p !== path && !p.startsWith(`${path}.`)));
}

function withRaw(raw: Raw, path: string): Set<string> {
  return new Set([...raw, path]);
}

/** What a Choice rule lets through when it holds: an error object it only lets through named. */
function namedBy(rule: Record<string, unknown>): string | undefined {
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
  /** Every Fail state reached. */
  readonly fails: Set<string>;
}

/** Follows every path of a `States` scope from its start, with the error objects that may be raw on entry. */
function analyse(scope: AslDefinition, entry: Raw, where: string): Analysis {
  const violations: string[] = [];
  const escapes: string[] = [];
  const fails = new Set<string>();
  const seen = new Map<string, Set<string>>();
  const queue: Array<[string, Raw]> = [[scope.StartAt, entry]];
  const visit = (name: string, raw: Raw) => queue.push([name, raw]);
  const nested = new Map<string, Analysis[]>();

  while (queue.length > 0) {
    const [name, raw] = queue.pop()!;
    const state = scope.States[name];
    if (!state) {
      violations.push(`${where}${name}: no such state`);
      continue;
    }
    const key = [...raw].sort().join('|');
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
          if (raw.has(object)) violations.push(`${where}${name}: fails with ${state.ErrorPath}, which may hold a raw error on some path`);
        } else {
          violations.push(`${where}${name}: fails with no error name it can check (${JSON.stringify(state.ErrorPath)})`);
        }
        break;
      }
      case 'Succeed':
        break;
      case 'Wait':
        if (typeof state.Next === 'string') visit(state.Next, raw);
        break;
      case 'Choice': {
        for (const rule of (state.Choices as Array<Record<string, unknown> & { Next: string }>) ?? []) {
          const named = namedBy(rule);
          visit(rule.Next, named ? without(raw, named) : raw);
        }
        if (typeof state.Default === 'string') visit(state.Default, raw);
        break;
      }
      case 'Pass': {
        const resultPath = state.ResultPath === undefined ? '$' : (state.ResultPath as string | null);
        const value = (state.Parameters ?? state.Result) as Record<string, unknown> | undefined;
        let out: Set<string> = new Set(raw);
        if (resultPath !== null && value !== undefined) {
          out = without(raw, resultPath);
          if (typeof value === 'object' && value !== null) {
            if ('Error.$' in value || ('Error' in value && !NAMES.has(String(value.Error)))) out.add(resultPath);
            // A new state that copies an error object over keeps it raw.
            for (const [field, path] of Object.entries(value)) {
              if (field.endsWith('.$') && typeof path === 'string' && raw.has(path)) out.add(`${resultPath === '$' ? '$' : resultPath}.${field.slice(0, -2)}`);
            }
          }
        }
        if (typeof state.Next === 'string') visit(state.Next, out);
        break;
      }
      case 'Task':
      case 'Map':
      case 'Parallel': {
        const inner: Analysis[] = [];
        if (state.Type === 'Map') {
          const processor = (state.ItemProcessor ?? state.Iterator) as AslDefinition;
          inner.push(analyse(processor, state.ItemSelector ? new Set() : raw, `${where}${name} ▸ `));
        }
        for (const branch of state.Branches ?? []) inner.push(analyse(branch, raw, `${where}${name} ▸ `));
        nested.set(name, inner);
        for (const analysis of inner) violations.push(...analysis.violations);

        const resultPath = state.ResultPath === undefined ? '$' : (state.ResultPath as string | null);
        if (typeof state.Next === 'string') visit(state.Next, resultPath === null ? raw : without(raw, resultPath));
        const catchers = (state.Catch as Catcher[] | undefined) ?? [];
        for (const catcher of catchers) {
          const path = catcher.ResultPath === undefined ? '$' : catcher.ResultPath;
          if (path === null) {
            visit(catcher.Next, raw);
            continue;
          }
          const named = catcher.ErrorEquals.every((error) => NAMES.has(error));
          visit(catcher.Next, named ? without(raw, path) : withRaw(without(raw, path), path));
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
  let synth: SynthesizedCanonical;
  let machines: Map<string, LocalStateMachine>;
  const machine = (name: string) => machines.get(name)!;
  const state = (m: string, name: string) => {
    const found = allStates(machine(m).definition).filter((s) => s.name === name);
    expect(found, `${m}: ${name}`).toHaveLength(1);
    return found[0]!;
  };

  beforeAll(() => {
    synth = synthesizeCanonical();
    machines = new Map([...fromTemplate(synth.json, DEPLOY).byArn.values()].map((m) => [m.name, m]));
  });
  afterAll(() => synth?.cleanup());

  it("knows FleetFlow's names: every class of lambdas/shared/errors.ts and the workflows' own, none a raw SDK or runtime name", () => {
    expect([...FLEETFLOW_ERRORS].sort()).toEqual([...NAMES].sort());
    expect(HANDLER_NAMES).toEqual(expect.arrayContaining(['PatchFailedError', 'RollbackFailedError', 'ValidationFailedError', 'PlanExceedsQuotaError']));
    for (const name of NAMES) {
      expect(name, 'a raw-looking name').toMatch(/^[A-Z][A-Za-z]+Error$/);
      expect(['TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'Error']).not.toContain(name);
    }
  });

  it.each([DEPLOY, ROLLOUT])('%s: every Fail state fails with a FleetFlow name, on every path to it, and no error leaves it uncaught', (name) => {
    const analysis = analyse(machine(name).definition, new Set(), '');

    expect(analysis.violations).toEqual([]);
    expect(analysis.escapes, 'errors that may end the execution as they came').toEqual([]);
    expect(analysis.fails.size).toBeGreaterThan(0);
  });

  it("names each failure where it happens: no Map iteration or Parallel branch lets a raw error out (Run Release's own catch is only a backstop)", () => {
    const nested = [DEPLOY, ROLLOUT].flatMap((m) =>
      allStates(machine(m).definition).flatMap(({ name, state: s }) =>
        [s.ItemProcessor, s.Iterator, ...(s.Branches ?? [])].filter(Boolean).map((scope) => ({ name: `${m}: ${name}`, scope: scope as AslDefinition })),
      ),
    );

    expect(nested.map(({ name }) => name)).toEqual(expect.arrayContaining([`${DEPLOY}: Run Release`, `${DEPLOY}: Roll Tiers`, `${DEPLOY}: Revert Roll Segments`]));
    for (const { name, scope } of nested) expect(analyse(scope, new Set(), `${name} ▸ `).escapes, name).toEqual([]);
  });

  it('the check itself sees a raw error: a Fail reached from a States.ALL catch without a naming Pass is a violation', () => {
    const definition: AslDefinition = {
      StartAt: 'T',
      States: {
        T: { Type: 'Task', Resource: 'arn:aws:lambda:x', End: true, Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'F' }] },
        F: { Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' },
      },
    };
    expect(analyse(definition, new Set(), '').violations).toEqual(['F: fails with $.failure.Error, which may hold a raw error on some path']);
    const uncaught: AslDefinition = { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:lambda:x', End: true } } };
    expect(analyse(uncaught, new Set(), '').escapes).toEqual(['T: a Task without a States.ALL catcher']);
  });

  it('names the state, the original error and, in a batch, the tier and its hosts when it renames an error, then goes where the named errors go', () => {
    let renames = 0;
    for (const m of [DEPLOY, ROLLOUT]) {
      for (const { name, state: task, scope } of allStates(machine(m).definition)) {
        const catchers = (task.Catch as Catcher[] | undefined) ?? [];
        const all = catchers.find((c) => c.ErrorEquals.includes('States.ALL'));
        const rename = all && scope.States[all.Next];
        if (!rename || (rename.Parameters as Record<string, unknown> | undefined)?.Error !== 'UnexpectedTaskError' || !rename.Next) continue;
        renames += 1;
        const cause = (rename.Parameters as Record<string, string>)['Cause.$'];
        expect(cause, `${m}: ${name}`).toMatch(new RegExp(`^States\\.Format\\('${name.replace(/[?]/g, '\\?')} failed unexpectedly with \\{\\}`));
        expect(cause, `${m}: ${name}: the original error`).toContain(`${all.ResultPath}.Error`);
        // Bounded: the original cause (possibly large) is never copied in.
        expect(cause, `${m}: ${name}: copies a raw cause`).not.toContain('.Cause');
        expect(rename.ResultPath).toBe(all.ResultPath);
        // The renamed error goes where FleetFlow's own go.
        const named = catchers.find((c) => c !== all && [...NAMES].every((error) => c.ErrorEquals.includes(error)));
        expect(named?.Next, `${m}: ${name}: no catcher of FleetFlow's names before States.ALL`).toBe(rename.Next);
        expect(named?.ResultPath).toBe(all.ResultPath);
        if (m === ROLLOUT && name !== 'Load Batch') {
          expect(cause, `${m}: ${name}: the batch's hosts`).toContain('$.batch.label');
          expect(cause, `${m}: ${name}: the tier`).toContain('$.tier.name');
        }
      }
    }
    expect(renames).toBeGreaterThan(30);
    // Every Lambda task of the rollout names its failures so (it runs nothing else).
    const rolloutTasks = allStates(machine(ROLLOUT).definition).filter(({ state: s }) => s.Type === 'Task');
    for (const { name, state: task, scope } of rolloutTasks) {
      const all = ((task.Catch as Catcher[]) ?? []).find((c) => c.ErrorEquals.includes('States.ALL'))!;
      // Putting a batch back after a failed rollback, and waiting for its health: their failure is reported as the rollback's.
      if (name === 'Restore Traffic After Failed Rollback' || name === 'Check Restored Health') {
        expect((scope.States[all.Next]!.Parameters as Record<string, unknown>).Error, name).toBe('RollbackFailedError');
        continue;
      }
      expect((scope.States[all.Next]!.Parameters as Record<string, unknown>).Error, name).toBe('UnexpectedTaskError');
    }
  });

  it("retries unexpected errors on idempotent tasks, Record Release and Plan Rollback among them, and never FleetFlow's own", () => {
    for (const m of [DEPLOY, ROLLOUT]) {
      for (const { name, state: task } of allStates(machine(m).definition)) {
        const retriers = (task.Retry as Retrier[] | undefined) ?? [];
        const all = retriers.findIndex((r) => r.ErrorEquals.includes('States.ALL'));
        if (all < 0) continue;
        // Retriers match in order: FleetFlow's errors stop before the States.ALL one, with no attempt.
        const named = retriers.findIndex((r) => [...NAMES].every((error) => r.ErrorEquals.includes(error)));
        expect(named, `${m}: ${name}: FleetFlow errors would be retried`).toBeGreaterThanOrEqual(0);
        expect(named).toBeLessThan(all);
        expect(retriers[named]!.MaxAttempts, `${m}: ${name}`).toBe(0);
        expect(retriers[all]!.MaxAttempts ?? 3, `${m}: ${name}`).toBeGreaterThanOrEqual(1);
      }
    }
    for (const [m, name] of [
      [DEPLOY, 'Record Release'],
      [DEPLOY, 'Plan Rollback'],
      [DEPLOY, 'Plan Release'],
      [ROLLOUT, 'Check Install'],
    ] as const) {
      const retriers = (state(m, name).state.Retry as Retrier[]) ?? [];
      expect(retriers.some((r) => r.ErrorEquals.includes('States.ALL') && (r.MaxAttempts ?? 3) >= 1), `${name} is not retried on unexpected errors`).toBe(true);
    }
    // Tasks that must not run twice are not retried on unexpected errors (they are caught and named).
    for (const name of ['Install Release', 'Take Batch Out', 'Return Batch To Traffic']) {
      expect(((state(ROLLOUT, name).state.Retry as Retrier[]) ?? []).some((r) => r.ErrorEquals.includes('States.ALL')), name).toBe(false);
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
