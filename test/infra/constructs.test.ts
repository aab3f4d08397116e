/**
 * The shared constructs on their own, rendered to ASL: the long operation (start, wait,
 * check), the locked-workflow frame, and the function catalog.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { TRANSIENT_ERRORS } from '../../lambdas/shared/transient';
import { FunctionCatalog } from '../../lib/constructs/function-catalog';
import { parseEnvironment } from '../../lambdas/domain/environment/parse';
import { LockedWorkflow } from '../../statemachines/constructs/locked-workflow';
import { LongOperation } from '../../statemachines/constructs/long-operation';
import { canonicalEnvironment } from './support';

interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: Array<{ Variable: string; BooleanEquals?: boolean; Next: string }>;
  SecondsPath?: string;
  ResultPath?: string;
  Parameters?: Record<string, unknown>;
  Retry?: Array<{ ErrorEquals: string[]; MaxAttempts?: number }>;
  Catch?: Array<{ ErrorEquals: string[]; Next: string }>;
}
interface Asl {
  StartAt: string;
  States: Record<string, AslState>;
}

function render(build: (stack: Stack, fn: lambda.IFunction) => sfn.IChainable): Asl {
  const stack = new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
  const fn = lambda.Function.fromFunctionArn(stack, 'Fn', 'arn:aws:lambda:eu-west-1:123456789012:function:check');
  const chainable = build(stack, fn);
  const graph = new sfn.StateGraph(chainable.startState, 'test');
  return graph.toGraphJson() as Asl;
}

describe('LongOperation', () => {
  const build = (withStart: boolean, withCatch: boolean, neverDone = false) =>
    render((stack, fn) => {
      const failed = new sfn.Fail(stack, 'Snapshot Failed');
      const op = new LongOperation(stack, 'Snapshot', {
        resultPath: '$.snapshot',
        ...(withStart ? { start: { name: 'Create Snapshot', handler: fn, payload: { 'database.$': '$.database' }, neverDone } } : {}),
        check: { name: 'Check Snapshot', handler: fn, payload: { 'phase.$': '$.snapshot' } },
        choice: 'Snapshot Ready?',
        wait: 'Wait For Snapshot',
        ...(withCatch ? { catch: { handler: failed, resultPath: '$.failure' } } : {}),
      });
      op.next(new sfn.Pass(stack, 'Migrate'));
      return op;
    });

  it('starts, then loops Choice -> Wait (the pause the check chose) or straight to Check (a pause of 0) until the check reports done', () => {
    const asl = build(true, false);
    expect(asl.StartAt).toBe('Create Snapshot');
    expect(asl.States['Create Snapshot']!.Next).toBe('Snapshot Ready?');
    expect(asl.States['Create Snapshot']!.ResultPath).toBe('$.snapshot');
    const choice = asl.States['Snapshot Ready?']!;
    expect(choice.Choices).toEqual([
      { Variable: '$.snapshot.done', BooleanEquals: true, Next: 'Migrate' },
      // A pause of 0: the check watches again at once, without the Wait.
      { And: [{ Variable: '$.snapshot.done', BooleanEquals: false }, { Variable: '$.snapshot.waitSeconds', NumericEquals: 0 }], Next: 'Check Snapshot' },
    ]);
    expect(choice.Default).toBe('Wait For Snapshot');
    expect(asl.States['Wait For Snapshot']).toMatchObject({ SecondsPath: '$.snapshot.waitSeconds', Next: 'Check Snapshot' });
    expect(asl.States['Check Snapshot']).toMatchObject({ Next: 'Snapshot Ready?', ResultPath: '$.snapshot' });
  });

  it('sends a start that never reports done (neverDone) straight to its Wait, one transition fewer; the loop is unchanged', () => {
    const asl = build(true, false, true);
    expect(asl.States['Create Snapshot']!.Next).toBe('Wait For Snapshot');
    expect(asl.States['Wait For Snapshot']).toMatchObject({ SecondsPath: '$.snapshot.waitSeconds', Next: 'Check Snapshot' });
    expect(asl.States['Check Snapshot']!.Next).toBe('Snapshot Ready?');
    expect(asl.States['Snapshot Ready?']!.Default).toBe('Wait For Snapshot');
  });

  it('still ends a neverDone operation whose start reported done after all: Wait 0, one more check, then on', async () => {
    const asl = build(true, false, true);
    const entered: string[] = [];
    // Breaks the rule, and is still handled: the check looks again and finds the operation done.
    const look = (name: string) => async () => {
      entered.push(name);
      return { done: true, waitSeconds: 0 };
    };
    // The engine's ASL schema predates a retrier's MaxDelaySeconds and JitterStrategy: the fragment is run unvalidated.
    // Run as the template holds it (plain JSON, not the rendered graph's objects).
    const machine = new StateMachine(JSON.parse(JSON.stringify(asl)) as never, { validationOptions: { noValidate: true } });
    const run = machine.run({ database: 'db' }, { overrides: { taskResourceLocalHandlers: { 'Create Snapshot': look('Create Snapshot'), 'Check Snapshot': look('Check Snapshot') } } });
    const output = (await run.result) as { snapshot: { done: boolean } };
    expect(entered).toEqual(['Create Snapshot', 'Check Snapshot']);
    expect(output.snapshot.done).toBe(true);
  });

  it('retries the check as a task safe to repeat, and the start only against service errors and throttling', () => {
    const asl = build(true, false);
    // A task safe to repeat is retried on transient errors (lambdas/shared/transient.ts), a one-off TypeError among them.
    const transient = (state: AslState) => (state.Retry ?? []).some((r) => TRANSIENT_ERRORS.every((error) => r.ErrorEquals.includes(error)));
    expect(transient(asl.States['Check Snapshot']!)).toBe(true);
    expect(transient(asl.States['Create Snapshot']!)).toBe(false);
  });

  it('without a start task, begins at its Choice', () => {
    const asl = build(false, false);
    expect(asl.StartAt).toBe('Snapshot Ready?');
    expect(asl.States['Create Snapshot']).toBeUndefined();
  });

  it('catches both tasks, named, into the handler it is given', () => {
    const asl = build(true, true);
    for (const name of ['Create Snapshot', 'Check Snapshot']) {
      const catchers = asl.States[name]!.Catch ?? [];
      expect(catchers.at(-1)?.ErrorEquals, name).toEqual(['States.ALL']);
      // The last catcher goes to the "named?" check of the failure path: FleetFlow's errors on to the handler (after the
      // Lambda message is read), anything else renamed, then on to the handler.
      const check = asl.States[catchers.at(-1)!.Next]!;
      expect(check.Parameters?.['named.$'], name).toBeDefined();
      const choice = asl.States[check.Next!]!;
      const reader = asl.States[choice.Choices![0]!.Next]!;
      expect(reader.Default, name).toBe('Snapshot Failed');
      expect(asl.States[choice.Default!]!.Next, name).toBe('Snapshot Failed');
    }
  });
});

describe('LockedWorkflow', () => {
  it('plans, takes the lock, runs, releases the lock and notifies, on every exit of the run', () => {
    const asl = render((stack, fn) => {
      const table = dynamodb.Table.fromTableName(stack, 'Locks', 'locks');
      const frame = new LockedWorkflow(stack, 'Frame', {
        environment: parseEnvironment(canonicalEnvironment(), 'canonical'),
        label: 'Release',
        planner: fn,
        complete: { outputPath: '$.outcome' },
        lockTable: table,
        lockHolderExecutionArns: ['arn:aws:states:eu-west-1:123456789012:execution:fleetflow-canonical-deploy:*'],
        stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:fleetflow-canonical-deploy',
      });
      const work = new sfn.Pass(stack, 'Work');
      const run = new sfn.Parallel(stack, 'Run').branch(work);
      run.addCatch(frame.unlockAfterFailure, { resultPath: '$.failure' });
      run.next(frame.done);
      return frame.whileLocked(frame.notifyStarted(run));
    });
    expect(asl.StartAt).toBe('Start');
    expect(asl.States['Start']!.Next).toBe('Plan Release');
    expect(asl.States['Plan Release']!.Next).toBe('Acquire Lock');
    expect(asl.States['Acquire Lock']!.Next).toBe('Notify Started');
    expect(asl.States['Notify Started']!.Next).toBe('Run');
    expect(asl.States['Run']!.Next).toBe('Unlock');
    expect(asl.States['Run']!.Catch?.[0]?.Next).toBe('Unlock After Failure');
    expect(asl.States['Unlock']!.Next).toBe('Notify Succeeded');
    expect(asl.States['Notify Succeeded']!.Next).toBe('Release Complete');
    expect(asl.States['Unlock After Failure']!.Next).toBe('Notify Failed');
    expect(asl.States['Notify Failed']!.Next).toBe('Release Failed');
    expect(asl.States['Release Refused']?.Type).toBe('Fail');
  });
});

describe('FunctionCatalog', () => {
  // No esbuild: the functions' code is not what these tests are about.
  const unbundled = () => new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }));
  const spec = { id: 'CheckBake', handler: 'deploy/check-bake.ts', description: 'Watch the validation alarms for the bake period' };

  it('creates a function once, whichever workflow asks first', () => {
    const catalog = new FunctionCatalog(unbundled(), 'Functions');
    const first = catalog.function(spec);
    expect(catalog.function({ ...spec })).toBe(first);
    expect(catalog.functions({ checkBake: spec }).checkBake).toBe(first);
    expect(catalog.all).toHaveLength(1);
  });

  it('refuses one ID declared with two handlers', () => {
    const catalog = new FunctionCatalog(unbundled(), 'Functions');
    catalog.function(spec);
    expect(() => catalog.function({ ...spec, handler: 'deploy/preflight.ts' })).toThrow(/CheckBake.*one ID, one handler/);
  });
});
