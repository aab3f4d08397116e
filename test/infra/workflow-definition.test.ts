/**
 * The deploy workflow as synthesized: the Amazon States Language definition inside the
 * state machine's DefinitionString, with its Fn::Join resolved by the simulator's
 * `fromTemplate`, checked for the properties that keep a rolling release safe: one
 * release per environment (the lock and its release on every exit), rolling batches
 * with a rollback behind every failure, and an approval that no answer cannot pass.
 */
import aslValidator from 'asl-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forEachState, fromTemplate, type AslDefinition, type AslState, type TaskTarget } from '../../lib/simulator/definition';
import { canonicalEnvironment, lambdaFunctions, onlyResourceOfType, synthesizeCanonical, type SynthesizedCanonical } from './support';

/** The errors the Lambda service raises for transient failures of an invocation. */
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
];
/** The error names AWS APIs (and Lambda itself) use when they throttle calls. */
const THROTTLING_ERRORS = ['ThrottlingException', 'Throttling', 'RequestLimitExceeded', 'Lambda.TooManyRequestsException'];

/**
 * The error names a direct integration raises when its service throttles, by the integration's
 * resource (partition resolved to `aws`). Optimized integrations prefix the service's exception
 * (`DynamoDB.`, `SNS.`); AWS SDK integrations use `ServiceName.ExceptionName`; the optimized
 * EventBridge integration fails a throttled entry with `EventBridge.FailedEntry`.
 */
const DYNAMODB_THROTTLING = ['DynamoDB.ProvisionedThroughputExceededException', 'DynamoDB.ThrottlingException', 'DynamoDB.RequestLimitExceeded'];
const INTEGRATION_THROTTLING: Record<string, string[]> = {
  'arn:aws:states:::dynamodb:putItem': DYNAMODB_THROTTLING,
  'arn:aws:states:::dynamodb:getItem': DYNAMODB_THROTTLING,
  'arn:aws:states:::dynamodb:deleteItem': DYNAMODB_THROTTLING,
  'arn:aws:states:::aws-sdk:sfn:describeExecution': ['Sfn.ThrottlingException'],
  'arn:aws:states:::events:putEvents': ['EventBridge.FailedEntry'],
  'arn:aws:states:::sns:publish.waitForTaskToken': ['SNS.ThrottledException'],
};

/** Every Task state that is not a FleetFlow Lambda: the direct service integrations, by state name. */
const EXPECTED_INTEGRATIONS: Record<string, string> = {
  'Acquire Lock': 'arn:aws:states:::dynamodb:putItem',
  'Read Lock': 'arn:aws:states:::dynamodb:getItem',
  'Take Over Lock': 'arn:aws:states:::dynamodb:putItem',
  'Describe Lock Holder': 'arn:aws:states:::aws-sdk:sfn:describeExecution',
  Unlock: 'arn:aws:states:::dynamodb:deleteItem',
  'Unlock After Failure': 'arn:aws:states:::dynamodb:deleteItem',
  'Request Approval': 'arn:aws:states:::sns:publish.waitForTaskToken',
  'Notify Started': 'arn:aws:states:::events:putEvents',
  'Notify Approval Needed': 'arn:aws:states:::events:putEvents',
  'Notify Rolling Back': 'arn:aws:states:::events:putEvents',
  'Notify Succeeded': 'arn:aws:states:::events:putEvents',
  'Notify Failed': 'arn:aws:states:::events:putEvents',
};

/** The Map states that iterate over the batches of a tier: the release and the whole-release revert. */
const BATCH_LOOPS = ['Roll Batches', 'Revert Roll Batches'];

const canonical = canonicalEnvironment();

interface Retrier {
  ErrorEquals: string[];
  MaxAttempts?: number;
}
interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
}

/** Every state, with the `States` map it lives in (the top level or a Map's ItemProcessor). */
function allStates(definition: AslDefinition): Array<{ name: string; state: AslState }> {
  const states: Array<{ name: string; state: AslState }> = [];
  forEachState(definition, (name, state) => states.push({ name, state }));
  return states;
}

