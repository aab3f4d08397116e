/**
 * The workflows as synthesized: the Amazon States Language definitions inside the state
 * machines' DefinitionStrings, with their intrinsics resolved by the simulator's
 * `fromTemplate`, checked for the properties that keep a rolling release safe. The deploy
 * workflow (fleetflow-<env>-deploy): one release per environment (the lock and its release
 * on every exit), tiers rolled segment by segment in child executions whose failure fails
 * the release into its rollback, and an approval that no answer cannot pass. The compute
 * workflows (fleetflow-<env>-allocate, -scale-out, -replace): the same lock, released on every
 * exit, and the same child. The rollout workflow (fleetflow-<env>-rollout), each such child:
 * its batches one at a time, each by the pipeline of the segment's mode: a release (or
 * revert) batch with a rollback behind every failure; a batch of new hosts (provision) that
 * fails, named, for its parent to terminate them; a batch of retiring hosts (retire) that
 * goes back into traffic if it fails once it left; a batch of hosts pointed to another database
 * (repoint, and its undoing, repoint-back). The data workflows: restore-data
 * (fleetflow-<env>-restore-data) takes the same lock and repoints through the same child;
 * recover (fleetflow-<env>-recover) takes none and runs allocate, restore-data and deploy as
 * its parts, one after the other.
 */
import aslValidator from 'asl-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKFLOW_TIMEOUT } from '../../lib/fleetflow-stack';
import { ERROR_NAMES_MAPPING, ERROR_NAMES_MAPPING_KEYS, FLEETFLOW_ERRORS, LAMBDA_CAUSE_PATTERN } from '../../statemachines/constructs/failures';
import { forEachState, fromTemplate, type AslDefinition, type AslState, type LocalStateMachine } from '../../lib/simulator/definition';
import { repositoryGraph } from '../unit/import-graph';
import { canonicalEnvironment, lambdaFunctions, onlyResourceOfType, sharedCanonical, type CanonicalTemplate } from './support';

/** The errors the Lambda service raises for transient failures of an invocation. */
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
];
/** The error name Step Functions gives an invocation Lambda throttled. */
const LAMBDA_THROTTLING = 'Lambda.TooManyRequestsException';
/**
 * The names each service throttles with, as the handlers meet them (the SDK v3 names: EC2's RequestLimitExceeded,
 * the query APIs' Throttling and the ThrottlingException of their Common Errors, the JSON APIs' ThrottlingException, DynamoDB's three), written out here, not imported,
 * so that a name dropped from lambdas/shared/throttling.ts fails this test.
 */
const SERVICE_THROTTLING: Record<string, string[]> = {
  cloudwatch: ['Throttling', 'ThrottlingException'],
  dynamodb: ['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded'],
  ec2: ['RequestLimitExceeded'],
  elbv2: ['Throttling', 'ThrottlingException'],
  rds: ['Throttling', 'ThrottlingException'],
  ssm: ['ThrottlingException'],
};
/** Every throttling name any service raises: a task retries one only if a service its handler calls raises it. */
const ANY_SERVICE_THROTTLING = new Set(Object.values(SERVICE_THROTTLING).flat());

/** The services whose client modules (lambdas/shared/aws/<service>.ts) a handler module reaches in TypeScript's import graph. */
function servicesReached(graph: Map<string, string[]>, handler: string): string[] {
  const seen = new Set([`lambdas/${handler}`]);
  const queue = [...seen];
  for (let m = queue.shift(); m !== undefined; m = queue.shift()) {
    for (const next of graph.get(m) ?? []) {
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(next);
    }
  }
  return Object.keys(SERVICE_THROTTLING).filter((s) => seen.has(`lambdas/shared/aws/${s}.ts`));
}

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
  'arn:aws:states:::aws-sdk:sfn:listExecutions': ['Sfn.ThrottlingException'],
  'arn:aws:states:::events:putEvents': ['EventBridge.FailedEntry'],
  'arn:aws:states:::sns:publish.waitForTaskToken': ['SNS.ThrottledException'],
  // Starting a child past the account's running-executions quota (AWS's own example retries it).
  'arn:aws:states:::states:startExecution.sync:2': ['StepFunctions.ExecutionLimitExceeded'],
};

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
/** The compute workflows: allocate, scale out, replace. */
const COMPUTE = [ALLOCATE, SCALE_OUT, REPLACE];
/** The workflows that take the environment's one lock: every workflow a person (or a schedule) starts but recover, whose parts take it. */
const LOCKING = [DEPLOY, ...COMPUTE, SCALE_IN, RESTORE_DATA, REPLACE_DATABASE];
/** The locking workflows whose plan can find nothing to change (its `nothingToDo`): they end before the lock. */
const NOTHING_TO_DO = [ALLOCATE, REPLACE];
const MACHINES = [DEPLOY, ROLLOUT, ...COMPUTE, SCALE_IN, RESTORE_DATA, RECOVER, REPLACE_DATABASE];

/** Each locking workflow's planner: the one Lambda task it runs before it takes the lock. */
const PLANNERS: Record<string, { task: string; module: string }> = {
  [DEPLOY]: { task: 'Plan Release', module: 'deploy/plan-release.ts' },
  [ALLOCATE]: { task: 'Plan Allocate', module: 'compute/plan-allocation.ts' },
  [SCALE_OUT]: { task: 'Plan Scale Out', module: 'compute/plan-scale-out.ts' },
  [SCALE_IN]: { task: 'Plan Scale In', module: 'compute/plan-scale-in.ts' },
  [REPLACE]: { task: 'Plan Replace', module: 'compute/plan-replacement.ts' },
  [RESTORE_DATA]: { task: 'Plan Restore Data', module: 'restore-data/plan-restore-data.ts' },
  [REPLACE_DATABASE]: { task: 'Plan Replace Database', module: 'replace-database/plan-replace-database.ts' },
};

const START_CHILD = 'arn:aws:states:::states:startExecution.sync:2';
const PUT_EVENTS = 'arn:aws:states:::events:putEvents';
/** The lock (constructs/lock.ts) and the milestones every locking workflow notifies. */
const LOCK_INTEGRATIONS: Record<string, string> = {
  'Acquire Lock': 'arn:aws:states:::dynamodb:putItem',
  'Read Lock': 'arn:aws:states:::dynamodb:getItem',
  'Take Over Lock': 'arn:aws:states:::dynamodb:putItem',
  'Describe Lock Holder': 'arn:aws:states:::aws-sdk:sfn:describeExecution',
  'List Running Releases': 'arn:aws:states:::aws-sdk:sfn:listExecutions',
  'Take Over Malformed Lock': 'arn:aws:states:::dynamodb:putItem',
  Unlock: 'arn:aws:states:::dynamodb:deleteItem',
  'Unlock After Failure': 'arn:aws:states:::dynamodb:deleteItem',
  'Notify Started': PUT_EVENTS,
  'Notify Succeeded': PUT_EVENTS,
  'Notify Failed': PUT_EVENTS,
  'Notify Refused': PUT_EVENTS,
};
/** Every Task state of the deploy workflow that is not a FleetFlow Lambda: the direct service integrations, by state name. */
const DEPLOY_INTEGRATIONS: Record<string, string> = {
  ...LOCK_INTEGRATIONS,
  'Request Approval': 'arn:aws:states:::sns:publish.waitForTaskToken',
  'Notify Approval Needed': PUT_EVENTS,
  'Notify Rolling Back': PUT_EVENTS,
  'Roll Out Segment': START_CHILD,
  'Revert Roll Out Segment': START_CHILD,
};
/** The child executions of the rollout workflow each workflow starts, by Task state name. */
const CHILD_STARTS: Record<string, string[]> = {
  [DEPLOY]: ['Roll Out Segment', 'Revert Roll Out Segment'],
  [ALLOCATE]: ['Provision Roll Out Segment'],
  [SCALE_OUT]: ['Provision Roll Out Segment'],
  [SCALE_IN]: ['Remove Roll Out Segment'],
  [REPLACE]: ['Provision Roll Out Segment', 'Retire Roll Out Segment', 'Retire Lost Roll Out Segment'],
  [RESTORE_DATA]: ['Repoint Roll Out Segment', 'Repoint Back Roll Out Segment'],
  [RECOVER]: [],
  [ROLLOUT]: [],
  // Replace-database changes no host: RDS switches the endpoint over.
  [REPLACE_DATABASE]: [],
};
/** Recover's parts: an execution of another workflow of the environment each, in this order, by Task state name. */
const RECOVER_PARTS: Array<[string, string]> = [
  ['Allocate Environment', ALLOCATE],
  ['Restore Environment Data', RESTORE_DATA],
  ['Release Recorded Release', DEPLOY],
];
const computeIntegrations = (m: string) => ({ ...LOCK_INTEGRATIONS, ...Object.fromEntries(CHILD_STARTS[m]!.map((name) => [name, START_CHILD])) });
/** The direct integrations of each state machine. The rollout workflow only calls FleetFlow functions; recover takes no lock. */
const EXPECTED_INTEGRATIONS: Record<string, Record<string, string>> = {
  [DEPLOY]: DEPLOY_INTEGRATIONS,
  [ROLLOUT]: {},
  ...Object.fromEntries([...COMPUTE, SCALE_IN, RESTORE_DATA, REPLACE_DATABASE].map((m) => [m, computeIntegrations(m)])),
  [RECOVER]: {
    'Notify Started': PUT_EVENTS,
    'Notify Succeeded': PUT_EVENTS,
    'Notify Failed': PUT_EVENTS,
    'Notify Refused': PUT_EVENTS,
    ...Object.fromEntries(RECOVER_PARTS.map(([name]) => [name, START_CHILD])),
  },
};
/** Each Roll Segments Map (one tier's segments, one child at a time), by the state machine and prefix that name it. */
const SEGMENT_ROLLS: Array<[string, string]> = [
  [DEPLOY, ''],
  [DEPLOY, 'Revert '],
  ...COMPUTE.map((m) => [m, 'Provision '] as [string, string]),
  [REPLACE, 'Retire '],
  [REPLACE, 'Retire Lost '],
  [SCALE_IN, 'Remove '],
  [RESTORE_DATA, 'Repoint '],
  [RESTORE_DATA, 'Repoint Back '],
];

/** The prefixes of the two Roll Tiers of the deploy workflow: '' for the release, 'Revert ' for the whole-release revert. */
const ROLLS = ['', 'Revert '];

/** The rollout workflow's batch pipelines. */
const PIPELINES = ['release', 'provision', 'retire', 'restore', 'surge', 'repoint', 'repoint-back'] as const;
type Pipeline = (typeof PIPELINES)[number];

/** A Standard workflow's execution may not run longer than a year. */
const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;

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
type AslChoiceRule = Record<string, unknown> & { Next: string };
/** A long operation's "watch now" rule (a pause of 0 runs the check again without a Wait): the rules these tests look at are the others. */
function notWatchNow(rule: AslChoiceRule): boolean {
  return !JSON.stringify(rule.And ?? '').includes('waitSeconds');
}

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

/**
 * The catcher every failure of the state ends up at. With a named catch (statemachines/constructs/failures.ts),
 * FleetFlow's errors go there directly and any other error through a Pass that names it, then there too
 * (test/infra/named-failures.test.ts checks that): that catcher is the one returned. Otherwise the States.ALL one.
 */
function failureCatcher(state: AslState): Catcher | undefined {
  const catchers = (state.Catch as Catcher[] | undefined) ?? [];
  const all = catchers.find((c) => c.ErrorEquals.includes('States.ALL'));
  if (!all) return undefined;
  // A named failure passes the chain that tells it from others (failures.ts `catchNamed`; named-failures.test.ts checks
  // that the renamed ones go the same way), and a Lambda task's own the Choice that reads the message out of the
  // runtime's JSON cause, then goes on there.
  const kept = namingChecks.get(all.Next);
  if (kept === undefined) return all;
  return { ...all, Next: messageReaders.get(kept) ?? kept };
}

/** The Choices that read a Lambda cause's message before a failure path (failures.ts `lambdaMessage`), by name: where they lead. */
const messageReaders = new Map<string, string>();
/** The "named?" checks of failure paths (failures.ts `catchNamed`), by name: where a named failure goes on. */
const namingChecks = new Map<string, string>();