/** A retrier that retries the error at least once (MaxAttempts defaults to 3; 0 disables it). */
function retries(state: AslState, error: string): boolean {
  return ((state.Retry as Retrier[] | undefined) ?? []).some(
    (r) => (r.ErrorEquals.includes(error) || r.ErrorEquals.includes('States.ALL')) && (r.MaxAttempts ?? 3) > 0,
  );
}

function catchAllTarget(state: AslState): string | undefined {
  return ((state.Catch as Catcher[] | undefined) ?? []).find((c) => c.ErrorEquals.includes('States.ALL'))?.Next;
}

/** The first Catcher that handles the error, as the Step Functions runtime picks it. */
function catcherFor(state: AslState, error: string): Catcher | undefined {
  return ((state.Catch as Catcher[] | undefined) ?? []).find((c) => c.ErrorEquals.includes(error) || c.ErrorEquals.includes('States.ALL'));
}

/** Every state a state can hand over to: its normal transitions and its Catch targets. */
function exits(state: AslState): string[] {
  return [...successors(state), ...((state.Catch as Catcher[] | undefined) ?? []).map((c) => c.Next)];
}

/** States that end the execution (or the branch they are in) when reached: no transition out. */
function isTerminal(state: AslState): boolean {
  return state.Type === 'Succeed' || state.Type === 'Fail' || state.End === true;
}

/** Targets of the state's normal transitions: Next, Choice rules and Default (not Catch). */
function successors(state: AslState): string[] {
  const next = [state.Next, state.Default].filter((n): n is string => typeof n === 'string');
  const choices = ((state.Choices as Array<{ Next: string }> | undefined) ?? []).map((c) => c.Next);
  return [...next, ...choices];
}

/** States reachable from `start` over normal transitions and Catch targets, not walking past `stop`. */
function reachableAvoiding(states: Record<string, AslState>, start: string, stop: string): Set<string> {
  const seen = new Set<string>();
  const queue = [start];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (name === stop || seen.has(name) || !states[name]) continue;
    seen.add(name);
    queue.push(...exits(states[name]));
  }
  return seen;
}

function reachableFrom(states: Record<string, AslState>, start: string): Set<string> {
  const seen = new Set<string>();
  const queue = [start];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (seen.has(name) || !states[name]) continue;
    seen.add(name);
    queue.push(...successors(states[name]));
  }
  return seen;
}

/** The ItemProcessor of the named Map state that iterates over the batches of a tier. */
function batchLoop(definition: AslDefinition, name: string): AslDefinition {
  const loop = allStates(definition).find((s) => s.name === name)?.state.ItemProcessor;
  if (!loop) throw new Error(`the definition has no "${name}" Map with an ItemProcessor`);
  return loop;
}

/** The one state of that name anywhere in the definition. */
function stateNamed(definition: AslDefinition, name: string): AslState {
  const found = allStates(definition).filter((s) => s.name === name);
  if (found.length !== 1) throw new Error(`expected one state named "${name}", found ${found.length}`);
  return found[0]!.state;
}

/** The `States` map (top level, a Map's ItemProcessor or a Parallel branch) that holds the named state. */
function scopeOf(definition: AslDefinition, name: string): AslDefinition {
  if (name in definition.States) return definition;
  for (const state of Object.values(definition.States)) {
    for (const child of [state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])].filter(Boolean) as AslDefinition[]) {
      try {
        return scopeOf(child, name);
      } catch {
        // not in this child
      }
    }
  }
  throw new Error(`no state named "${name}"`);
}

/** The prefix of a batch loop's state names: '' for the release, 'Revert ' for the whole-release revert. */
const prefixOf = (mapName: string) => mapName.slice(0, mapName.length - 'Roll Batches'.length);

/**
 * The rollback's first state: a Choice on whether the batch's install started (IsPresent $.install),
 * with the state taken when it did and the one taken when it did not.
 */
function installStartedChoice(loop: AslDefinition, name: string): { started: string; notStarted: string } {
  const choice = loop.States[name]!;
  expect(choice.Type, `${name} is not a Choice`).toBe('Choice');
  const rules = choice.Choices as Array<{ Variable?: string; IsPresent?: boolean; Next: string }>;
  expect(rules.map(({ Next: _next, ...rule }) => rule), `${name} rules`).toEqual([{ Variable: '$.install', IsPresent: true }]);
  expect(choice.Default, `${name} has no Default`).toEqual(expect.any(String));
  return { started: rules[0]!.Next, notStarted: choice.Default as string };
}

const isCallback = (state: AslState) => /\.waitForTaskToken$|\.sync(:\d+)?$/.test(state.Resource ?? '');

describe('FleetFlow deploy workflow definition', () => {
  let synth: SynthesizedCanonical;
  let definition: AslDefinition;
  let taskHandlers: Map<string, TaskTarget>;
  /** Task state name -> the handler module of the FleetFlow function it invokes (Lambda tasks only). */
  let lambdaModules: Map<string, string>;
  /** Task state name -> the direct integration's resource (integration tasks only). */
  let integrations: Map<string, string>;
  const tasksOf = (names: Map<string, unknown>) => allStates(definition).filter(({ name, state }) => state.Type === 'Task' && names.has(name));
  /** Handler modules of the Lambda tasks reachable from `start` over normal transitions. */
  const modulesOn = (loop: AslDefinition, start: string) => new Set([...reachableFrom(loop.States, start)].flatMap((name) => lambdaModules.get(name) ?? []));

  beforeAll(() => {
    synth = synthesizeCanonical();
    ({ definition, taskHandlers } = fromTemplate(synth.json));
    lambdaModules = new Map([...taskHandlers].flatMap(([name, t]) => (t.kind === 'lambda' ? [[name, t.module] as const] : [])));
    integrations = new Map([...taskHandlers].flatMap(([name, t]) => (t.kind === 'integration' ? [[name, t.resource] as const] : [])));
  });
  afterAll(() => synth?.cleanup());

  it('is valid Amazon States Language according to asl-validator', () => {
    // The validator annotates the definition it is given, so hand it a copy.
    const result = aslValidator(structuredClone(definition));

    expect(result.errorsText('\n'), 'asl-validator errors').toBe('');
    expect(result.isValid).toBe(true);
  });

  it('bounds every execution with a definition-level TimeoutSeconds', () => {
    expect(definition.TimeoutSeconds).toEqual(expect.any(Number));
    expect(definition.TimeoutSeconds as number).toBeGreaterThan(0);
    expect(definition.TimeoutSeconds as number).toBeLessThanOrEqual(24 * 60 * 60);
  });

  it('invokes a FleetFlow function or one of the known direct integrations from every Task state', () => {
    const tasks = allStates(definition).filter(({ state }) => state.Type === 'Task');
    const handlers = new Set(lambdaFunctions(synth.json).map((f) => f.handler));

    expect(tasks.length).toBeGreaterThan(0);
    expect([...taskHandlers.keys()].sort()).toEqual(tasks.map(({ name }) => name).sort());
    // Lambda tasks invoke this stack's functions, and every function is invoked by some task.
    expect([...lambdaModules.values()].filter((module) => !handlers.has(module)), 'tasks invoking an unknown module').toEqual([]);
    expect([...handlers].filter((handler) => ![...lambdaModules.values()].includes(handler)).sort(), 'functions no task invokes').toEqual([]);
    // Any other direct integration is a new permission of the state machine: review it, then list it here.
    expect(Object.fromEntries(integrations)).toEqual(EXPECTED_INTEGRATIONS);
  });

  it('retries Lambda service errors and AWS throttling on every Lambda Task state, including those nested in Maps and the Parallel', () => {
    const tasks = tasksOf(lambdaModules);
    const missing = tasks.flatMap(({ name, state }) =>
      [...LAMBDA_SERVICE_ERRORS, ...THROTTLING_ERRORS].filter((error) => !retries(state, error)).map((error) => `${name}: ${error}`),
    );

    expect(tasks.length).toBe(lambdaModules.size);
    expect(missing, 'Task states that do not retry these errors').toEqual([]);
  });

  it("retries its service's throttling on every request-response integration Task state (lock, lock holder, notifications)", () => {
    const tasks = tasksOf(integrations).filter(({ state }) => !isCallback(state));
    const missing = tasks.flatMap(({ name, state }) => {
      const errors = INTEGRATION_THROTTLING[state.Resource!];
      if (!errors) return [`${name}: no known throttling errors for ${state.Resource}`];
      return errors.filter((error) => !retries(state, error)).map((error) => `${name}: ${error}`);
    });

    expect(tasks.length).toBeGreaterThan(0);
    expect(missing, 'integration Task states that do not retry these errors').toEqual([]);
  });

  // Without it, one throttled approval publish would be caught by States.ALL and roll back a release
  // that passed its bake.
  it("retries its service's throttling on every callback (task token) Task state", () => {
    const tasks = tasksOf(integrations).filter(({ state }) => isCallback(state));
    const missing = tasks.flatMap(({ name, state }) =>
      (INTEGRATION_THROTTLING[state.Resource!] ?? ['(no known throttling errors)']).filter((error) => !retries(state, error)).map((error) => `${name}: ${error}`),
    );

    expect(tasks.length).toBeGreaterThan(0);
    expect(missing, 'callback Task states that do not retry these errors').toEqual([]);
  });

  it('times out every Lambda Task state no sooner than the function it invokes', () => {
    const timeoutByHandler = new Map(lambdaFunctions(synth.json).map((f) => [f.handler, f.properties.Timeout as number]));

    for (const { name, state } of tasksOf(lambdaModules)) {
      expect(state.TimeoutSeconds, `${name} has no TimeoutSeconds`).toEqual(expect.any(Number));
      const lambdaTimeout = timeoutByHandler.get(lambdaModules.get(name)!)!;
      expect(lambdaTimeout, `${name}: no timeout for ${lambdaModules.get(name)}`).toEqual(expect.any(Number));
      expect(state.TimeoutSeconds as number, `${name} gives up before its Lambda can time out`).toBeGreaterThanOrEqual(lambdaTimeout);
    }
  });

  it('bounds every callback (task token) Task state with a TimeoutSeconds, and never retries its timeout', () => {
    const callbacks = tasksOf(integrations).filter(({ state }) => isCallback(state));

    expect(callbacks.map(({ name }) => name)).toEqual(['Request Approval']);
    for (const { name, state } of callbacks) {
      expect(state.TimeoutSeconds, `${name} waits for ever`).toEqual(expect.any(Number));
      expect(state.TimeoutSeconds as number).toBeGreaterThan(0);
      // A retried timeout would ask again instead of counting silence as a rejection.
      expect(retries(state, 'States.Timeout'), `${name} retries States.Timeout`).toBe(false);
    }
  });

  it.each(BATCH_LOOPS)('catches every error of every Task state in the batch loop of %s', (mapName) => {
    const loop = batchLoop(definition, mapName);
    const tasks = allStates(loop).filter(({ state }) => state.Type === 'Task');

    expect(tasks.length).toBeGreaterThan(0);
    const uncaught = tasks.filter(({ state }) => catchAllTarget(state) === undefined).map(({ name }) => name);
    expect(uncaught, 'Task states in the batch loop without a States.ALL Catch').toEqual([]);
  });

  it.each(BATCH_LOOPS)('%s: rolls a batch back when any forward step fails, and restores traffic when the rollback fails', (mapName) => {
    const loop = batchLoop(definition, mapName);
    const module = (name: string) => lambdaModules.get(name);
    // The batch starts by reading its hosts; nothing has changed yet, so a failure there fails the batch as is.
    expect(module(loop.StartAt)).toBe('deploy/load-batch.ts');
    expect(loop.States[catchAllTarget(loop.States[loop.StartAt]!)!]!.Type).toBe('Fail');
    const forward = reachableFrom(loop.States, loop.StartAt);
    const forwardTasks = [...forward].filter((name) => loop.States[name]!.Type === 'Task' && name !== loop.StartAt);

    // Every forward task falls back to one and the same rollback, which starts by asking whether the install started.
    const rollbackStarts = new Set(forwardTasks.map((name) => catchAllTarget(loop.States[name]!)));
    expect(rollbackStarts.size).toBe(1);
    const [rollbackStart] = [...rollbackStarts] as [string];
    expect(forward.has(rollbackStart)).toBe(false);
    const { started, notStarted } = installStartedChoice(loop, rollbackStart);
    expect(rollbackStart).toBe(`${prefixOf(mapName)}Install Started?`);

    // Install started: take the batch out, drain it, reinstall the previous release, return it, check its health.
    expect(module(started)).toBe('deploy/take-out-of-traffic.ts');
    const reinstall = modulesOn(loop, started);
    for (const step of ['deploy/check-drained.ts', 'deploy/install-release.ts', 'deploy/check-install.ts', 'deploy/return-to-traffic.ts', 'deploy/check-healthy.ts']) {
      expect(reinstall.has(step), `${started} never reaches ${step}`).toBe(true);
    }
    // Not started: the hosts still run the previous release; they only go back into traffic, by the same return step.
    expect(notStarted).toBe(`${prefixOf(mapName)}Return Batch After Rollback`);
    expect(module(notStarted)).toBe('deploy/return-to-traffic.ts');
    expect(reachableFrom(loop.States, started).has(notStarted), `${notStarted} is not the return step of the reinstall`).toBe(true);
    const onlyReturn = modulesOn(loop, notStarted);
    expect(onlyReturn.has('deploy/install-release.ts'), `${notStarted} reinstalls hosts whose install never started`).toBe(false);
    expect(onlyReturn.has('deploy/take-out-of-traffic.ts')).toBe(false);
    expect(onlyReturn.has('deploy/check-healthy.ts'), `${notStarted} never checks the health of the returned batch`).toBe(true);

    // Every rollback task falls back to putting the batch back into traffic.
    const rollback = reachableFrom(loop.States, rollbackStart);
    const rollbackTasks = [...rollback].filter((name) => loop.States[name]!.Type === 'Task');
    const restores = new Set(rollbackTasks.map((name) => catchAllTarget(loop.States[name]!)));
    expect(restores.size).toBe(1);
    const [restore] = [...restores] as [string];
    expect(rollback.has(restore)).toBe(false);
    expect(module(restore)).toBe('deploy/return-to-traffic.ts');

    // A rolled-back batch, or a failed rollback, fails the execution: no path ends in success.
    const terminal = (names: Iterable<string>) =>
      [...names].filter((name) => successors(loop.States[name]!).length === 0).map((name) => loop.States[name]!.Type);
    expect(new Set(terminal(rollback))).toEqual(new Set(['Fail']));
    expect(new Set(terminal(reachableFrom(loop.States, restore)))).toEqual(new Set(['Fail']));
  });

  // Install Release may fail after sending to some hosts: the batch must then count as started, so its
  // rollback reinstalls the previous release instead of returning half-installed hosts to traffic.
  it.each(BATCH_LOOPS)('%s: marks the install started ($.install) before Install Release sends anything', (mapName) => {
    const loop = batchLoop(definition, mapName);
    const prefix = prefixOf(mapName);
    const mark = `${prefix}Mark Install Started`;
    const install = `${prefix}Install Release`;
    const markState = loop.States[mark];

    expect(lambdaModules.get(install)).toBe('deploy/install-release.ts');
    expect(markState?.Type, `${mark} is not a Pass`).toBe('Pass');
    expect(markState!.ResultPath).toBe('$.install');
    expect(markState!.Result, `${mark} writes no value to $.install`).toEqual(expect.any(Object));
    expect(markState!.Next).toBe(install);
    // The mark is the only way into Install Release: no path from the batch's start avoids it.
    expect(reachableAvoiding(loop.States, loop.StartAt, mark).has(install), `a path reaches ${install} without ${mark}`).toBe(false);
    expect(reachableFrom(loop.States, loop.StartAt).has(mark), `${mark} is never reached`).toBe(true);
    // Nothing before the mark writes $.install, so a failure there still counts as not started.
    const itemSelector = (stateNamed(definition, mapName).ItemSelector ?? {}) as Record<string, unknown>;
    expect(Object.keys(itemSelector).filter((key) => key.replace(/\.\$$/, '') === 'install'), `${mapName} hands each batch an $.install`).toEqual([]);
    const beforeMark = [...reachableAvoiding(loop.States, loop.StartAt, mark)];
    expect(beforeMark.filter((name) => /^\$\.install(\.|$)/.test(String(loop.States[name]!.ResultPath))), 'states that write $.install before the mark').toEqual([]);

    // A failure while sending keeps the mark ($.failure, not $.install) and leads to the reinstall.
    const catcher = catcherFor(loop.States[install]!, 'States.ALL')!;
    expect(catcher.ResultPath).toBe('$.failure');
    const { started } = installStartedChoice(loop, catcher.Next);
    expect(modulesOn(loop, started).has('deploy/install-release.ts'), `a failed ${install} does not reinstall`).toBe(true);
  });

  it('waits between polls with a pause computed by the check (SecondsPath), never a fixed sleep', () => {
    const waits = allStates(definition).filter(({ state }) => state.Type === 'Wait');

    expect(waits.length).toBeGreaterThan(0);
    for (const { name, state } of waits) {
      expect(state.SecondsPath, `${name} has no SecondsPath`).toEqual(expect.stringMatching(/^\$\./));
      expect(state.Seconds, `${name} sleeps a fixed time`).toBeUndefined();
      expect(state.Timestamp, `${name} sleeps until a fixed time`).toBeUndefined();
    }
  });

  it('rolls (and reverts) one tier and one batch at a time', () => {
    const maps = allStates(definition).filter(({ state }) => state.Type === 'Map');

    expect(maps.map(({ name }) => name).sort()).toEqual(['Revert Roll Batches', 'Revert Roll Tiers', 'Roll Batches', 'Roll Tiers']);
    for (const { name, state } of maps) expect(state.MaxConcurrency, name).toBe(1);
  });

  it('checks the tier alarms after every batch of the release, and runs the revert with the same pipeline', () => {
    const forward = batchLoop(definition, 'Roll Batches');
    const revert = batchLoop(definition, 'Revert Roll Batches');
    const modules = (loop: AslDefinition) => new Set(Object.keys(loop.States).flatMap((name) => lambdaModules.get(name) ?? []));

    expect(modules(forward).has('deploy/check-alarms.ts')).toBe(true);
    // The revert is the release pipeline with its state names prefixed, minus the alarm gate.
    const unprefixed = Object.keys(revert.States).map((name) => name.replace(/^Revert /, ''));
    expect(Object.keys(revert.States).every((name) => name.startsWith('Revert '))).toBe(true);
    expect(unprefixed.sort()).toEqual(Object.keys(forward.States).filter((name) => name !== 'Check Alarms').sort());
  });

  describe('environment lock', () => {
    let top: AslDefinition['States'];
    /** DynamoDB parameters of a lock state, as the direct integration receives them. */
    const params = (name: string) => stateNamed(definition, name).Parameters as Record<string, unknown>;
    const lockKey = () => ({ environment: { S: canonical.name } });
    const executionId = { 'S.$': '$$.Execution.Id' };

    beforeAll(() => {
      top = definition.States;
    });

    it('takes the lock before anything else, and enters Run Release only holding it', () => {
      // Before Acquire Lock only states that touch nothing (Pass, Choice) may run.
      const before: string[] = [];
      const walk = (name: string) => {
        if (name === 'Acquire Lock' || before.includes(name)) return;
        before.push(name);
        for (const next of exits(top[name]!)) walk(next);
      };
      walk(definition.StartAt);
      expect(top['Acquire Lock'], 'no Acquire Lock state at the top level').toBeDefined();
      expect(before.filter((name) => !['Pass', 'Choice'].includes(top[name]!.Type)), 'states that run before the lock is taken').toEqual([]);
      expect(before).not.toContain('Run Release');
      expect(top['Run Release']?.Type).toBe('Parallel');
      expect(top['Run Release']?.Branches).toHaveLength(1);
      // The lock is held after a successful Acquire Lock or Take Over Lock, and only then.
      const intoRelease = Object.entries(top)
        .filter(([, state]) => successors(state).includes('Run Release'))
        .map(([name]) => name)
        .sort();
      expect(intoRelease).toEqual(['Acquire Lock', 'Take Over Lock']);
      for (const name of intoRelease) {
        expect(top[name]!.Next, name).toBe('Run Release');
        expect(catcherFor(top[name]!, 'States.ALL')?.Next, `${name} enters the release on an error`).not.toBe('Run Release');
      }
    });

    it('acquires the lock with a conditional PutItem: attribute_not_exists(environment)', () => {
      expect(integrations.get('Acquire Lock')).toBe('arn:aws:states:::dynamodb:putItem');
      const p = params('Acquire Lock');
      expect(p.TableName).toEqual(expect.any(String));
      expect(p.ConditionExpression).toBe('attribute_not_exists(environment)');
      expect(p.Item).toMatchObject({ ...lockKey(), holder: executionId });
    });

    it('takes over only the stale holder it read (holder = :stale), and only when that execution is not running', () => {
      const p = params('Take Over Lock');
      expect(p.ConditionExpression).toBe('holder = :stale');
      expect(p.ExpressionAttributeValues).toEqual({ ':stale': { 'S.$': '$.lock.Item.holder.S' } });
      expect(p.Item).toMatchObject({ ...lockKey(), holder: executionId });
      expect(p.TableName).toBe(params('Acquire Lock').TableName);

      // The holder's status decides: a RUNNING holder ends the execution (locked), without a takeover.
      const running = (top['Lock Holder Running?']!.Choices as Array<{ Variable: string; StringEquals?: string; Next: string }>).find(
        (c) => c.StringEquals === 'RUNNING',
      );
      expect(running, 'no RUNNING rule in "Lock Holder Running?"').toBeDefined();
      const whenRunning = reachableFrom(top, running!.Next);
      expect(whenRunning.has('Take Over Lock')).toBe(false);
      expect(whenRunning.has('Run Release')).toBe(false);
      expect([...whenRunning].filter((name) => isTerminal(top[name]!)).map((name) => top[name]!.Type)).toEqual(['Fail']);
    });

    it.each(['Unlock', 'Unlock After Failure'])('%s deletes the lock only while this execution holds it (holder = :me)', (name) => {
      expect(integrations.get(name)).toBe('arn:aws:states:::dynamodb:deleteItem');
      const p = params(name);
      expect(p.ConditionExpression).toBe('holder = :me');
      expect(p.ExpressionAttributeValues).toEqual({ ':me': executionId });
      expect(p.Key).toEqual(lockKey());
      expect(p.TableName).toBe(params('Acquire Lock').TableName);
    });

    it("passes through an Unlock state on every path out of 'Run Release', success and failure", () => {
      const unlocks = new Set(
        Object.entries(top)
          .filter(([, s]) => s.Resource === 'arn:aws:states:::dynamodb:deleteItem' && (s.Parameters as { ConditionExpression?: string })?.ConditionExpression === 'holder = :me')
          .map(([name]) => name),
      );
      expect([...unlocks].sort()).toEqual(['Unlock', 'Unlock After Failure']);

      const runRelease = top['Run Release']!;
      // An error the Parallel does not catch would end the execution holding the lock.
      expect(catchAllTarget(runRelease), 'Run Release has no States.ALL Catch').toBeDefined();
      expect(runRelease.End, 'Run Release ends the execution').toBeUndefined();

      // Walk every path from the Parallel's exits; stop at an Unlock; anything else that ends the execution leaks the lock.
      const leaks: string[] = [];
      const reached = new Set<string>();
      const walk = (name: string, path: string[]) => {
        if (unlocks.has(name)) {
          reached.add(name);
          return;
        }
        if (path.includes(name)) return;
        const state = top[name];
        if (!state) return void leaks.push(`${[...path, name].join(' -> ')} (unknown state)`);
        if (isTerminal(state)) return void leaks.push([...path, name].join(' -> '));
        if ((state.Type === 'Task' || state.Type === 'Parallel' || state.Type === 'Map') && !catchAllTarget(state)) {
          leaks.push(`${[...path, name].join(' -> ')} (may fail uncaught)`);
        }
        for (const next of exits(state)) walk(next, [...path, name]);
      };
      for (const next of exits(runRelease)) walk(next, ['Run Release']);

      expect(leaks, 'paths out of Run Release that do not unlock').toEqual([]);
      expect(runRelease.Next, 'success path').toBeDefined();
      expect(reached).toEqual(new Set(['Unlock', 'Unlock After Failure']));
    });
  });

  describe('approval', () => {
    const approval = () => stateNamed(definition, 'Request Approval');
    const timeoutSeconds = canonical.validation?.approval?.timeoutSeconds;

    it('asks through SNS with a task token (sns:publish.waitForTaskToken) on the notifications topic', () => {
      const state = approval();
      expect(state.Type).toBe('Task');
      expect(state.Resource).toMatch(/^arn:[\w-]+:states:::sns:publish\.waitForTaskToken$/);
      const topicId = onlyResourceOfType(synth.json, 'AWS::SNS::Topic');
      const parameters = state.Parameters as { TopicArn: string; Message: Record<string, unknown> };
      expect(parameters.TopicArn).toMatch(new RegExp(`:${topicId}$`));
      expect(Object.values(parameters.Message)).toContain('$$.Task.Token');
    });

    it('gives up after environments/canonical.json validation.approval.timeoutSeconds', () => {
      expect(timeoutSeconds, 'canonical.json has no validation.approval.timeoutSeconds').toEqual(expect.any(Number));
      expect(approval().TimeoutSeconds).toBe(timeoutSeconds);
      expect(approval().HeartbeatSeconds).toBeUndefined();
    });

    it('catches States.Timeout and treats no answer as a rejection: the release is never recorded on that path', () => {
      const timeoutCatch = catcherFor(approval(), 'States.Timeout');
      expect(timeoutCatch?.ErrorEquals).toContain('States.Timeout');

      const scope = scopeOf(definition, 'Request Approval');
      const afterTimeout = reachableFrom(scope.States, timeoutCatch!.Next);
      expect(afterTimeout.has('Record Release'), 'an unanswered approval reaches Record Release').toBe(false);
      expect(afterTimeout.has('Failure Policy?')).toBe(true);
      // Without an answer, the only ends are failures (halted, rolled back, or rollback failed).
      const ends = [...afterTimeout].filter((name) => isTerminal(scope.States[name]!)).map((name) => scope.States[name]!.Type);
      expect(new Set(ends)).toEqual(new Set(['Fail']));
    });

    // An approval may take hours: the alarms are read once more before the release counts as good.
    it("confirms the alarms after the approval: a zero-length bake check (validation/check-bake.ts) before 'Record Release'", () => {
      const confirm = stateNamed(definition, 'Confirm Alarms');
      const parameters = confirm.Parameters as { phase?: { startedAt?: unknown; deadline?: unknown }; [key: string]: unknown };

      expect(approval().Next).toBe('Confirm Alarms');
      expect(confirm.Type).toBe('Task');
      expect(lambdaModules.get('Confirm Alarms')).toBe('validation/check-bake.ts');
      expect(confirm.Next).toBe('Record Release');
      // The environment's own validation alarms, of this release.
      const bakeParameters = stateNamed(definition, 'Check Bake').Parameters as Record<string, unknown>;
      expect(parameters['validation.$']).toEqual(expect.any(String));
      expect(parameters['validation.$']).toBe(bakeParameters['validation.$']);
      expect(parameters['release.$']).toBe(bakeParameters['release.$']);
      // A zero-length phase: one look at the alarms, no bake to wait out.
      expect(parameters.phase?.startedAt).toEqual(expect.any(Number));
      expect(parameters.phase?.deadline).toBe(parameters.phase?.startedAt);
      // An alarm in ALARM (or any error) goes to the failure policy, as a failed bake does.
      const catcher = catcherFor(confirm, 'States.ALL');
      expect(catcher?.Next).toBe('Failure Policy?');
      expect(catcher?.Next).toBe(catchAllTarget(stateNamed(definition, 'Check Bake')));
      expect(catcher?.ResultPath).toBe('$.failure');
    });

    it("reaches 'Record Release' from 'Request Approval' only through 'Confirm Alarms'", () => {
      const scope = scopeOf(definition, 'Request Approval');
      expect(scope).toBe(scopeOf(definition, 'Confirm Alarms'));

      // Every exit of the approval, answered or not, success or error.
      const avoiding = reachableAvoiding(scope.States, 'Request Approval', 'Confirm Alarms');
      expect(avoiding.has('Record Release'), "a path from 'Request Approval' skips 'Confirm Alarms'").toBe(false);
      expect(reachableFrom(scope.States, 'Request Approval').has('Record Release')).toBe(true);
    });
  });
});