function catchAllTarget(state: AslState): string | undefined {
  return failureCatcher(state)?.Next;
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

/** States reachable from `start` over normal transitions and Catch targets, not walking past `stop` (one state, or any of a set). */
function reachableAvoiding(states: Record<string, AslState>, start: string, stop: string | ReadonlySet<string>): Set<string> {
  const seen = new Set<string>();
  const queue = [start];
  const stops = typeof stop === 'string' ? new Set([stop]) : stop;
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (stops.has(name) || seen.has(name) || !states[name]) continue;
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

/** The ItemProcessor of the named Map state. */
function itemProcessor(definition: AslDefinition, name: string): AslDefinition {
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

/**
 * The rollback's first state: a Choice on whether the batch's install started (IsPresent $.install),
 * with the state taken when it did and the one taken when it did not.
 */
/**
 * The rollback's first question: did the install start? It starts the moment the drain is done (Batch Drained? leads
 * straight to Install Release), so: a drain phase that says done. Two Choices, so that the phase's `done` is read only
 * when there is one (a rule on a missing path fails the state); either "no" goes to the same return step.
 */
function installStartedChoice(loop: AslDefinition, name: string): { started: string; notStarted: string } {
  const choice = loop.States[name]!;
  expect(choice.Type, `${name} is not a Choice`).toBe('Choice');
  const rules = choice.Choices as Array<{ Variable?: string; IsPresent?: boolean; BooleanEquals?: boolean; Next: string }>;
  expect(rules.map(({ Next: _next, ...rule }) => rule), `${name} rules`).toEqual([{ Variable: '$.drain.done', IsPresent: true }]);
  expect(choice.Default, `${name} has no Default`).toEqual(expect.any(String));
  const drained = loop.States[rules[0]!.Next]!;
  expect(drained.Type, `${rules[0]!.Next} is not a Choice`).toBe('Choice');
  const drainedRules = drained.Choices as typeof rules;
  expect(drainedRules.map(({ Next: _next, ...rule }) => rule), `${rules[0]!.Next} rules`).toEqual([{ Variable: '$.drain.done', BooleanEquals: true }]);
  expect(drained.Default, `${rules[0]!.Next}: not drained goes where no drain goes`).toBe(choice.Default);
  return { started: drainedRules[0]!.Next, notStarted: choice.Default as string };
}

const isCallback = (state: AslState) => /\.waitForTaskToken$|\.sync(:\d+)?$/.test(state.Resource ?? '');

describe('FleetFlow workflow definitions', () => {
  let synth: CanonicalTemplate;
  /** Every state machine of the stack, by name. */
  let machines: Map<string, LocalStateMachine>;
  /** The deploy workflow's definition (the entry a person starts). */
  let definition: AslDefinition;
  /** The rollout workflow's definition: one segment of a tier's batches, run as a child execution. */
  let rollout: AslDefinition;
  /** The ARN the deploy workflow starts its children by. */
  let rolloutArn: string;
  /** Per state machine: Task state name -> the handler module of the FleetFlow function it invokes (Lambda tasks only). */
  let lambdaModulesOf: Map<string, Map<string, string>>;
  /** Per state machine: Task state name -> the direct integration's resource (integration tasks only). */
  let integrationsOf: Map<string, Map<string, string>>;
  /** The deploy workflow's Lambda tasks. */
  let lambdaModules: Map<string, string>;
  /** The rollout workflow's Lambda tasks. */
  let rolloutModules: Map<string, string>;
  const machine = (name: string) => {
    const found = machines.get(name);
    if (!found) throw new Error(`no state machine named ${name}`);
    return found;
  };
  /** Every Task state of every state machine whose name is in its machine's map. */
  const tasksOf = (namesOf: Map<string, Map<string, unknown>>) =>
    MACHINES.flatMap((m) =>
      allStates(machine(m).definition)
        .filter(({ name, state }) => state.Type === 'Task' && namesOf.get(m)!.has(name))
        .map((task) => ({ ...task, machine: m })),
    );
  /** Handler modules of the Lambda tasks reachable from `start` over normal transitions. */
  const modulesOn = (loop: AslDefinition, start: string, modules: Map<string, string>) =>
    new Set([...reachableFrom(loop.States, start)].flatMap((name) => modules.get(name) ?? []));

  beforeAll(() => {
    synth = sharedCanonical();
    const workflows = fromTemplate(synth.json, DEPLOY, synth.definitions);
    machines = new Map([...workflows.byArn.values()].map((m) => [m.name, m]));
    for (const m of machines.values()) {
      forEachState(m.definition, (name, state) => {
        const rules = (state.Choices as Array<{ StringMatches?: string }> | undefined) ?? [];
        if (rules.length === 1 && rules[0]!.StringMatches === LAMBDA_CAUSE_PATTERN) messageReaders.set(name, state.Default as string);
      });
      // A check: Pass (named.$) -> Choice (named? -> on).
      forEachState(m.definition, (name, state) => {
        if (state.Type !== 'Pass' || typeof (state.Parameters as Record<string, unknown> | undefined)?.['named.$'] !== 'string') return;
        const choice = scopeOf(m.definition, name).States[state.Next as string]!;
        namingChecks.set(name, (choice.Choices as Array<{ Next: string }>)[0]!.Next);
      });
    }
    definition = workflows.entry.definition;
    rollout = machine(ROLLOUT).definition;
    rolloutArn = machine(ROLLOUT).arn;
    lambdaModulesOf = new Map(
      [...machines].map(([name, m]) => [name, new Map([...m.taskHandlers].flatMap(([task, t]) => (t.kind === 'lambda' ? [[task, t.module] as const] : [])))]),
    );
    integrationsOf = new Map(
      [...machines].map(([name, m]) => [name, new Map([...m.taskHandlers].flatMap(([task, t]) => (t.kind === 'integration' ? [[task, t.resource] as const] : [])))]),
    );
    lambdaModules = lambdaModulesOf.get(DEPLOY)!;
    rolloutModules = lambdaModulesOf.get(ROLLOUT)!;
  });
  afterAll(() => synth?.cleanup());

  it('are the deploy workflow, the allocate, scale-out and replace workflows, the restore-data and recover workflows, and the rollout workflow they start', () => {
    expect([...machines.keys()].sort()).toEqual([...MACHINES].sort());
  });

  it.each(MACHINES)('%s is valid Amazon States Language according to asl-validator', (name) => {
    // The validator annotates the definition it is given, so hand it a copy.
    const result = aslValidator(structuredClone(machine(name).definition));

    expect(result.errorsText('\n'), 'asl-validator errors').toBe('');
    expect(result.isValid).toBe(true);
  });

  it.each(MACHINES)('bounds every execution of %s with a definition-level TimeoutSeconds: the workflow timeout', (name) => {
    const timeout = machine(name).definition.TimeoutSeconds;

    expect(timeout).toEqual(expect.any(Number));
    expect(timeout as number).toBeGreaterThan(0);
    expect(timeout as number).toBeLessThanOrEqual(ONE_YEAR_SECONDS);
    expect(timeout).toBe(WORKFLOW_TIMEOUT.toSeconds());
  });

  it("holds FleetFlow's error names once in the template, and every named? check and child-failure check resolves to all of them", () => {
    // The list, as States.Array's arguments, is a Mapping value; the raw template holds it nowhere else.
    const list = FLEETFLOW_ERRORS.map((name) => `'${name}'`).join(',');
    const [key, attribute] = ERROR_NAMES_MAPPING_KEYS;
    const mappings = (synth.json as { Mappings?: Record<string, Record<string, Record<string, unknown>>> }).Mappings;
    expect(mappings?.[ERROR_NAMES_MAPPING]?.[key]?.[attribute]).toBe(list);
    const raw = JSON.stringify(synth.json);
    expect(raw.split(list).length - 1).toBe(1);
    // Resolved as CloudFormation resolves it, each check names every FleetFlow error: none lost, none added.
    const checks = MACHINES.flatMap((m) =>
      allStates(machine(m).definition).flatMap(({ name, state }) => {
        const named = (state.Parameters as Record<string, unknown> | undefined)?.['named.$'];
        return typeof named === 'string' ? [{ name, named }] : [];
      }),
    );
    expect(checks.length).toBeGreaterThan(70);
    for (const { name, named } of checks) expect(named, name).toMatch(new RegExp(`^States\\.ArrayContains\\(States\\.Array\\(${list}\\), \\$[.A-Za-z]*\\.Error\\)$`));
  });

  it('invokes a FleetFlow function or one of the known direct integrations from every Task state of every state machine', () => {
    const handlers = new Set(lambdaFunctions(synth.json).map((f) => f.handler));
    const invoked = new Set(MACHINES.flatMap((m) => [...lambdaModulesOf.get(m)!.values()]));

    for (const m of MACHINES) {
      const tasks = allStates(machine(m).definition).filter(({ state }) => state.Type === 'Task');
      const modules = [...lambdaModulesOf.get(m)!.values()];
      expect(tasks.length, m).toBeGreaterThan(0);
      expect([...machine(m).taskHandlers.keys()].sort(), m).toEqual(tasks.map(({ name }) => name).sort());
      // Lambda tasks invoke this stack's functions.
      expect(modules.filter((module) => !handlers.has(module)), `${m}: tasks invoking an unknown module`).toEqual([]);
      // Any other direct integration is a new permission of the state machine: review it, then list it here.
      expect(Object.fromEntries(integrationsOf.get(m)!), m).toEqual(EXPECTED_INTEGRATIONS[m]);
    }
    // Every function is invoked by some task of some state machine.
    expect([...handlers].filter((handler) => !invoked.has(handler)).sort(), 'functions no task invokes').toEqual([]);
  });

  it("starts every child of every workflow but recover from the rollout workflow, recover's parts from allocate, restore-data and deploy, and waits for each (startExecution.sync:2)", () => {
    const starts = tasksOf(integrationsOf).filter(({ state }) => /:states:::states:startExecution/.test(state.Resource ?? ''));
    const partOf = new Map(RECOVER_PARTS);

    expect(starts.map(({ machine: m, name }) => `${m}: ${name}`).sort()).toEqual(
      [
        ...Object.entries(CHILD_STARTS).flatMap(([m, names]) => names.map((name) => `${m}: ${name}`)),
        ...RECOVER_PARTS.map(([name]) => `${RECOVER}: ${name}`),
      ].sort(),
    );
    expect(starts.filter(({ machine: m }) => m === ROLLOUT), 'the rollout workflow starts children').toEqual([]);
    for (const { machine: m, name, state } of starts) {
      expect(state.Resource, name).toBe('arn:aws:states:::states:startExecution.sync:2');
      const expected = m === RECOVER ? machine(partOf.get(name)!).arn : rolloutArn;
      expect((state.Parameters as { StateMachineArn?: string }).StateMachineArn, `${m}: ${name}`).toBe(expected);
    }
  });

  it("retries Lambda service errors and the throttling of every service its handler calls on every Lambda Task state of every workflow, including those nested in Maps and Parallels", () => {
    const graph = repositoryGraph();
    const tasks = tasksOf(lambdaModulesOf);
    const servicesOf = (m: string, name: string) => servicesReached(graph, lambdaModulesOf.get(m)!.get(name)!);
    const missing = tasks.flatMap(({ machine: m, name, state }) =>
      [...LAMBDA_SERVICE_ERRORS, LAMBDA_THROTTLING, ...servicesOf(m, name).flatMap((s) => SERVICE_THROTTLING[s]!)]
        .filter((error) => !retries(state, error))
        .map((error) => `${m}: ${name}: ${error}`),
    );
    // The other way round: a service's throttling name on a task whose handler calls no service that raises it is template weight for nothing.
    const extra = tasks.flatMap(({ machine: m, name, state }) => {
      const own = new Set(servicesOf(m, name).flatMap((s) => SERVICE_THROTTLING[s]!));
      const listed = ((state.Retry as Retrier[] | undefined) ?? []).flatMap((r) => r.ErrorEquals);
      return listed.filter((error) => ANY_SERVICE_THROTTLING.has(error) && !own.has(error)).map((error) => `${m}: ${name}: ${error}`);
    });

    expect(tasks.length).toBe(MACHINES.reduce((n, m) => n + lambdaModulesOf.get(m)!.size, 0));
    for (const m of MACHINES) expect(tasks.some(({ machine: mm }) => mm === m), m).toBe(true);
    // Not vacuous: tasks whose handlers call EC2, SSM, RDS, ELBv2, CloudWatch and DynamoDB, and some that call none.
    const called = new Set(tasks.flatMap(({ machine: m, name }) => servicesOf(m, name)));
    expect([...called].sort()).toEqual(Object.keys(SERVICE_THROTTLING).sort());
    expect(tasks.some(({ machine: m, name }) => servicesOf(m, name).length === 0)).toBe(true);
    expect(missing, 'Task states that do not retry these errors').toEqual([]);
    expect(extra, "Task states that retry a throttling name none of their handler's services raises").toEqual([]);
  });

  it('backs off exponentially on every Lambda Task retrier: its pause doubles after each attempt (BackoffRate 2, written or left to the default)', () => {
    // Step Functions: "BackoffRate (Optional) The multiplier by which the retry interval increases during each attempt (2.0 by default)".
    const retriers = tasksOf(lambdaModulesOf).flatMap(({ machine: m, name, state }) =>
      ((state.Retry as Array<{ ErrorEquals: string[]; BackoffRate?: number }> | undefined) ?? []).map((r) => ({ at: `${m}: ${name}`, rate: r.BackoffRate ?? 2 })),
    );
    expect(retriers.length).toBeGreaterThan(150);
    expect(retriers.filter(({ rate }) => rate !== 2).map(({ at }) => at)).toEqual([]);
  });

  it("retries its service's throttling on every request-response integration Task state (lock, lock holder, notifications)", () => {
    const tasks = tasksOf(integrationsOf).filter(({ state }) => !isCallback(state));
    const missing = tasks.flatMap(({ name, state }) => {
      const errors = INTEGRATION_THROTTLING[state.Resource!];
      if (!errors) return [`${name}: no known throttling errors for ${state.Resource}`];
      return errors.filter((error) => !retries(state, error)).map((error) => `${name}: ${error}`);
    });

    expect(tasks.length).toBeGreaterThan(0);
    expect(missing, 'integration Task states that do not retry these errors').toEqual([]);
  });

  // Without it, one throttled approval publish (or one child started past the quota) would be caught by
  // States.ALL and roll back a release that had nothing wrong with it.
  it("retries its service's throttling on every callback (task token) and child-execution Task state", () => {
    const tasks = tasksOf(integrationsOf).filter(({ state }) => isCallback(state));
    const missing = tasks.flatMap(({ name, state }) =>
      (INTEGRATION_THROTTLING[state.Resource!] ?? ['(no known throttling errors)']).filter((error) => !retries(state, error)).map((error) => `${name}: ${error}`),
    );

    expect(tasks.length).toBeGreaterThan(0);
    expect(missing, 'callback Task states that do not retry these errors').toEqual([]);
  });

  it('times out every Lambda Task state of every workflow no sooner than the function it invokes', () => {
    const timeoutByHandler = new Map(lambdaFunctions(synth.json).map((f) => [f.handler, f.properties.Timeout as number]));
    const tasks = tasksOf(lambdaModulesOf);

    expect(tasks.length).toBeGreaterThan(0);
    for (const { machine: m, name, state } of tasks) {
      const module = lambdaModulesOf.get(m)!.get(name)!;
      expect(state.TimeoutSeconds, `${name} has no TimeoutSeconds`).toEqual(expect.any(Number));
      const lambdaTimeout = timeoutByHandler.get(module)!;
      expect(lambdaTimeout, `${name}: no timeout for ${module}`).toEqual(expect.any(Number));
      expect(state.TimeoutSeconds as number, `${name} gives up before its Lambda can time out`).toBeGreaterThanOrEqual(lambdaTimeout);
    }
  });

  it('bounds every callback (task token) and child-execution Task state with a TimeoutSeconds, and never retries its timeout', () => {
    const callbacks = tasksOf(integrationsOf).filter(({ state }) => isCallback(state));

    expect(callbacks.map(({ machine: m, name }) => `${m}: ${name}`).sort()).toEqual(
      [
        `${DEPLOY}: Request Approval`,
        ...Object.entries(CHILD_STARTS).flatMap(([m, names]) => names.map((name) => `${m}: ${name}`)),
        ...RECOVER_PARTS.map(([name]) => `${RECOVER}: ${name}`),
      ].sort(),
    );
    for (const { name, state } of callbacks) {
      expect(state.TimeoutSeconds, `${name} waits for ever`).toEqual(expect.any(Number));
      expect(state.TimeoutSeconds as number).toBeGreaterThan(0);
      // A retried timeout would ask again instead of counting silence as a rejection, or start a second child.
      expect(retries(state, 'States.Timeout'), `${name} retries States.Timeout`).toBe(false);
    }
  });

  describe('rollout workflow: the batches of a segment', () => {
    /** The state the segment's first batch starts in: Load Batch, the segment's start. */
    let batchStart: string;
    /** The Choice each mode's batches loop through between batches ("More ... Batches?"), one per pipeline. */
    let loopChoices: Set<string>;
    /** The release pipeline's loop Choice. */
    let moreBatches: string;
    /** The Choice after Load Batch that picks the batch's pipeline by the segment's mode. */
    let batchMode: string;
    /**
     * The first state of each pipeline: release (the Choice's Default: a release batch or its revert), provision (new
     * hosts), retire (replaced hosts), restore (hosts a surge stopped, brought back by a rollback), surge (a release
     * batch of a tier whose batches are replaced by new hosts rather than reinstalled), repoint (hosts pointed to a
     * restored database) and repoint-back (pointed back to the previous one when a repoint failed).
     */
    let starts: Record<Pipeline, string>;
    /** The states of each pipeline, its failure paths included, up to its step to the next batch (not included). */
    let own: Record<Pipeline, Set<string>>;
    /** The tasks that step to the next batch, building its state and loading its hosts ("Load Next ... Batch"). */
    let nextSteps: Set<string>;
    const module = (name: string) => rolloutModules.get(name);
    const tasksIn = (names: Iterable<string>) => [...names].filter((name) => rollout.States[name]!.Type === 'Task');
    /** Where a task's failure goes: the named catcher's target, which the renaming Pass of anything else leads to as well. */
    // Anything else is renamed first, then goes the same way (named-failures.test.ts checks the renaming).
    const failureGoesTo = (name: string) => failureCatcher(rollout.States[name]!)!.Next;
    /** The states of pipelines other than the release's: they have their own semantics, checked on their own. */
    const notRelease = (name: string) => PIPELINES.some((p) => p !== 'release' && own[p].has(name));

    beforeAll(() => {
      batchStart = rollout.StartAt;
      expect(rollout.States[batchStart]!.Type, `${batchStart} is not a Task`).toBe('Task');
      batchMode = rollout.States[batchStart]!.Next as string;
      // A loop Choice: its one rule steps to the next batch (a Load Batch task), its default ends the segment.
      loopChoices = new Set(
        Object.entries(rollout.States)
          .filter(([, st]) => st.Type === 'Choice' && ((st.Choices as Array<{ Next: string }> | undefined) ?? []).some((rule) => module(rule.Next) === 'rollout/load-batch.ts'))
          .map(([name]) => name),
      );
      moreBatches = 'More Batches?';
      expect(loopChoices.has(moreBatches)).toBe(true);
      const mode = rollout.States[batchMode]!;
      expect(mode.Type, `${batchMode} is not a Choice`).toBe('Choice');
      const next = (rule: Record<string, unknown>) =>
        (mode.Choices as Array<Record<string, unknown> & { Next: string }>).find((r) => JSON.stringify({ ...r, Next: undefined }) === JSON.stringify({ ...rule, Next: undefined }))?.Next;
      starts = {
        release: mode.Default as string,
        provision: next({ Variable: '$.mode', StringEquals: 'provision' })!,
        retire: next({ Variable: '$.mode', StringEquals: 'retire' })!,
        restore: next({ Variable: '$.mode', StringEquals: 'restore' })!,
        surge: next({ Variable: '$.tier.surge', IsPresent: true })!,
        repoint: next({ Variable: '$.mode', StringEquals: 'repoint' })!,
        'repoint-back': next({ Variable: '$.mode', StringEquals: 'repoint-back' })!,
      };
      nextSteps = new Set([...loopChoices].flatMap((name) => (rollout.States[name]!.Choices as Array<{ Next: string }>).map((rule) => rule.Next)));
      own = Object.fromEntries(PIPELINES.map((p) => [p, reachableAvoiding(rollout.States, starts[p], loopChoices)])) as Record<Pipeline, Set<string>>;
    });

    it("picks each batch's pipeline after Load Batch ('Batch Mode?'): by the segment's mode, then a surge tier's release, the release pipeline otherwise", () => {
      expect(batchMode).toBe('Batch Mode?');
      expect(module(batchStart)).toBe('rollout/load-batch.ts');
      // The modes first: a repoint, repoint-back, provision, retire or restore segment never takes the surge (or release) path.
      expect(rollout.States[batchMode]!.Choices).toEqual([
        { Variable: '$.mode', StringEquals: 'repoint', Next: 'Check Repoint Capacity' },
        { Variable: '$.mode', StringEquals: 'repoint-back', Next: 'Check Repoint Back Capacity' },
        { Variable: '$.mode', StringEquals: 'provision', Next: 'Start Set Up' },
        { Variable: '$.mode', StringEquals: 'retire', Next: 'Check Retire Capacity' },
        { Variable: '$.mode', StringEquals: 'restore', Next: 'Start Retired Hosts' },
        { Variable: '$.tier.surge', IsPresent: true, Next: 'Launch Surge Hosts' },
      ]);
      expect(starts.release).toBe('Check Capacity');
    });

    it('runs each pipeline on states of its own, and loops back to it only through its own Choice and its own step to the next batch (the mode is chosen once per segment)', () => {
      for (const p of PIPELINES) {
        for (const q of PIPELINES) if (p < q) expect([...own[p]].filter((name) => own[q].has(name)), `${p} and ${q} share`).toEqual([]);
      }
      const loopOf = (p: Pipeline) => [...loopChoices].filter((name) => [...own[p]].some((state) => successors(rollout.States[state]!).includes(name)));
      const expected: Record<Pipeline, [string, string]> = {
        release: ['More Batches?', 'Load Next Batch'],
        // A surge batch is a release batch too: what its drain and install took goes to the next batch.
        surge: ['More Surge Batches?', 'Load Next Surge Batch'],
        provision: ['More New Batches?', 'Load Next New Batch'],
        retire: ['More Retired Batches?', 'Load Next Retired Batch'],
        restore: ['More Restored Batches?', 'Load Next Restored Batch'],
        // What a repointed batch's drain and reconfigure took goes to the next batch, forward or back.
        repoint: ['More Repointed Batches?', 'Load Next Repointed Batch'],
        'repoint-back': ['More Repointed Back Batches?', 'Load Next Repointed Back Batch'],
      };
      for (const p of PIPELINES) {
        const [more, loadNext] = expected[p];
        expect(loopOf(p), p).toEqual([more]);
        const choice = rollout.States[more]!;
        // Another batch while this one is not the segment's last: its state is built and its hosts loaded, then the same pipeline.
        expect(choice.Choices, more).toEqual([{ Variable: '$.index', NumericLessThanPath: '$.last', Next: loadNext }]);
        expect(choice.Default, more).toBe('Segment Done');
        expect(module(loadNext), loadNext).toBe('rollout/load-batch.ts');
        expect(rollout.States[loadNext]!.Next, loadNext).toBe(starts[p]);
      }
      expect(nextSteps).toEqual(new Set(PIPELINES.map((p) => expected[p][1])));
      // The step's result is the state (no ResultPath): the function returns the state it is given, with the batch.
      for (const name of [rollout.StartAt, ...nextSteps]) {
        expect(rollout.States[name]!.ResultPath, name).toBeUndefined();
        const parameters = rollout.States[name]!.Parameters as Record<string, unknown>;
        // The segment's mode is carried from batch to batch unchanged: a segment never switches pipelines.
        expect(parameters['mode.$'], name).toBe('$.mode');
        expect(parameters['tier.$'], name).toBe('$.tier');
      }
      expect((rollout.States[rollout.StartAt]!.Parameters as Record<string, unknown>)['index.$']).toBe('$.segment.first');
      for (const name of nextSteps) expect((rollout.States[name]!.Parameters as Record<string, unknown>)['index.$'], name).toBe('States.MathAdd($.index, 1)');
    });

    it('loops over its batches one after another, and succeeds only once every batch is through', () => {
      const choice = rollout.States[moreBatches]!;
      const done = rollout.States[choice.Default as string]!;

      expect(allStates(rollout).filter(({ state }) => ['Map', 'Parallel'].includes(state.Type)).map(({ name }) => name)).toEqual([]);
      expect(done.Type === 'Succeed' || (done.Type === 'Pass' && done.End === true), `${choice.Default} does not end the segment`).toBe(true);
      // The only successful end is the one the loops reach once no batch is left.
      const ends = Object.entries(rollout.States).filter(([, state]) => state.Type === 'Succeed' || state.End === true);
      expect(ends.map(([name]) => name)).toEqual([choice.Default]);
      for (const name of loopChoices) expect(rollout.States[name]!.Default, name).toBe(choice.Default);
      // Every batch that gets through comes back to its loop.
      for (const p of PIPELINES) expect([...loopChoices].some((name) => reachableFrom(rollout.States, starts[p]).has(name)), `${p} never returns to a loop`).toBe(true);
    });

    it('catches every error of every Task state', () => {
      const tasks = allStates(rollout).filter(({ state }) => state.Type === 'Task');

      expect(tasks.length).toBeGreaterThan(0);
      const uncaught = tasks.filter(({ state }) => catchAllTarget(state) === undefined).map(({ name }) => name);
      expect(uncaught, 'Task states of the rollout workflow without a States.ALL Catch').toEqual([]);
    });

    // The release pipeline (a release or its revert): the provision and retire pipelines have their own semantics, checked below.
    it('rolls a release batch back when any forward step fails, and restores traffic when the rollback fails', () => {
      const loop = rollout;
      // The batch starts by reading its hosts; nothing of it has changed yet, so a failure there fails the batch as is.
      for (const name of [batchStart, ...nextSteps]) {
        expect(module(name)).toBe('rollout/load-batch.ts');
        expect(loop.States[catchAllTarget(loop.States[name]!)!]!.Type, name).toBe('Fail');
      }
      const forward = new Set([...reachableFrom(loop.States, batchStart)].filter((name) => !notRelease(name)));
      expect(forward.has(starts.release)).toBe(true);
      // Check Capacity runs before anything leaves service: its failures end the batch with no task run (nothing to undo).
      const capacityTasks = [...forward].filter((name) => loop.States[name]!.Type === 'Task' && module(name) === 'rollout/check-capacity.ts');
      expect(capacityTasks.length).toBeGreaterThan(0);
      for (const name of capacityTasks) {
        const onFailure = reachableFrom(loop.States, catchAllTarget(loop.States[name]!)!);
        expect([...onFailure].filter((state) => loop.States[state]!.Type === 'Task'), `${name} failure path`).toEqual([]);
      }
      const forwardTasks = [...forward].filter((name) => loop.States[name]!.Type === 'Task' && name !== batchStart && !nextSteps.has(name) && !capacityTasks.includes(name));

      // Every forward task falls back to one and the same rollback, which starts by asking whether the install started.
      const rollbackStarts = new Set(forwardTasks.map((name) => catchAllTarget(loop.States[name]!)));
      expect(rollbackStarts.size).toBe(1);
      const [rollbackStart] = [...rollbackStarts] as [string];
      expect(forward.has(rollbackStart)).toBe(false);
      const { started, notStarted } = installStartedChoice(loop, rollbackStart);
      expect(rollbackStart).toBe('Install Started?');

      // Install started: take the batch out, drain it, reinstall the previous release, return it, check its health.
      expect(module(started)).toBe('rollout/take-out-of-traffic.ts');
      const reinstall = modulesOn(loop, started, rolloutModules);
      for (const step of ['rollout/check-drained.ts', 'rollout/install-release.ts', 'rollout/check-install.ts', 'rollout/return-to-traffic.ts', 'rollout/check-healthy.ts']) {
        expect(reinstall.has(step), `${started} never reaches ${step}`).toBe(true);
      }
      // Not started: the hosts still run the previous release; they only go back into traffic, by the same return step.
      expect(notStarted).toBe('Return Batch After Rollback');
      expect(module(notStarted)).toBe('rollout/return-to-traffic.ts');
      expect(reachableFrom(loop.States, started).has(notStarted), `${notStarted} is not the return step of the reinstall`).toBe(true);
      const onlyReturn = modulesOn(loop, notStarted, rolloutModules);
      expect(onlyReturn.has('rollout/install-release.ts'), `${notStarted} reinstalls hosts whose install never started`).toBe(false);
      expect(onlyReturn.has('rollout/take-out-of-traffic.ts')).toBe(false);
      expect(onlyReturn.has('rollout/check-healthy.ts'), `${notStarted} never checks the health of the returned batch`).toBe(true);

      // Every rollback task falls back to putting the batch back into traffic.
      const rollback = reachableFrom(loop.States, rollbackStart);
      const rollbackTasks = [...rollback].filter((name) => loop.States[name]!.Type === 'Task');
      const restores = new Set(rollbackTasks.map((name) => catchAllTarget(loop.States[name]!)));
      expect(restores.size).toBe(1);
      const [restore] = [...restores] as [string];
      expect(rollback.has(restore)).toBe(false);
      expect(module(restore)).toBe('rollout/return-to-traffic.ts');

      // A rolled-back batch, or a failed rollback, fails the execution: no path ends in success, nor goes on to another batch.
      const terminal = (names: Iterable<string>) =>
        [...names].filter((name) => successors(loop.States[name]!).length === 0).map((name) => loop.States[name]!.Type);
      expect(new Set(terminal(rollback))).toEqual(new Set(['Fail']));
      expect(new Set(terminal(reachableFrom(loop.States, restore)))).toEqual(new Set(['Fail']));
      expect([...loopChoices].filter((name) => rollback.has(name)), 'a rolled-back batch goes on to the next batch').toEqual([]);
    });

    // Install Release may fail after sending to some hosts: the batch must then count as started, so its
    // rollback reinstalls the previous release instead of returning half-installed hosts to traffic.
    it('counts a release batch as started once its drain is done, the only way into Install Release, and starts every batch without a drain phase', () => {
      const loop = rollout;
      const install = 'Install Release';
      expect(module(install)).toBe('rollout/install-release.ts');
      // Install Release is reached only from the drain's Choice, on its done rule: drained is started.
      expect(Object.entries(loop.States).filter(([, state]) => successors(state).includes(install)).map(([name]) => name)).toEqual(['Batch Drained?']);
      expect((loop.States['Batch Drained?']!.Choices as AslChoiceRule[]).filter(notWatchNow)).toEqual([{ Variable: '$.drain.done', BooleanEquals: true, Next: install }]);
      // Nothing but the drain's tasks writes $.drain before the install, so a failure earlier counts as not started.
      const beforeInstall = [...reachableAvoiding(loop.States, loop.StartAt, install)].filter((name) => !notRelease(name));
      expect(beforeInstall).toContain(starts.release);
      const writers = beforeInstall.filter((name) => /^\$\.drain(\.|$)/.test(String(loop.States[name]!.ResultPath)));
      expect(writers.sort()).toEqual(['Check Drain', 'Take Batch Out']);
      // Each batch starts from a state built afresh (Load Batch, and the step to the next batch: the function returns
      // what it is given, with the batch, as the state), so the previous batch's $.drain never reaches the next batch.
      const steps = [loop.StartAt, ...nextSteps];
      expect(steps.length).toBeGreaterThanOrEqual(2);
      for (const name of steps) {
        const state = loop.States[name]!;
        expect(module(name), name).toBe('rollout/load-batch.ts');
        expect(state.ResultPath, `${name} merges into the state instead of replacing it`).toBeUndefined();
        expect(state.OutputPath ?? '$', name).toBe('$');
        const keys = Object.keys((state.Parameters ?? {}) as Record<string, unknown>).map((key) => key.replace(/\.\$$/, ''));
        expect(keys.length, `${name} builds no state`).toBeGreaterThan(0);
        expect(keys.filter((key) => key === 'drain' || key === 'install'), `${name} hands the next batch a phase of this one`).toEqual([]);
      }

      // A failure while sending keeps the drain's phase ($.failure is where the error goes) and leads to the reinstall.
      const catcher = failureCatcher(loop.States[install]!)!;
      expect(catcher.ResultPath).toBe('$.failure');
      const { started } = installStartedChoice(loop, catcher.Next);
      expect(modulesOn(loop, started, rolloutModules).has('rollout/install-release.ts'), `a failed ${install} does not reinstall`).toBe(true);
    });

    it("checks the tier's alarms after every batch when asked to ($.checkAlarms), before the next batch", () => {
      // The release's gate; a surge batch and a repoint batch have their own, checked below.
      const checkAlarms = [...rolloutModules].filter(([name, m]) => m === 'rollout/check-alarms.ts' && !notRelease(name)).map(([name]) => name);
      expect([...rolloutModules].filter(([, m]) => m === 'rollout/check-alarms.ts').map(([name]) => name).sort()).toEqual(
        ['Check Alarms', 'Check Repoint Alarms', 'Surge Check Alarms'].sort(),
      );
      expect(checkAlarms).toHaveLength(1);
      const [check] = checkAlarms as [string];
      // The gate is a rule of the health's own Choice: healthy and $.checkAlarms true runs the check, healthy otherwise
      // goes on (the rule for the check first: a Choice takes the first rule that matches).
      const gateOf = (healthy: string, health: string, alarms: string, more: string) => {
        expect((rollout.States[healthy]!.Choices as AslChoiceRule[]).filter(notWatchNow), healthy).toEqual([
          { And: [{ Variable: `${health}.done`, BooleanEquals: true }, { Variable: '$.checkAlarms', BooleanEquals: true }], Next: alarms },
          { Variable: `${health}.done`, BooleanEquals: true, Next: more },
        ]);
        expect(rollout.States[alarms]!.Next, alarms).toBe(more);
      };
      gateOf('Batch Healthy?', '$.health', check, moreBatches);
      // No batch of a release reaches the next one without passing the gate.
      expect(reachableAvoiding(rollout.States, starts.release, 'Batch Healthy?').has(moreBatches), `a release batch reaches ${moreBatches} around its gate`).toBe(false);
      const nextSurgeBatch = 'More Surge Batches?';
      // A surge batch passes its own gate on the same flag, ruled in the Choice that ends its stop (no Choice of the gate's
      // own), and an alarm fails it, named, before the next batch: each rule that goes on to the next batch comes after
      // the same rule with $.checkAlarms, which goes to the gate (a Choice takes the first rule that matches).
      const surgeGate = 'Surge Hosts Retired?';
      const surgeRules = rollout.States[surgeGate]!.Choices as AslChoiceRule[];
      const onward = surgeRules.flatMap((rule, i) => (rule.Next === nextSurgeBatch ? [i] : []));
      expect(onward).toHaveLength(2);
      for (const i of onward) {
        const { Next: _next, ...when } = surgeRules[i]!;
        const gated = { And: [when, { Variable: '$.checkAlarms', BooleanEquals: true }], Next: 'Surge Check Alarms' };
        expect(surgeRules.slice(0, i), `${JSON.stringify(when)} goes to the gate first`).toContainEqual(gated);
      }
      expect(rollout.States[surgeGate]!.Default).not.toBe(nextSurgeBatch);
      expect(rollout.States['Surge Check Alarms']!.Next).toBe(nextSurgeBatch);
      expect(reachableAvoiding(rollout.States, starts.surge, surgeGate).has(nextSurgeBatch), 'a surge batch reaches the next one around its gate').toBe(false);
      // A repointed batch passes its own gate on the same flag before the next repointed batch; pointing back has none
      // (the failure that sent it back may still fire them), and reaches no alarm check at all.
      gateOf('Repoint Batch Healthy?', '$.health', 'Check Repoint Alarms', 'More Repointed Batches?');
      expect(reachableAvoiding(rollout.States, starts.repoint, 'Repoint Batch Healthy?').has('More Repointed Batches?'), 'a repoint batch reaches the next one around its gate').toBe(false);
      expect([...own['repoint-back']].filter((name) => module(name) === 'rollout/check-alarms.ts')).toEqual([]);
      // An alarm in ALARM (or any error of the check) rolls the batch back, as a failed health check does.
      expect(catchAllTarget(rollout.States[check]!)).toBe('Install Started?');
      // The flag comes with the segment's input and is carried from batch to batch.
      for (const name of [rollout.StartAt, ...nextSteps]) {
        expect((rollout.States[name]!.Parameters as Record<string, unknown>)['checkAlarms.$'], name).toBe('$.checkAlarms');
      }
    });

    /** The states with a normal transition (not a catch) into the named one. */
    const into = (name: string) => Object.entries(rollout.States).filter(([, state]) => successors(state).includes(name)).map(([n]) => n);
    /** Everything that can run once the task's failure is caught, named or renamed. */
    const afterFailure = (name: string) => reachableFrom(rollout.States, catcherFor(rollout.States[name]!, 'States.ALL')!.Next);
    const ends = (names: Iterable<string>) => [...names].filter((name) => isTerminal(rollout.States[name]!));
    const throttleAttempts = (name: string) =>
      ((rollout.States[name]!.Retry as Retrier[] | undefined) ?? []).find((r) => r.ErrorEquals.includes('ThrottlingException'))?.MaxAttempts ?? 0;
    const modulesOf = (names: string[]) => Object.fromEntries(names.map((name) => [name, module(name)]));
    /** The states of a provision or retire pipeline, as the rollout runs it on its own ('') or inside a surge batch ('Surge '). */
    const pipelineStates = (start: string) => reachableAvoiding(rollout.States, start, loopChoices);
    const PROVISION_TASKS = {
      'Set Up Hosts': 'compute/set-up-hosts.ts',
      'Set Up Next Step': 'compute/set-up-hosts.ts',
      'Check Set Up': 'compute/check-set-up.ts',
      'Install On New Hosts': 'rollout/install-release.ts',
      'Check New Hosts Install': 'rollout/check-install.ts',
      'Put New Hosts In Service': 'rollout/return-to-traffic.ts',
      'Check New Hosts Health': 'rollout/check-healthy.ts',
    };
    /** What a failed surge batch terminates of the next batch's hosts it prepared (surge-pipeline.ts). */
    const PREPARED_CLEANUP = { 'Terminate Prepared Surge Hosts': 'compute/terminate-launched.ts', 'Check Prepared Termination': 'compute/terminate-launched.ts' };
    const RETIRE_TASKS = {
      'Check Retire Capacity': 'rollout/check-capacity.ts',
      'Check Retire Capacity Again': 'rollout/check-capacity.ts',
      'Take Retiring Hosts Out': 'rollout/take-out-of-traffic.ts',
      'Check Retiring Drain': 'rollout/check-drained.ts',
      'Return Retiring Hosts': 'rollout/return-to-traffic.ts',
      'Check Returned Hosts': 'rollout/check-healthy.ts',
      'Retire Hosts': 'compute/retire-hosts.ts',
      'Check Retired': 'compute/check-retired.ts',
    };
    const prefixed = (prefix: string, tasks: Record<string, string>) => Object.fromEntries(Object.entries(tasks).map(([name, m]) => [`${prefix}${name}`, m]));

    // SendCommand has no idempotency token: a task that sends setup steps and then crashed or timed out must not run again.
    it('never retries a task that sends setup commands on a transient failure that may follow a send (Set Up Hosts, Check Surge Hosts and their looks)', () => {
      const senders = Object.keys(rollout.States).filter((name) => ['compute/set-up-hosts.ts', 'surge/set-up-surge-hosts.ts'].includes(module(name) ?? ''));
      expect(senders.sort()).toEqual(['Check Surge Hosts', 'Set Up Hosts', 'Set Up Next Step', 'Surge Set Up Hosts', 'Surge Set Up Next Step'].filter((name) => name in rollout.States).sort());
      expect(senders).toEqual(expect.arrayContaining(['Check Surge Hosts']));
      for (const name of senders) {
        const retried = ((rollout.States[name]!.Retry as Retrier[] | undefined) ?? []).flatMap((r) => r.ErrorEquals);
        for (const transient of ['Lambda.Unknown', 'States.Timeout', 'Sandbox.Timedout', 'TypeError']) expect(retried, `${name} retries ${transient}`).not.toContain(transient);
      }
    });

    // New hosts are not in service yet: nothing is taken out and nothing is rolled back; the workflow that launched them terminates them.
    it('fails a provision batch, named, on any error of any of its tasks, straight to the Fail: no rollback, no other task', () => {
      const fail = 'New Hosts Failed';
      const tasks = tasksIn(own.provision);

      expect(modulesOf(tasks)).toEqual(PROVISION_TASKS);
      expect(rollout.States[fail]).toMatchObject({ Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' });
      expect(ends(own.provision).filter((name) => rollout.States[name]!.Type === 'Fail')).toEqual([fail]);
      for (const name of tasks) {
        expect(failureGoesTo(name), name).toBe(fail);
        expect(failureCatcher(rollout.States[name]!)!.ResultPath, name).toBe('$.failure');
        expect(tasksIn(afterFailure(name)), `${name}: tasks run after its failure`).toEqual([]);
        expect(ends(afterFailure(name)), name).toEqual([fail]);
      }
    });

    it.each(['', 'Surge '])('%sprovision: sets new hosts up (every step) before the install, and installs before they go into service', (prefix) => {
      const n = (name: string) => `${prefix}${name}`;
      const start = prefix ? starts.surge : starts.provision;
      // A surge launches, readies and sets up its new hosts in one operation (lambdas/surge/launch-surge-hosts.ts starts it and
      // never ends it; lambdas/surge/set-up-surge-hosts.ts is done only after the last step): its done rule is checked below.
      if (!prefix) expect(reachableAvoiding(rollout.States, start, n('Set Up Hosts')).has(n('Install On New Hosts'))).toBe(false);
      if (prefix) {
        // Set up, straight on, or by way of launching the next batch's hosts (pipelined); a failed launch of those goes on too.
        expect(into(n('Install On New Hosts')).sort()).toEqual(['Launch Next Surge Hosts', 'Surge Hosts Set Up?']);
        expect(into('Launch Next Surge Hosts')).toEqual(['Surge Hosts Set Up?']);
        const setUpDone = (rollout.States['Surge Hosts Set Up?']!.Choices as AslChoiceRule[]).filter(notWatchNow);
        // A launch past its budget goes on first, then the pipelined rule: a Choice takes the first rule that matches.
        expect(setUpDone.map((c) => c.Next)).toEqual(['Launch More Surge Hosts', 'Launch Next Surge Hosts', n('Install On New Hosts')]);
        expect(setUpDone[0]).toEqual({ Variable: '$.surgeSetUp.stage', StringEquals: 'launch', Next: 'Launch More Surge Hosts' });
        expect(setUpDone[2]).toEqual({ Variable: '$.surgeSetUp.done', BooleanEquals: true, Next: n('Install On New Hosts') });
        // They act on the new hosts where the setup's done phase carries them: `$.batch` stays the old ones, with no Pass to swap them.
        for (const name of [n('Install On New Hosts'), n('Check New Hosts Install'), n('Put New Hosts In Service'), n('Check New Hosts Health')]) {
          expect((rollout.States[name]!.Parameters as Record<string, unknown>)['batch.$'], name).toBe('$.surgeSetUp.batch');
        }
        // No Pass on a surge batch's way when nothing fails (normal transitions only), from its launch to the next batch.
        const onTheWay = new Set<string>();
        for (const queue = [start]; queue.length > 0; ) {
          const name = queue.pop()!;
          if (onTheWay.has(name) || nextSteps.has(name) || name === moreBatches || name === 'More Surge Batches?') continue;
          onTheWay.add(name);
          queue.push(...successors(rollout.States[name]!));
        }
        expect(onTheWay.has('Surge Check Alarms') && onTheWay.has('Surge Retire Hosts'), 'the walk reaches the batch\'s end').toBe(true);
        expect([...onTheWay].filter((name) => rollout.States[name]!.Type === 'Pass')).toEqual([]);
      } else {
        expect(into(n('Install On New Hosts'))).toEqual([n('More Set Up?')]);
      }
      expect(reachableAvoiding(rollout.States, start, n('Install On New Hosts')).has(n('Put New Hosts In Service'))).toBe(false);
      // Done only once they are in service and the health loop says they are healthy (a surge: only then do its old hosts leave).
      for (const done of prefix ? ['Surge Check Retire Capacity', 'Surge Take Retiring Hosts Out'] : ['More New Batches?']) {
        expect(reachableAvoiding(rollout.States, start, n('Put New Hosts In Service')).has(done)).toBe(false);
        expect(reachableAvoiding(rollout.States, start, n('New Hosts Healthy?')).has(done)).toBe(false);
      }
      const healthy = { Variable: '$.health.done', BooleanEquals: true };
      expect((rollout.States[n('New Hosts Healthy?')]!.Choices as AslChoiceRule[]).filter(notWatchNow)).toEqual(
        prefix
          ? // Behind target groups the take-out counts the rest of the tier itself; first, as a Choice takes the first rule that matches.
            [
              { And: [healthy, { Variable: '$.tier.traffic.kind', StringEquals: 'target-group' }], Next: 'Surge Take Retiring Hosts Out' },
              { ...healthy, Next: 'Surge Check Retire Capacity' },
            ]
          : [{ ...healthy, Next: 'More New Batches?' }],
      );
    });

    it.each(['', 'Surge '])(
      '%sretire: a batch leaves only once the rest of its tier holds its minimum, out of traffic and drained first; short capacity fails it with nothing changed',
      (prefix) => {
        const n = (name: string) => `${prefix}${name}`;
        const fail = n('Retire Failed');
        // A surge's failures first terminate the next batch's hosts, when this batch prepared them (surge-pipeline.ts).
        const failTo = prefix ? 'Surge Retire Failed With Prepared Hosts?' : fail;
        const states = pipelineStates(n('Check Retire Capacity'));
        const tasks = tasksIn(states);

        expect(prefix ? 'Surge New Hosts Healthy?' : starts.retire, 'where the pipeline starts').toBe(prefix ? into(n('Check Retire Capacity'))[0] : n('Check Retire Capacity'));
        expect(modulesOf(tasks)).toEqual({
          ...prefixed(prefix, RETIRE_TASKS),
          ...(prefix ? { 'Surge Check Alarms': 'rollout/check-alarms.ts', ...PREPARED_CLEANUP } : {}),
        });
        expect(rollout.States[fail]).toMatchObject({ Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' });
        expect(ends(states).filter((name) => rollout.States[name]!.Type === 'Fail').sort()).toEqual(prefix ? [fail, 'Surge Batch Alarmed', 'Surge Batch Failed In Service'].sort() : [fail]);
        // Nothing has left service while capacity is checked: its failures run no task (but a surge's prepared cleanup).
        for (const name of [n('Check Retire Capacity'), n('Check Retire Capacity Again')]) {
          expect(failureGoesTo(name), name).toBe(failTo);
          expect(tasksIn(afterFailure(name)).sort(), name).toEqual(prefix ? Object.keys(PREPARED_CLEANUP).sort() : []);
        }
        // Out of traffic only once capacity is kept; stopped or terminated only once out of traffic and drained. A surge
        // batch behind target groups goes straight to the take-out, which refuses a short tier itself: nothing changed, it
        // fails as the capacity check does (InsufficientCapacityError, caught first), running no task but the prepared cleanup.
        expect(into(n('Take Retiring Hosts Out')).sort()).toEqual(prefix ? ['Surge New Hosts Healthy?', n('Retire Capacity Kept?')] : [n('Retire Capacity Kept?')]);
        const refused = catcherFor(rollout.States[n('Take Retiring Hosts Out')]!, 'InsufficientCapacityError')!;
        if (prefix) {
          expect(refused.ErrorEquals).toEqual(['InsufficientCapacityError']);
          expect(tasksIn(reachableFrom(rollout.States, refused.Next)).sort()).toEqual(Object.keys(PREPARED_CLEANUP).sort());
          expect(ends(reachableFrom(rollout.States, refused.Next)).sort()).toEqual([fail, 'Surge Batch Failed In Service'].sort());
        } else {
          expect(refused.ErrorEquals, 'replace and scale-in check capacity first: a refusal of the take-out puts the hosts back').toEqual(['States.ALL']);
        }
        expect(into(n('Retire Hosts'))).toEqual([n('Retiring Hosts Drained?')]);
        expect(reachableAvoiding(rollout.States, n('Check Retire Capacity'), n('Take Retiring Hosts Out')).has(n('Retire Hosts'))).toBe(false);
      },
    );

    it.each(['', 'Surge '])(
      "%sretire: returns the hosts to traffic ('Return Retiring Hosts') and waits for their health when any task after 'Take Retiring Hosts Out' fails before 'Retire Hosts', then fails the batch",
      (prefix) => {
        const n = (name: string) => `${prefix}${name}`;
        const putBack = n('Return Retiring Hosts');
        const healthy = n('Returned Hosts Healthy?');
        const checkHealth = n('Check Returned Hosts');
        const fail = n('Retire Failed');
        const failTo = prefix ? 'Surge Retire Failed With Prepared Hosts?' : fail;
        const prepared = prefix ? Object.keys(PREPARED_CLEANUP) : [];
        const failEnds = prefix ? [fail, 'Surge Batch Failed In Service'].sort() : [fail];
        // The tasks that run once the batch may be out of traffic, and before it is asked to stop: the take-out itself and the drain.
        const out = tasksIn(reachableAvoiding(rollout.States, n('Take Retiring Hosts Out'), n('Retire Hosts'))).filter(
          (name) => name !== putBack && name !== checkHealth && !prepared.includes(name),
        );

        expect(out.sort()).toEqual([n('Check Retiring Drain'), n('Take Retiring Hosts Out')]);
        for (const name of out) {
          expect(failureGoesTo(name), `${name} fails without putting its hosts back`).toBe(putBack);
          expect(failureCatcher(rollout.States[name]!)!.ResultPath, name).toBe('$.failure');
          expect(tasksIn(afterFailure(name)).sort(), name).toEqual([checkHealth, putBack, ...prepared].sort());
          expect(ends(afterFailure(name)).sort(), name).toEqual(failEnds);
        }
        // Back in traffic and healthy again (or past the health timeout), the batch fails with the error that brought it back,
        // whether or not that worked.
        const state = rollout.States[putBack]!;
        expect(module(putBack)).toBe('rollout/return-to-traffic.ts');
        expect(module(checkHealth)).toBe('rollout/check-healthy.ts');
        // Putting hosts back never finds them healthy at once: straight to the Wait, then the health check and its Choice.
        const wait = rollout.States[state.Next as string]!;
        expect(wait.Type, putBack).toBe('Wait');
        expect(wait.Next).toBe(checkHealth);
        expect(rollout.States[checkHealth]!.Next).toBe(healthy);
        expect((rollout.States[healthy]!.Choices as AslChoiceRule[]).filter(notWatchNow)).toEqual([{ Variable: `${state.ResultPath as string}.done`, BooleanEquals: true, Next: failTo }]);
        // If putting them back fails too, the cause says which hosts may be out of traffic, then the batch fails.
        expect(rollout.States[n('Describe Return Failure')]!.Next).toBe(failTo);
        for (const name of [putBack, checkHealth]) {
          expect(rollout.States[name]!.Catch, name).toEqual([{ ErrorEquals: ['States.ALL'], Next: n('Describe Return Failure'), ResultPath: null }]);
          expect(rollout.States[name]!.ResultPath, `${name} overwrites the failure`).not.toBe('$.failure');
        }
        // It rides out throttling longer than a forward step, as a rollback does: giving up leaves hosts out of traffic.
        expect(throttleAttempts(putBack)).toBeGreaterThan(throttleAttempts(n('Take Retiring Hosts Out')));
        // Once the hosts are asked to stop, putting them back cannot help: the batch fails as it is.
        for (const name of [n('Retire Hosts'), n('Check Retired')]) {
          expect(failureGoesTo(name), name).toBe(failTo);
          expect(tasksIn(afterFailure(name)).sort(), name).toEqual([...prepared].sort());
        }
      },
    );

    // A surge batch's new hosts are in service before its old hosts leave; until they leave, a failure takes only the new hosts away.
    it("surge: every task before the old hosts leave fails into terminating the batch's new hosts, then the named Fail, keeping the error", () => {
      const cleanUp = 'Surge Batch Cleanup Input';
      const fail = 'Surge Batch Failed';
      const cleanUpTasks = ['Terminate Surge Hosts', 'Check Surge Termination'];
      // Preparing the next batch may fail without failing this one: it goes on, the next batch launching for itself.
      const preparing = ['Launch Next Surge Hosts'];
      // Until the new hosts are healthy in service, whichever way the old ones then leave (capacity counted first, or not).
      const oldHostsStay = { ...rollout.States, 'Surge Take Retiring Hosts Out': { Type: 'Succeed' } } as typeof rollout.States;
      const before = [...reachableAvoiding(oldHostsStay, starts.surge, 'Surge Check Retire Capacity')].filter((name) => oldHostsStay[name]!.Type === 'Task').filter((name) => !cleanUpTasks.includes(name) && !preparing.includes(name));

      expect(starts.surge).toBe('Launch Surge Hosts');
      expect(module('Launch Next Surge Hosts')).toBe('surge/launch-surge-hosts.ts');
      expect(rollout.States['Launch Next Surge Hosts']!.Catch).toEqual([{ ErrorEquals: ['States.ALL'], Next: 'Surge Install On New Hosts', ResultPath: null }]);
      // The batch's launch, readiness and every setup step are one operation (lambdas/surge/launch-surge-hosts.ts starts it,
      // lambdas/surge/set-up-surge-hosts.ts watches it); only the launch function launches.
      expect(modulesOf(before)).toEqual({
        'Launch Surge Hosts': 'surge/launch-surge-hosts.ts',
        'Launch More Surge Hosts': 'surge/launch-surge-hosts.ts',
        'Check Surge Hosts': 'surge/set-up-surge-hosts.ts',
        'Surge Install On New Hosts': 'rollout/install-release.ts',
        'Surge Check New Hosts Install': 'rollout/check-install.ts',
        'Surge Put New Hosts In Service': 'rollout/return-to-traffic.ts',
        'Surge Check New Hosts Health': 'rollout/check-healthy.ts',
      });
      // The launch hands the segment's bounds to the handler, which prepares only with the plan's pipeline and never past the last batch.
      expect(JSON.stringify(rollout.States['Launch Surge Hosts']!.Parameters)).toContain('"last.$":"$.last"');
      // A launch past its budget goes on from the operation's Choice, and back to it.
      expect(into('Launch More Surge Hosts')).toEqual(['Surge Hosts Set Up?']);
      expect(rollout.States['Launch More Surge Hosts']!.Next).toBe('Surge Hosts Set Up?');
      // The launch never finds its hosts ready at once: straight to the Wait (a pause of 0 for hosts launched a batch before).
      expect(rollout.States['Launch Surge Hosts']!.Next).toBe('Wait For Surge Hosts');
      expect(rollout.States['Wait For Surge Hosts']!.Next).toBe('Check Surge Hosts');
      // Once set up, the next batch's hosts launch only with the plan's pipeline and before the segment's last batch; and only
      // then does the batch go on without waiting for its old hosts to stop (that launch waits for them instead: maxSurge).
      const pipelinedNotLast = (rule: AslChoiceRule) => JSON.stringify(rule).includes('"BooleanEquals":true') && JSON.stringify(rule).includes('$.tier.surge.pipeline') && JSON.stringify(rule).includes('"NumericLessThanPath":"$.last"');
      const launchNext = (rollout.States['Surge Hosts Set Up?']!.Choices as AslChoiceRule[]).find((c) => c.Next === 'Launch Next Surge Hosts')!;
      expect(pipelinedNotLast(launchNext)).toBe(true);
      // Not when the launch already prepared them (lambdas/surge/launch-surge-hosts.ts marks the phase `prepared`).
      expect(JSON.stringify(launchNext)).toContain('{"Not":{"Variable":"$.surgeSetUp.prepared","IsPresent":true}}');
      // Each way on (to the alarm gate, or past it) is once stopped, or at once when pipelined and not the last.
      const onward = (rollout.States['Surge Hosts Retired?']!.Choices as AslChoiceRule[]).filter((c) => c.Next === 'Surge Check Alarms' || c.Next === 'More Surge Batches?');
      expect(onward).toHaveLength(4);
      expect(onward.filter(pipelinedNotLast)).toHaveLength(2);
      for (const name of before) {
        expect(failureGoesTo(name), name).toBe(cleanUp);
        expect(failureCatcher(rollout.States[name]!)!.ResultPath, name).toBe('$.failure');
        expect(tasksIn(afterFailure(name)).sort(), name).toEqual([...cleanUpTasks].sort());
        expect(ends(afterFailure(name)), name).toEqual([fail]);
      }
      // The cleanup terminates what this execution launched for this batch; whether or not it works, the batch fails with the error that started it.
      expect(rollout.States[cleanUp]!.Next).toBe('Terminate Surge Hosts');
      for (const name of cleanUpTasks) {
        expect(module(name), name).toBe('compute/terminate-launched.ts');
        expect(rollout.States[name]!.Catch, name).toEqual([{ ErrorEquals: ['States.ALL'], Next: fail, ResultPath: null }]);
        // This batch's scope and the next one's, which holds hosts only if this batch prepared them.
        expect((rollout.States[name]!.Parameters as Record<string, unknown>)['scope.$'], `${name}: scoped to the batch`).toEqual(
          "States.Array(States.Format('surge#{}#{}', $.tier.name, $.batch.index), States.Format('surge#{}#{}', $.tier.name, States.MathAdd($.batch.index, 1)))",
        );
      }
      for (const name of Object.keys(PREPARED_CLEANUP)) {
        expect((rollout.States[name]!.Parameters as Record<string, unknown>)['scope.$'], `${name}: the next batch only`).toBe(
          "States.Format('surge#{}#{}', $.tier.name, States.MathAdd($.batch.index, 1))",
        );
      }
      expect(rollout.States[fail]).toMatchObject({ Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' });
      // The old batch leaves (the retire pipeline, prefixed) only once the new hosts are healthy in service.
      expect(into('Surge Check Retire Capacity')).toEqual(['Surge New Hosts Healthy?']);
    });

    // A surge's rollback brings its stopped hosts back: they still run the previous release, so they only start and rejoin traffic.
    it('fails a restore batch, named, on any error of any of its tasks, straight to the Fail; the hosts rejoin traffic only once started', () => {
      const fail = 'Restore Failed';
      const tasks = tasksIn(own.restore);

      expect(modulesOf(tasks)).toEqual({
        'Start Retired Hosts': 'surge/start-hosts.ts',
        'Check Started': 'surge/check-started.ts',
        'Return Restored Hosts': 'rollout/return-to-traffic.ts',
        'Check Restored Hosts Health': 'rollout/check-healthy.ts',
      });
      expect(rollout.States[fail]).toMatchObject({ Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' });
      for (const name of tasks) {
        expect(failureGoesTo(name), name).toBe(fail);
        expect(tasksIn(afterFailure(name)), name).toEqual([]);
      }
      expect(into('Return Restored Hosts')).toEqual(['Retired Hosts Started?']);
      expect(reachableAvoiding(rollout.States, starts.restore, 'Restored Hosts Healthy?').has('More Restored Batches?')).toBe(false);
      expect((rollout.States['Restored Hosts Healthy?']!.Choices as AslChoiceRule[]).filter(notWatchNow)).toEqual([{ Variable: '$.health.done', BooleanEquals: true, Next: 'More Restored Batches?' }]);
    });

    /** The tasks of a repoint batch, forward ('Repoint') or back ('Repoint Back'), by state name. */
    const repointTasks = (w: string) => ({
      [`Check ${w} Capacity`]: 'rollout/check-capacity.ts',
      [`Check ${w} Capacity Again`]: 'rollout/check-capacity.ts',
      [`Take ${w} Batch Out`]: 'rollout/take-out-of-traffic.ts',
      [`Check ${w} Drain`]: 'rollout/check-drained.ts',
      [`Reconfigure ${w} Batch`]: 'restore-data/reconfigure-hosts.ts',
      [`Check ${w} Reconfigure`]: 'restore-data/check-reconfigured.ts',
      [`Return ${w} Batch`]: 'rollout/return-to-traffic.ts',
      [`Check ${w} Health`]: 'rollout/check-healthy.ts',
    });

    it.each(['Repoint', 'Repoint Back'])(
      '%s: a batch leaves traffic only once the rest of its tier holds its minimum, is reconfigured only once drained, and returns only once reconfigured; short capacity fails it with nothing changed',
      (w) => {
        const p: Pipeline = w === 'Repoint' ? 'repoint' : 'repoint-back';
        const fail = `${w} Failed`;

        expect(starts[p]).toBe(`Check ${w} Capacity`);
        expect(rollout.States[fail]).toMatchObject({ Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' });
        // Nothing has left service while capacity is checked: its failures run no task. Back, the first batch holds the
        // hosts the failed repoint left out of traffic: the cause names the batch first (Describe Batch Left Out).
        for (const name of [`Check ${w} Capacity`, `Check ${w} Capacity Again`]) {
          const describeFirst = w === 'Repoint Back' ? 'Describe Batch Left Out' : fail;
          expect(failureGoesTo(name), name).toBe(describeFirst);
          if (w === 'Repoint Back') expect(rollout.States[describeFirst]!.Next, name).toBe(fail);
          expect(tasksIn(afterFailure(name)), name).toEqual([]);
        }
        expect(into(`Take ${w} Batch Out`)).toEqual([`${w} Capacity Kept?`]);
        expect(into(`Reconfigure ${w} Batch`)).toEqual([`${w} Batch Drained?`]);
        expect(into(`Return ${w} Batch`)).toEqual([`${w} Batch Reconfigured?`]);
        expect(reachableAvoiding(rollout.States, starts[p], `Take ${w} Batch Out`).has(`Reconfigure ${w} Batch`)).toBe(false);
        expect(reachableAvoiding(rollout.States, starts[p], `Reconfigure ${w} Batch`).has(`Return ${w} Batch`)).toBe(false);
        // Done only once the batch is healthy in service.
        const more = p === 'repoint' ? 'More Repointed Batches?' : 'More Repointed Back Batches?';
        expect(reachableAvoiding(rollout.States, starts[p], `${w} Batch Healthy?`).has(more)).toBe(false);
        // Each batch's hosts, its reconfigure and its tier come from Load Batch; the next batch expects what this one's reconfigure took.
        const loadNext = p === 'repoint' ? 'Load Next Repointed Batch' : 'Load Next Repointed Back Batch';
        expect((rollout.States[loadNext]!.Parameters as Record<string, unknown>).expected).toEqual({
          'drainSeconds.$': '$.drain.tookSeconds',
          'installSeconds.$': '$.reconfigure.tookSeconds',
        });
      },
    );

    // Forward, a failure once the batch left traffic fails the segment with its hosts still out (and marked): the parent
    // writes the previous endpoint back and its repoint back takes those hosts first.
    it('repoint: fails a batch, named, on any error of any of its tasks, straight to the Fail, the alarm gate included', () => {
      const fail = 'Repoint Failed';
      const tasks = tasksIn(own.repoint);

      expect(modulesOf(tasks)).toEqual({ ...repointTasks('Repoint'), 'Check Repoint Alarms': 'rollout/check-alarms.ts' });
      expect(ends(own.repoint).filter((name) => rollout.States[name]!.Type === 'Fail')).toEqual([fail]);
      for (const name of tasks) {
        expect(failureGoesTo(name), name).toBe(fail);
        expect(failureCatcher(rollout.States[name]!)!.ResultPath, name).toBe('$.failure');
        expect(tasksIn(afterFailure(name)), `${name}: tasks run after its failure`).toEqual([]);
        expect(ends(afterFailure(name)), name).toEqual([fail]);
      }
    });

    // Back, whatever fails once the batch left traffic, the batch returns to traffic (as a release's rollback does) and the
    // segment fails once it is healthy, or will not be: the execution then ends with every host in service.
    it("repoint-back: returns the batch to traffic ('Return Batch After Failed Repoint Back') and waits for its health when any task after the capacity check fails, then fails the batch", () => {
      const fail = 'Repoint Back Failed';
      const putBack = 'Return Batch After Failed Repoint Back';
      const checkBack = 'Check Batch Back';
      const tasks = tasksIn(own['repoint-back']);

      expect(modulesOf(tasks)).toEqual({ ...repointTasks('Repoint Back'), [putBack]: 'rollout/return-to-traffic.ts', [checkBack]: 'rollout/check-healthy.ts' });
      expect(ends(own['repoint-back']).filter((name) => rollout.States[name]!.Type === 'Fail')).toEqual([fail]);
      const out = tasks.filter((name) => ![putBack, checkBack, 'Check Repoint Back Capacity', 'Check Repoint Back Capacity Again'].includes(name));
      expect(out.sort()).toEqual(
        ['Take Repoint Back Batch Out', 'Check Repoint Back Drain', 'Reconfigure Repoint Back Batch', 'Check Repoint Back Reconfigure', 'Return Repoint Back Batch', 'Check Repoint Back Health'].sort(),
      );
      for (const name of out) {
        expect(failureGoesTo(name), `${name} fails without putting its hosts back`).toBe(putBack);
        expect(failureCatcher(rollout.States[name]!)!.ResultPath, name).toBe('$.failure');
        expect(tasksIn(afterFailure(name)).sort(), name).toEqual([checkBack, putBack].sort());
        expect(ends(afterFailure(name)), name).toEqual([fail]);
      }
      // Back in traffic and healthy again (or past the health timeout), the batch fails with the error that brought it back.
      // (Its start only puts the hosts back: it never reports done, and goes straight to its Wait.)
      expect(rollout.States[putBack]!.Next).toBe('Wait For Batch Back');
      expect(rollout.States['Wait For Batch Back']!.Next).toBe(checkBack);
      expect(rollout.States[checkBack]!.Next).toBe('Batch Back In Service?');
      expect((rollout.States['Batch Back In Service?']!.Choices as AslChoiceRule[]).filter(notWatchNow)).toEqual([
        { Variable: `${rollout.States[putBack]!.ResultPath as string}.done`, BooleanEquals: true, Next: fail },
      ]);
      // Not back in service: the failure's cause names the batch as possibly out of traffic, then the batch fails.
      expect(rollout.States['Describe Batch Left Out']).toMatchObject({ Type: 'Pass', ResultPath: '$.failure', Next: fail });
      for (const name of [putBack, checkBack]) {
        expect(rollout.States[name]!.Catch, name).toEqual([{ ErrorEquals: ['States.ALL'], Next: 'Describe Batch Left Out', ResultPath: null }]);
        expect(rollout.States[name]!.ResultPath, `${name} overwrites the failure`).not.toBe('$.failure');
      }
      // Pointing back rides out throttling longer than a forward step, as a rollback does: giving up leaves hosts out of traffic.
      expect(throttleAttempts('Take Repoint Back Batch Out')).toBeGreaterThan(throttleAttempts('Take Repoint Batch Out'));
      expect(throttleAttempts(putBack)).toBeGreaterThan(throttleAttempts('Take Repoint Batch Out'));
    });
  });

  it('waits between polls with a pause computed by the check (SecondsPath), never a fixed sleep, in every workflow', () => {
    const waits = MACHINES.flatMap((m) => allStates(machine(m).definition).filter(({ state }) => state.Type === 'Wait'));

    expect(waits.length).toBeGreaterThan(0);
    for (const { name, state } of waits) {
      expect(state.SecondsPath, `${name} has no SecondsPath`).toEqual(expect.stringMatching(/^\$\./));
      expect(state.Seconds, `${name} sleeps a fixed time`).toBeUndefined();
      expect(state.Timestamp, `${name} sleeps until a fixed time`).toBeUndefined();
    }
  });

  it('goes from a start that only sets its operation going straight to its Wait (no Choice first), and from one that may be done at once to its Choice', () => {
    const nextOf = (d: AslDefinition, name: string) => {
      const found = allStates(d).find((s) => s.name === name);
      if (!found) throw new Error(`no state ${name}`);
      return found.state.Next;
    };
    // Sends and puts-into-service (LongOperation start.neverDone): one transition fewer per operation.
    expect(nextOf(rollout, 'Install Release')).toBe('Wait For Install');
    expect(nextOf(rollout, 'Return Batch To Traffic')).toBe('Wait For Health');
    expect(nextOf(rollout, 'Reinstall Previous Release')).toBe('Wait For Reinstall');
    expect(nextOf(definition, 'Create Snapshot')).toBe('Wait For Snapshot');
    expect(nextOf(definition, 'Run Migration')).toBe('Wait For Migration');
    // A tier without traffic is out at once: its take-out reports done, to the Choice.
    expect(nextOf(rollout, 'Take Batch Out')).toBe('Batch Drained?');
  });

  it('rolls (and reverts) one tier, and in it one segment, at a time', () => {
    const maps = allStates(definition).filter(({ state }) => state.Type === 'Map');

    expect(maps.map(({ name }) => name).sort()).toEqual(['Revert Roll Segments', 'Revert Roll Tiers', 'Roll Segments', 'Roll Tiers']);
    for (const { name, state } of maps) expect(state.MaxConcurrency, name).toBe(1);
    for (const prefix of ROLLS) {
      expect(itemProcessor(definition, `${prefix}Roll Tiers`).StartAt).toBe(`${prefix}Roll Segments`);
      expect(itemProcessor(definition, `${prefix}Roll Segments`).StartAt).toBe(`${prefix}Roll Out Segment`);
    }
  });

  it.each(COMPUTE)("%s rolls each tier's segments one child at a time (its tiers' new hosts at once), and retires tier by tier", (m) => {
    const def = machine(m).definition;
    const maps = allStates(def).filter(({ state }) => state.Type === 'Map');
    const retires = m === REPLACE ? ['Retire Roll Tiers', 'Retire Roll Segments', 'Retire Lost Roll Tiers', 'Retire Lost Roll Segments'] : [];

    // Allocate prepares every tier's hosts (Prepare Tiers) while its database is created, then provisions them.
    const prepares = m === ALLOCATE ? ['Prepare Tiers'] : [];

    expect(maps.map(({ name }) => name).sort()).toEqual(['Provision Tiers', 'Provision Roll Segments', ...prepares, ...retires].sort());
    for (const { name, state } of maps) if (name !== 'Provision Tiers' && name !== 'Prepare Tiers') expect(state.MaxConcurrency, name).toBe(1);
    expect(itemProcessor(def, m === ALLOCATE ? 'Prepare Tiers' : 'Provision Tiers').StartAt).toBe('Launch Hosts');
    if (m === ALLOCATE) expect(itemProcessor(def, 'Provision Tiers').StartAt).toBe('Provision Roll Segments');
    expect(itemProcessor(def, 'Provision Roll Segments').StartAt).toBe('Provision Roll Out Segment');
    for (const prefix of m === REPLACE ? ['Retire ', 'Retire Lost '] : []) {
      expect(itemProcessor(def, `${prefix}Roll Tiers`).StartAt).toBe(`${prefix}Roll Segments`);
      expect(itemProcessor(def, `${prefix}Roll Segments`).StartAt).toBe(`${prefix}Roll Out Segment`);
    }
  });

  // A compute workflow's child must never run a release batch (which would install a release and roll it back) on hosts it launched.
  it.each(COMPUTE)('%s runs its children in their own modes (new hosts: provision; replaced ones: the mode its plan stored), never gated on alarms', (m) => {
    const def = machine(m).definition;
    const toSegments = stateNamed(def, 'New Hosts To Segments');
    expect(toSegments.Type).toBe('Pass');
    // Allocate's ends its Prepare Tiers item: the tier's segments, rolled once the database is ready.
    expect(toSegments.Next).toBe(m === ALLOCATE ? undefined : 'Provision Roll Segments');
    expect(toSegments.Parameters).toMatchObject({ mode: 'provision', checkAlarms: false });
    // Replace's retire stages run each stored tier of its plan ($.plan.retire) in the mode Plan Replacement stored with it.
    for (const prefix of m === REPLACE ? ['Retire ', 'Retire Lost '] : []) {
      const tiers = stateNamed(def, `${prefix}Roll Tiers`);
      expect(tiers.ItemsPath, `${prefix}Roll Tiers`).toBe('$.plan.retire.tiers');
      expect(tiers.ItemSelector, `${prefix}Roll Tiers`).toMatchObject({ 'mode.$': '$$.Map.Item.Value.mode', checkAlarms: false });
    }
    // The mode and the gate go from the tier to each segment and into each child's input as they are.
    for (const prefix of ['Provision ', ...(m === REPLACE ? ['Retire ', 'Retire Lost '] : [])]) {
      const segments = stateNamed(def, `${prefix}Roll Segments`).ItemSelector as Record<string, unknown>;
      const input = (stateNamed(def, `${prefix}Roll Out Segment`).Parameters as { Input: Record<string, unknown> }).Input;
      for (const key of ['mode.$', 'checkAlarms.$']) {
        expect(segments[key], `${prefix}Roll Segments ${key}`).toBe(`$.${key.slice(0, -2)}`);
        expect(input[key], `${prefix}Roll Out Segment ${key}`).toBe(`$.${key.slice(0, -2)}`);
      }
    }
  });

  describe('restore-data', () => {
    /** The locked part of restore-data: the one branch of Run Restore. */
    const run = () => {
      const parallel = stateNamed(machine(RESTORE_DATA).definition, 'Run Restore');
      expect(parallel.Type).toBe('Parallel');
      expect(parallel.Branches).toHaveLength(1);
      return parallel.Branches![0]!;
    };
    const modules = () => lambdaModulesOf.get(RESTORE_DATA)!;

    it('restores, then checks the restored data, and only then writes the connection parameter and repoints the hosts (gated on alarms), bakes, and records the database', () => {
      const branch = run();
      const states = branch.States;
      const repoint = states.Repoint!;

      expect(branch.StartAt).toBe('Restore Database');
      expect(modules().get('Restore Database')).toBe('restore-data/restore-database.ts');
      expect(modules().get('Check Restored Database')).toBe('restore-data/check-restore.ts');
      expect(modules().get('Validate Data')).toBe('restore-data/validate-data.ts');
      expect(modules().get('Check Data Validation')).toBe('restore-data/check-validation.ts');
      expect(modules().get('Record Database')).toBe('restore-data/record-database.ts');
      // The restored instance's check passes before anything the hosts use changes.
      expect(reachableAvoiding(states, 'Restore Database', 'Data Valid?').has('Repoint')).toBe(false);
      expect((states['Data Valid?']!.Choices as AslChoiceRule[]).filter(notWatchNow)).toEqual([{ Variable: '$.validation.done', BooleanEquals: true, Next: 'Repoint' }]);
      expect(repoint.Type).toBe('Parallel');
      expect(repoint.Branches).toHaveLength(1);
      const forward = repoint.Branches![0]!;
      // Write Connection (the checked instance's endpoint to the connection parameter), then the hosts, batch by batch, then the bake.
      expect(forward.StartAt).toBe('Write Connection');
      expect(modules().get('Write Connection')).toBe('restore-data/write-connection.ts');
      expect(forward.States['Write Connection']!.Parameters).toEqual({ 'parameter.$': '$.plan.connectionParameter', 'endpoint.$': '$.validation.endpoint' });
      expect(forward.States['Write Connection']!.Next).toBe('Repoint Roll Tiers');
      const tiers = forward.States['Repoint Roll Tiers']!;
      expect(tiers.ItemsPath).toBe('$.plan.tiers');
      expect(tiers.ItemSelector).toMatchObject({ checkAlarms: true, 'mode.$': '$$.Map.Item.Value.mode' });
      expect(tiers.Next).toBe('Repoint Start Bake');
      expect(modules().get('Repoint Start Bake')).toBe('deploy/check-bake.ts');
      // Recorded as the environment's database only once every host uses it and the bake passed.
      expect(repoint.Next).toBe('Record Database');
      expect(Object.entries(states).filter(([, st]) => successors(st).includes('Record Database')).map(([name]) => name)).toEqual(['Repoint']);
      // A failure before the repoint changes nothing any host uses: it fails the restore with no other task run.
      for (const name of ['Restore Database', 'Check Restored Database', 'Validate Data', 'Check Data Validation']) {
        const after = reachableFrom(states, failureCatcher(states[name]!)!.Next);
        expect([...after].filter((n) => states[n]!.Type === 'Task'), name).toEqual([]);
        expect([...after].filter((n) => isTerminal(states[n]!)).map((n) => states[n]!.Type), name).toEqual(['Fail']);
      }
    });

    it('points every moved host back after a failed repoint, when the old database is there to go back to, and never records the restored one then', () => {
      const states = run().States;
      const repoint = states.Repoint!;
      const goBack = states[failureCatcher(repoint)!.Next]!;

      expect(failureCatcher(repoint)!.ResultPath).toBe('$.failure');
      expect(goBack.Type).toBe('Choice');
      expect(goBack.Choices).toEqual([
        {
          And: [
            { Variable: '$.plan.current.exists', BooleanEquals: true },
            { Variable: '$.plan.previousEndpoint', IsString: true },
          ],
          Next: 'Repoint Back',
        },
      ]);
      const back = states['Repoint Back']!;
      expect(back.Type).toBe('Parallel');
      const branch = back.Branches![0]!;
      // The previous endpoint back first, then the plan of the hosts that may have moved, then those hosts, not gated on alarms.
      expect(branch.StartAt).toBe('Write Connection Back');
      expect(modules().get('Write Connection Back')).toBe('restore-data/write-connection.ts');
      expect(branch.States['Write Connection Back']!.Parameters).toEqual({ 'parameter.$': '$.plan.connectionParameter', 'endpoint.$': '$.plan.previousEndpoint' });
      expect(branch.States['Write Connection Back']!.Next).toBe('Plan Repoint Back');
      expect(modules().get('Plan Repoint Back')).toBe('restore-data/plan-repoint-back.ts');
      expect(branch.States['Plan Repoint Back']!.Next).toBe('Repoint Back Roll Tiers');
      const tiers = branch.States['Repoint Back Roll Tiers']!;
      expect(tiers.ItemsPath).toBe('$.back.tiers');
      expect(tiers.ItemSelector).toMatchObject({ checkAlarms: false, 'mode.$': '$$.Map.Item.Value.mode' });
      // Back or not, the restore fails: nothing after a failed repoint records the restored instance or succeeds.
      for (const start of [failureCatcher(repoint)!.Next, ...(back.Catch as Catcher[]).map((c) => c.Next)]) {
        const after = reachableFrom(states, start);
        expect(after.has('Record Database'), start).toBe(false);
        expect([...after].filter((n) => isTerminal(states[n]!)).map((n) => states[n]!.Type), start).toEqual(['Fail']);
      }
    });
  });

  describe('recover', () => {
    const top = () => machine(RECOVER).definition.States;

    it('takes no lock itself: it plans, notifies, and runs allocate, restore-data (when hosts remain) and deploy one after the other, each to its end', () => {
      const states = top();
      expect([...integrationsOf.get(RECOVER)!.values()].filter((resource) => resource.includes(':dynamodb:'))).toEqual([]);
      expect(lambdaModulesOf.get(RECOVER)).toEqual(new Map([['Plan Recover', 'recover/plan-recover.ts'], ['Report Recovery', 'recover/report-recovery.ts']]));
      expect(states['Plan Recover']!.Next).toBe('Notify Started');
      expect(states['Notify Started']!.Next).toBe(RECOVER_PARTS[0]![0]);
      const inputs: Record<string, string> = { 'Allocate Environment': '$.plan.allocate', 'Restore Environment Data': '$.plan.restore', 'Release Recorded Release': '$.plan.deploy' };
      // After allocate: restore-data when hosts remain to repoint (the plan's `restore`), else allocate restored the data.
      expect(states['Hosts To Repoint?']!.Choices).toEqual([{ Variable: '$.plan.restore', IsPresent: true, Next: 'Restore Environment Data' }]);
      expect(states['Hosts To Repoint?']!.Default).toBe('Restored By Allocate');
      expect(states['Restored By Allocate']!.Next).toBe('Release Recorded Release');
      RECOVER_PARTS.forEach(([name], i) => {
        const part = states[name]!;
        expect(part.Next, name).toBe(name === 'Allocate Environment' ? 'Hosts To Repoint?' : (RECOVER_PARTS[i + 1]?.[0] ?? 'Report Recovery'));
        expect((part.Parameters as Record<string, unknown>)['Input.$'], name).toBe(inputs[name]);
        // Each part is started once: a failed or timed-out one is never started again.
        expect(retries(part, 'States.TaskFailed'), `${name} retries a failed part`).toBe(false);
        expect(retries(part, 'States.Timeout'), `${name} retries a timed-out part`).toBe(false);
        // A part that fails ends the recovery: no later part runs, and it fails (notified) with the part's error, named.
        // Except an allocate that did every step but could not release its lock: the next part goes on (and takes the lock over).
        const catcher = catcherFor(part, 'States.ALL')!;
        expect(catcher.ResultPath, name).toBe('$.failure');
        const lockLeft = states['Allocate Done But Locked?']!;
        expect(lockLeft.Choices).toEqual([{ Variable: '$.failure.Error', StringEquals: 'LockNotReleasedError', Next: 'Restore After Allocate?' }]);
        expect(states['Restore After Allocate?']!.Choices).toEqual([{ Variable: '$.plan.restore', IsPresent: true, Next: 'Restore Environment Data' }]);
        expect(states['Restore After Allocate?']!.Default).toBe('Restore Not Reported');
        expect(reachableFrom(states, catcher.Next).has('Allocate Done But Locked?'), name).toBe(name === 'Allocate Environment');
        const withoutGoingOn = { ...states, 'Allocate Done But Locked?': { ...lockLeft, Choices: [] } };
        const after = reachableFrom(withoutGoingOn, catcher.Next);
        expect([...after].filter((n) => states[n]!.Type === 'Task').sort(), name).toEqual(['Notify Failed']);
        expect([...after].filter((n) => isTerminal(states[n]!)), name).toEqual(['Recover Failed']);
        expect(JSON.stringify(states[catcher.Next]!.Choices), name).toContain('States.TaskFailed');
      });
      expect(states['Report Recovery']!.Next).toBe('Notify Succeeded');
    });
  });

  it("gates the release's batches on their tiers' alarms, never the revert's (the bad release may still fire them)", () => {
    for (const [prefix, checkAlarms] of [
      ['', true],
      ['Revert ', false],
    ] as const) {
      const tiers = stateNamed(definition, `${prefix}Roll Tiers`).ItemSelector as Record<string, unknown>;
      const segments = stateNamed(definition, `${prefix}Roll Segments`).ItemSelector as Record<string, unknown>;
      const input = (stateNamed(definition, `${prefix}Roll Out Segment`).Parameters as { Input: Record<string, unknown> }).Input;
      expect(tiers.checkAlarms, `${prefix}Roll Tiers`).toBe(checkAlarms);
      expect(segments['checkAlarms.$'], `${prefix}Roll Segments`).toBe('$.checkAlarms');
      expect(input['checkAlarms.$'], `${prefix}Roll Out Segment`).toBe('$.checkAlarms');
    }
  });

  it.each(SEGMENT_ROLLS)("%s: %sRoll Segments: a failed segment fails the tier with the child's own error, and is never run again", (m, prefix) => {
    const def = machine(m).definition;
    const segment = itemProcessor(def, `${prefix}Roll Segments`);
    const task = segment.States[`${prefix}Roll Out Segment`]!;
    const catcher = failureCatcher(task);

    // A failed child already rolled its batch back (or failed its new hosts, for the parent to terminate): starting it again
    // would roll the bad release out once more, or work on hosts its parent is about to terminate.
    expect(retries(task, 'States.TaskFailed'), 'retries a failed child').toBe(false);
    expect(retries(task, 'States.Timeout'), 'retries a timed-out child').toBe(false);
    expect(catcher?.ResultPath).toBe('$.failure');
    // Every path from the catch ends in a Fail that reports $.failure: the Map fails, and so does its tier.
    const afterCatch = reachableFrom(segment.States, catcher!.Next);
    const ends = [...afterCatch].filter((name) => successors(segment.States[name]!).length === 0);
    expect(ends.length).toBeGreaterThan(0);
    for (const name of ends) {
      expect(segment.States[name]!.Type, name).toBe('Fail');
      expect(segment.States[name]!.ErrorPath, name).toBe('$.failure.Error');
      expect(segment.States[name]!.CausePath, name).toBe('$.failure.Cause');
    }
    // The child's failure arrives as States.TaskFailed with its description as JSON; its own Error and Cause are taken out of it.
    const unwrap = segment.States[catcher!.Next]!;
    expect(unwrap.Type).toBe('Choice');
    const parse = (unwrap.Choices as Array<{ Next: string }>).map((rule) => rule.Next);
    expect(parse).toHaveLength(1);
    expect(JSON.stringify(unwrap.Choices)).toContain('States.TaskFailed');
    expect((segment.States[parse[0]!]!.Parameters as Record<string, unknown>)['detail.$']).toBe('States.StringToJson($.failure.Cause)');
    const take = [...afterCatch].filter((name) => segment.States[name]!.ResultPath === '$.failure' && 'Error.$' in ((segment.States[name]!.Parameters as Record<string, unknown> | undefined) ?? {}));
    expect(take).toHaveLength(1);
    // Beside the child's Error and Cause, whether the Error is one of FleetFlow's (named-failures.test.ts checks the list).
    expect(segment.States[take[0]!]!.Parameters).toEqual({
      'Error.$': '$.childFailure.detail.Error',
      'Cause.$': '$.childFailure.detail.Cause',
      'named.$': expect.stringMatching(/^States\.ArrayContains\(States\.Array\(.*\), \$\.childFailure\.detail\.Error\)$/),
    });
    // The child's own error is kept when it is one of FleetFlow's; anything else (its quotas, say) is named here.
    const named = segment.States[segment.States[take[0]!]!.Next as string]!;
    expect(named.Type).toBe('Choice');
    expect(segment.States[(named.Choices as Array<{ Next: string }>)[0]!.Next]!.Type).toBe('Fail');
    expect((segment.States[named.Default as string]!.Parameters as Record<string, unknown>).Error).toBe('UnexpectedTaskError');
    // Nothing inside the tier catches it.
    expect(stateNamed(def, `${prefix}Roll Segments`).Catch, `${prefix}Roll Segments catches a failed segment`).toBeUndefined();
  });

  it('rolls the release back when a segment fails, and fails the rollback when a revert segment fails', () => {
    const scope = scopeOf(definition, 'Roll Tiers');
    const release = scope.States['Roll Tiers']!;
    const revert = scope.States['Revert Roll Tiers']!;

    // A failed tier goes to the failure policy, which reverts every tier unless the environment says halt.
    expect(failureCatcher(release)?.Next).toBe('Failure Policy?');
    expect(failureCatcher(release)?.ResultPath).toBe('$.failure');
    expect(lambdaModules.get(scope.States['Failure Policy?']!.Default as string)).toBe('deploy/plan-rollback.ts');
    expect(reachableFrom(scope.States, 'Failure Policy?').has('Revert Roll Tiers')).toBe(true);
    // A failed revert ends the release as failed, never as rolled back, nor as released.
    const afterRevertFailure = reachableFrom(scope.States, failureCatcher(revert)!.Next);
    expect(afterRevertFailure.has('Record Release')).toBe(false);
    expect(new Set([...afterRevertFailure].filter((name) => isTerminal(scope.States[name]!)).map((name) => scope.States[name]!.Type))).toEqual(new Set(['Fail']));
    // The release's own failure stays where it was, to be reported with the rollback's.
    expect(failureCatcher(revert)?.ResultPath).toEqual(expect.stringMatching(/^\$\./));
    expect(failureCatcher(revert)?.ResultPath).not.toBe('$.failure');
  });

  describe('environment lock', () => {
    /** The top level of a locking workflow's definition: where the lock is taken and released. */
    const topOf = (m: string) => machine(m).definition.States;
    /** DynamoDB parameters of a lock state, as the direct integration receives them. */
    const paramsOf = (m: string, name: string) => stateNamed(machine(m).definition, name).Parameters as Record<string, unknown>;
    const lockKey = () => ({ environment: { S: canonical.name } });
    const executionId = { 'S.$': '$$.Execution.Id' };
    /** The state a workflow enters once it holds the lock. */
    const lockedState = (m: string) => topOf(m)['Acquire Lock']!.Next as string;

    it('is one lock for the environment: every locking workflow takes the same item of the same table', () => {
      const tables = new Set(LOCKING.map((m) => paramsOf(m, 'Acquire Lock').TableName));
      expect(tables.size).toBe(1);
      for (const m of LOCKING) expect((paramsOf(m, 'Acquire Lock').Item as Record<string, unknown>).environment, m).toEqual(lockKey().environment);
      // The rollout child never touches the lock: its parent holds it.
      expect([...integrationsOf.get(ROLLOUT)!.values()]).toEqual([]);
    });

    it.each(LOCKING)('%s only plans (or refuses) before it takes the lock, and goes on only holding it', (m) => {
      const top = topOf(m);
      const planner = PLANNERS[m]!;
      // Before Acquire Lock only states that touch nothing (Pass, Choice, Fail) may run, and two tasks: the
      // plan, which reads the fleet, and the notification that it was refused; where a plan can find nothing
      // to change (allocate, replace: its nothingToDo), a third: the Succeeded notification of that run.
      const skips = NOTHING_TO_DO.includes(m);
      const before: string[] = [];
      const walk = (name: string) => {
        if (name === 'Acquire Lock' || before.includes(name)) return;
        before.push(name);
        for (const next of exits(top[name]!)) walk(next);
      };
      walk(machine(m).definition.StartAt);
      expect(top['Acquire Lock'], 'no Acquire Lock state at the top level').toBeDefined();
      expect(before.filter((name) => !['Pass', 'Choice', 'Fail'].includes(top[name]!.Type)).sort(), 'states that run before the lock is taken').toEqual(
        ['Notify Refused', planner.task, ...(skips ? ['Notify Succeeded'] : [])].sort(),
      );
      expect(lambdaModulesOf.get(m)!.get(planner.task)).toBe(planner.module);
      expect(integrationsOf.get(m)!.get('Notify Refused')).toBe(PUT_EVENTS);
      const locked = lockedState(m);
      expect(before).not.toContain(locked);
      // A plan goes on to the lock (unless it says it has nothing to do: then it ends SUCCEEDED, never reaching
      // the lock nor Notify Started); a refused one ends the execution, without ever reaching the lock.
      if (skips) {
        const choice = top[planner.task]!.Next as string;
        expect(top[choice]).toMatchObject({ Type: 'Choice', Default: 'Acquire Lock', Choices: [{ Variable: '$.plan.nothingToDo', IsPresent: true }] });
        const nothing = reachableFrom(top, (top[choice]!.Choices as Array<{ Next: string }>)[0]!.Next);
        expect([...nothing].some((name) => ['Acquire Lock', 'Notify Started'].includes(name)), 'nothing to do reaches the lock').toBe(false);
        expect([...nothing].filter((name) => isTerminal(top[name]!)).map((name) => top[name]!.Type)).toEqual(['Pass']);
      } else {
        expect(top[planner.task]!.Next).toBe('Acquire Lock');
      }
      const refused = reachableFrom(top, catchAllTarget(top[planner.task]!)!);
      expect(refused.has('Acquire Lock'), 'a refused plan reaches the lock').toBe(false);
      expect([...refused].filter((name) => isTerminal(top[name]!)).map((name) => top[name]!.Type)).toEqual(['Fail']);
      if (m === DEPLOY) {
        expect(locked).toBe('Run Release');
        expect(top['Run Release']?.Type).toBe('Parallel');
        expect(top['Run Release']?.Branches).toHaveLength(1);
      } else {
        expect(locked).toBe('Notify Started');
      }
      // The lock is held after a successful Acquire Lock or Take Over Lock, and only then.
      const intoLocked = Object.entries(top)
        .filter(([, state]) => successors(state).includes(locked))
        .map(([name]) => name)
        .sort();
      expect(intoLocked).toEqual(['Acquire Lock', 'Take Over Lock', 'Take Over Malformed Lock']);
      for (const name of intoLocked) {
        expect(top[name]!.Next, name).toBe(locked);
        expect(catcherFor(top[name]!, 'States.ALL')?.Next, `${name} goes on on an error`).not.toBe(locked);
      }
    });

    it.each(LOCKING)('%s acquires the lock with a conditional PutItem: attribute_not_exists(environment)', (m) => {
      expect(integrationsOf.get(m)!.get('Acquire Lock')).toBe('arn:aws:states:::dynamodb:putItem');
      const p = paramsOf(m, 'Acquire Lock');
      expect(p.TableName).toEqual(expect.any(String));
      expect(p.ConditionExpression).toBe('attribute_not_exists(environment)');
      expect(p.Item).toMatchObject({ ...lockKey(), holder: executionId });
    });

    it.each(LOCKING)('%s takes over only the stale holder it read (holder = :stale), and only when that execution is not running', (m) => {
      const top = topOf(m);
      const p = paramsOf(m, 'Take Over Lock');
      expect(p.ConditionExpression).toBe('holder = :stale');
      expect(p.ExpressionAttributeValues).toEqual({ ':stale': { 'S.$': '$.lock.Item.holder.S' } });
      expect(p.Item).toMatchObject({ ...lockKey(), holder: executionId });
      expect(p.TableName).toBe(paramsOf(m, 'Acquire Lock').TableName);

      // The holder's status decides: a RUNNING holder ends the execution (locked), without a takeover.
      const running = (top['Lock Holder Running?']!.Choices as Array<{ Variable: string; StringEquals?: string; Next: string }>).find(
        (c) => c.StringEquals === 'RUNNING',
      );
      expect(running, 'no RUNNING rule in "Lock Holder Running?"').toBeDefined();
      const whenRunning = reachableFrom(top, running!.Next);
      expect(whenRunning.has('Take Over Lock')).toBe(false);
      expect(whenRunning.has(lockedState(m))).toBe(false);
      expect([...whenRunning].filter((name) => isTerminal(top[name]!)).map((name) => top[name]!.Type)).toEqual(['Fail']);
    });

    // A lock item FleetFlow could not have written must not jam the environment (issue 7, class 5).
    it.each(LOCKING)("%s treats a lock item without a holder that is an execution of one of the environment's locking workflows as malformed, never as held", (m) => {
      const top = topOf(m);
      const recorded = top['Lock Holder Recorded?']!;
      const rules = recorded.Choices as Array<{ Variable: string; IsPresent?: boolean; Next: string }>;
      // A string holder (DynamoDB S) is needed before anything reads it: no path fails on a missing one.
      expect(rules.map(({ Next: _next, ...rule }) => rule)).toEqual([{ Variable: '$.lock.Item.holder.S', IsPresent: true }]);
      const isRelease = top[rules[0]!.Next]!;
      expect(isRelease.Type).toBe('Choice');
      // Any of the four workflows may hold the lock, and nothing else: one rule, an Or of exactly their executions.
      const holderRules = isRelease.Choices as Array<{ Or?: Array<{ Variable: string; StringMatches?: string }>; Next: string }>;
      expect(holderRules).toHaveLength(1);
      const patterns = (holderRules[0]!.Or ?? []).map((term) => {
        expect(term.Variable).toBe('$.lock.Item.holder.S');
        return term.StringMatches;
      });
      expect(patterns.map((pattern) => /:execution:(.+):\*$/.exec(pattern ?? '')?.[1]).sort()).toEqual([...LOCKING].sort());
      for (const pattern of patterns) expect(pattern).toMatch(new RegExp(`^arn:aws:states:[a-z0-9-]+:\\d{12}:execution:fleetflow-${canonical.name}-[a-z-]+:\\*$`));
      expect(holderRules[0]!.Next).toBe('Describe Lock Holder');
      // Missing, not a string, or not one of ours: all the same way.
      expect(recorded.Default).toBe(isRelease.Default);
      expect(isRelease.Default).toBe('List Running Releases');
      // A holder that only looks like an execution ARN: DescribeExecution refuses it, and it is malformed too.
      expect(catcherFor(top['Describe Lock Holder']!, 'Sfn.InvalidArnException')?.Next).toBe('List Running Releases');
    });

    it.each(LOCKING)('%s takes a malformed lock over only in the malformed state it read, and only while it is the one execution of its workflow running', (m) => {
      const top = topOf(m);
      const integrations = integrationsOf.get(m)!;
      const list = paramsOf(m, 'List Running Releases');
      expect(integrations.get('List Running Releases')).toBe('arn:aws:states:::aws-sdk:sfn:listExecutions');
      // Its own state machine only (a known limit: an execution of another workflow holding a malformed item is not seen).
      expect(list.StateMachineArn).toMatch(new RegExp(`^arn:aws:states:[a-z0-9-]+:\\d{12}:stateMachine:${m}$`));
      expect(list.StatusFilter).toBe('RUNNING');
      const only = top['Only This Release Running?']!;
      expect(JSON.stringify(only.Choices)).toContain('"Variable":"$.running.count","NumericEquals":1');
      expect(JSON.stringify(only.Choices)).toContain('"Variable":"$.running.includesThis","BooleanEquals":true');
      // Only then: a string holder is replaced while it is that string, a missing or non-string one while there is still no string holder.
      const takeovers = [...reachableFrom(top, (only.Choices as Array<{ Next: string }>)[0]!.Next)].filter((name) => integrations.get(name) === 'arn:aws:states:::dynamodb:putItem');
      expect(takeovers.sort()).toEqual(['Take Over Lock', 'Take Over Malformed Lock']);
      const malformed = paramsOf(m, 'Take Over Malformed Lock');
      expect(malformed.ConditionExpression).toBe('attribute_not_exists(holder) OR NOT attribute_type(holder, :text)');
      expect(malformed.ExpressionAttributeValues).toEqual({ ':text': { S: 'S' } });
      expect(malformed.Item).toMatchObject({ ...lockKey(), holder: executionId });
      expect(malformed.TableName).toBe(paramsOf(m, 'Acquire Lock').TableName);
      expect(top['Take Over Malformed Lock']!.Next).toBe(lockedState(m));
      // Otherwise: LockCorruptError, naming the item to delete, and no write at all.
      const otherwise = reachableFrom(top, only.Default as string);
      expect([...otherwise].filter((name) => integrations.has(name))).toEqual([]);
      expect([...otherwise].filter((name) => isTerminal(top[name]!)).map((name) => top[name]!.Type)).toEqual(['Fail']);
      const describe = [...otherwise].map((name) => top[name]!).find((state) => state.Type === 'Pass')!;
      expect((describe.Parameters as Record<string, unknown>).Error).toBe('LockCorruptError');
      const cause = (describe.Parameters as Record<string, string>)['Cause.$'];
      expect(cause).toContain('nothing was changed');
      expect(cause).toContain('delete the item with key environment = {} from the DynamoDB table {}');
      expect(cause).toContain(`'${canonical.name}', '${paramsOf(m, 'Acquire Lock').TableName as string}')`);
    });

    it.each(LOCKING.flatMap((m) => ['Unlock', 'Unlock After Failure'].map((name) => [m, name] as const)))('%s: %s deletes the lock only while this execution holds it (holder = :me)', (m, name) => {
      expect(integrationsOf.get(m)!.get(name)).toBe('arn:aws:states:::dynamodb:deleteItem');
      const p = paramsOf(m, name);
      expect(p.ConditionExpression).toBe('holder = :me');
      expect(p.ExpressionAttributeValues).toEqual({ ':me': executionId });
      expect(p.Key).toEqual(lockKey());
      expect(p.TableName).toBe(paramsOf(m, 'Acquire Lock').TableName);
    });

    it.each(LOCKING)('%s never ends SUCCEEDED holding the lock: Unlock rides out throttling, then fails LockNotReleasedError, saying so', (m) => {
      const top = topOf(m);
      for (const name of ['Unlock', 'Unlock After Failure']) {
        const unlock = top[name]!;
        const retry = (unlock.Retry as Array<{ ErrorEquals: string[]; MaxAttempts: number; MaxDelaySeconds?: number }>)[0]!;
        expect(retry.ErrorEquals, name).toContain('DynamoDB.ProvisionedThroughputExceededException');
        expect(retry.MaxAttempts, name).toBe(20);
        expect(retry.MaxDelaySeconds, name).toBe(60);
        // Only a lock taken over by another execution is left alone without a word.
        const catches = unlock.Catch as Array<{ ErrorEquals: string[]; Next: string }>;
        expect(catches.map((c) => c.ErrorEquals), name).toEqual([['DynamoDB.ConditionalCheckFailedException'], ['States.ALL']]);
        expect(catches[0]!.Next, name).toBe(unlock.Next);
        const describe = top[catches[1]!.Next]!;
        expect(describe.Type, name).toBe('Pass');
        expect(describe.ResultPath, name).toBe('$.failure');
        const parameters = describe.Parameters as Record<string, string>;
        expect(parameters['Cause.$'], name).toContain('could not be released');
        if (name === 'Unlock') {
          // After a success: a named failure, through the workflow's Notify Failed, to a Fail state.
          expect(parameters.Error).toBe('LockNotReleasedError');
          expect(describe.Next).not.toBe(unlock.Next);
        } else {
          // After a failure: the original error, its cause saying the lock is still held.
          expect(parameters['Error.$']).toBe('$.failure.Error');
          expect(describe.Next).toBe(unlock.Next);
        }
      }
    });

    it.each(LOCKING)('%s passes through an Unlock state on every path once it holds the lock, success and failure', (m) => {
      const top = topOf(m);
      const unlocks = new Set(
        Object.entries(top)
          .filter(([, s]) => s.Resource === 'arn:aws:states:::dynamodb:deleteItem' && (s.Parameters as { ConditionExpression?: string })?.ConditionExpression === 'holder = :me')
          .map(([name]) => name),
      );
      expect([...unlocks].sort()).toEqual(['Unlock', 'Unlock After Failure']);

      const locked = lockedState(m);
      if (m === DEPLOY) {
        const runRelease = top['Run Release']!;
        // An error the Parallel does not catch would end the execution holding the lock.
        expect(catchAllTarget(runRelease), 'Run Release has no States.ALL Catch').toBeDefined();
        expect(runRelease.End, 'Run Release ends the execution').toBeUndefined();
        expect(runRelease.Next, 'success path').toBeDefined();
      }

      // Walk every path from the first state entered holding the lock; stop at an Unlock; anything else that ends the execution leaks the lock.
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
      walk(locked, []);

      expect(leaks, `paths from ${locked} that do not unlock`).toEqual([]);
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
    it("confirms the alarms after the approval: a zero-length bake check (deploy/check-bake.ts) before 'Record Release'", () => {
      const confirm = stateNamed(definition, 'Confirm Alarms');
      const parameters = confirm.Parameters as { phase?: { startedAt?: unknown; deadline?: unknown }; [key: string]: unknown };

      expect(approval().Next).toBe('Confirm Alarms');
      expect(confirm.Type).toBe('Task');
      expect(lambdaModules.get('Confirm Alarms')).toBe('deploy/check-bake.ts');
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
      const catcher = failureCatcher(confirm);
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

    // No tier of the canonical environment rolls by surge: a release ends at its record, with no surge cleanup to run
    // (test/e2e/surge/surge.test.ts: a surge environment's release terminates its stopped hosts after the record).
    it("ends a release without a surge tier at 'Record Release': no 'Terminate Surged Hosts' state", () => {
      expect(() => stateNamed(definition, 'Terminate Surged Hosts')).toThrow(/found 0/);
      const record = stateNamed(definition, 'Record Release')!;
      expect(record.End).toBe(true);
      expect(record.Next).toBeUndefined();
    });
  });
});
