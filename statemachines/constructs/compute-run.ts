/**
 * The frame every compute workflow (allocate, scale out, replace) runs in, around the
 * stages the workflow gives:
 *
 *   Start -> Plan <Workflow> (read-only; refusals here change nothing) -> [the plan's nothingToDo:
 *   Notify Succeeded, done, the lock never taken] -> Acquire Lock
 *   -> Notify Started -> [Terminate Leftovers] -> stages... (allocate's: allocateStages, the
 *   database created or restored while the hosts launch)
 *   -> Unlock -> Notify Succeeded
 *   on failure in a stage that launches: Clean Up Launched (deregister, terminate everything
 *   this execution launched, wait until terminated) -> Unlock After Failure -> Notify Failed -> fail
 *
 * One lock per environment (constructs/lock.ts): a replacement and a release never run at once.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { lambdasOf, type FunctionSpec, type FunctionSpecs } from '../../lib/constructs/function-catalog';
import { FleetFlowStateMachine, WORKFLOW_TIMEOUT } from '../../lib/constructs/fleetflow-state-machine';
import type { FleetFlowFunction } from '../../lib/constructs/fleetflow-function';
import { COMPUTE_FUNCTION_SPECS } from './compute-functions';
import { catchNamed } from './failures';
import { lambdaTask } from './lambda-task';
import { LongOperation } from './long-operation';
import { LockedWorkflow } from './locked-workflow';
import { prepareThenProvisionTiers, provisionTiers, type ProvisionTiersFunctions } from './provision-tiers';
import { RESTORE_DATA_FUNCTION_SPECS } from '../restore-data/functions';
import { isHostTier } from '../../lambdas/domain/environment/tiers';
import { acknowledgeLocking, workflowStateMachineArn, workflowStateMachineName, type LockingWorkflowProps } from './workflow';

export interface ComputeFunctions extends ProvisionTiersFunctions {
  readonly terminateLaunched: lambda.IFunction;
  readonly createDatabase: lambda.IFunction;
  readonly checkDatabaseCreated: lambda.IFunction;
}

/** What every compute workflow invokes besides its planner. */
const COMPUTE_RUN_INVOKES = {
  launchHosts: COMPUTE_FUNCTION_SPECS.launchHosts,
  checkHostsReady: COMPUTE_FUNCTION_SPECS.checkHostsReady,
  verifyDependencies: COMPUTE_FUNCTION_SPECS.verifyDependencies,
  storeNewHosts: COMPUTE_FUNCTION_SPECS.storeNewHosts,
  terminateLaunched: COMPUTE_FUNCTION_SPECS.terminateLaunched,
  createDatabase: COMPUTE_FUNCTION_SPECS.createDatabase,
  checkDatabaseCreated: COMPUTE_FUNCTION_SPECS.checkDatabaseCreated,
} as const satisfies FunctionSpecs;

export interface ComputeRunProps extends LockingWorkflowProps {
  /** The workflow's name in its state machine's: "allocate", "scale-out", "replace". */
  readonly workflow: 'allocate' | 'scale-out' | 'replace';
  /** As people read it: "Allocate", "Scale Out", "Replace". */
  readonly label: string;
  /** The workflow's read-only planner. */
  readonly planner: FunctionSpec;
}

/** A stage of the run: a one-branch Parallel, so its failure is caught in one place. */
export type Stage = (scope: Construct, next: sfn.IChainable) => { start: sfn.IChainable };

/** What allocate invokes to restore the data for the hosts it launches (`"database": "restore"`). */
const RESTORE_INVOKES = {
  restoreDatabase: RESTORE_DATA_FUNCTION_SPECS.restoreDatabase,
  checkRestore: RESTORE_DATA_FUNCTION_SPECS.checkRestore,
  validateData: RESTORE_DATA_FUNCTION_SPECS.validateData,
  checkValidation: RESTORE_DATA_FUNCTION_SPECS.checkValidation,
  writeConnection: RESTORE_DATA_FUNCTION_SPECS.writeConnection,
  recordDatabase: RESTORE_DATA_FUNCTION_SPECS.recordDatabase,
} as const satisfies FunctionSpecs;

export class ComputeRun extends Construct {
  readonly definition: sfn.IChainable;
  /** The functions the run invokes, its planner first. */
  readonly invokes: FleetFlowFunction[];
  private provisionMap?: sfn.Map;
  private readonly props: ComputeRunProps;
  private readonly f: ComputeFunctions;
  private readonly cleanUp: sfn.IChainable;
  private readonly keepAndFail: sfn.IChainable;

  constructor(scope: Construct, id: string, props: ComputeRunProps, stages: (run: ComputeRun, done: sfn.IChainable) => sfn.IChainable) {
    super(scope, id);
    this.props = props;
    const planner = props.functions.function(props.planner);
    const functions = props.functions.functions(COMPUTE_RUN_INVOKES);
    this.invokes = [planner, ...Object.values(functions)];
    this.f = lambdasOf(functions);
    const frame = new LockedWorkflow(this, 'Frame', {
      environment: props.environment,
      label: props.label,
      planner: planner.function,
      complete: {
        parameters: {
          'environment.$': '$.plan.environment',
          'workflow.$': '$.plan.workflow',
          'launched.$': '$.plan.launchCount',
          // Allocate: the restored database's outcome with "database": "restore", else null.
          ...(props.workflow === 'allocate' ? { 'restored.$': '$.restored' } : {}),
        },
      },
      lockTable: props.lockTable,
      lockHolderExecutionArns: props.lockHolderExecutionArns,
      ...(props.eventBus ? { eventBus: props.eventBus } : {}),
      stateMachineArn: workflowStateMachineArn(this, props.environment.name, props.workflow),
    });
    const unlockAfterFailure = frame.unlockAfterFailure;
    this.keepAndFail = unlockAfterFailure;

    // Whatever failed, nothing this execution launched is left running unasked.
    const cleanUpPayload = (phasePath?: string) => ({ 'execution.$': '$$.Execution.Name', 'plan.$': '$.plan', ...(phasePath ? { 'phase.$': phasePath } : {}) });
    const cleanUp = new LongOperation(this, 'Clean Up Launched', {
      resultPath: '$.cleanUp',
      start: { name: 'Clean Up Launched', handler: this.f.terminateLaunched, payload: cleanUpPayload(), options: { idempotent: true, restoring: true } },
      check: { name: 'Check Termination', handler: this.f.terminateLaunched, payload: cleanUpPayload('$.cleanUp') },
      choice: 'Launched Terminated?',
      wait: 'Wait For Termination',
      restoring: true,
    });
    cleanUp.next(unlockAfterFailure);
    const describeCleanUpFailure = new sfn.Pass(this, 'Describe Clean Up Failure', {
      parameters: {
        'Error.$': '$.failure.Error',
        'Cause.$': "States.Format('{} (and terminating what this execution launched failed too: look for instances tagged fleetflow:launched-by = {})', $.failure.Cause, $$.Execution.Name)",
      },
      resultPath: '$.failure',
    });
    describeCleanUpFailure.next(unlockAfterFailure);
    for (const task of cleanUp.tasks) task.addCatch(describeCleanUpFailure, { errors: ['States.ALL'], resultPath: '$.cleanUpFailure' });
    this.cleanUp = cleanUp;

    const body = stages(this, frame.done);
    // A plan with nothing to change (allocate on a complete environment, replace finding no unhealthy host) ends
    // before the lock; allocate's Complete reads $.restored, which no restore set. Scale-out always adds (add >= 1).
    const nothingRestored = props.workflow === 'allocate' ? new sfn.Pass(this, 'Nothing Allocated', { result: sfn.Result.fromBoolean(false), resultPath: '$.restored' }) : undefined;
    const nothingToDo = props.workflow === 'scale-out' ? undefined : { when: sfn.Condition.isPresent('$.plan.nothingToDo'), ...(nothingRestored ? { then: nothingRestored } : {}) };
    this.definition = frame.whileLocked(frame.notifyStarted(this.leftoversStep(body)), nothingToDo);
  }

  /** Provisions every tier of the plan (launch, set up, install, into service): scale-out's and replace's stage. */
  get provision(): sfn.Map {
    this.provisionMap ??= provisionTiers(this, { functions: this.f, rollout: this.props.rollout, timeout: WORKFLOW_TIMEOUT });
    return this.provisionMap;
  }

  /** The workflow's state machine, in `scope` (the workflow construct that owns it). */
  stateMachine(scope: Construct, comment: string): FleetFlowStateMachine {
    const machine = new FleetFlowStateMachine(scope, 'StateMachine', {
      stateMachineName: workflowStateMachineName(this.props.environment.name, this.props.workflow),
      comment,
      definition: this.definition,
      invokes: this.invokes,
      alarmTopic: this.props.alarmTopic,
    });
    acknowledgeLocking(machine, this.props);
    return machine;
  }

  /** A stage whose failure terminates what this execution launched (`launches`), or only fails, keeping everything. */
  stage(name: string, body: sfn.IChainable, next: sfn.IChainable, options: { launches: boolean; context: string }): sfn.Parallel {
    const stage = new sfn.Parallel(this, name, { resultPath: sfn.JsonPath.DISCARD });
    stage.branch(body);
    catchNamed(this, stage, options.launches ? this.cleanUp : this.keepAndFail, { resultPath: '$.failure', context: options.context });
    stage.next(next);
    return stage;
  }

  /**
   * Hosts a stopped run launched and never set up (the plan's `leftovers`) are terminated
   * first, now that no other run of the environment can be launching; the plan did not
   * count them, so the stages launch what they replace. Nothing this run launched exists yet.
   */
  private leftoversStep(next: sfn.IChainable): sfn.IChainable {
    const terminate = lambdaTask(
      this,
      'Terminate Leftovers',
      this.f.terminateLaunched,
      { 'execution.$': '$$.Execution.Name', 'leftovers.$': '$.plan.leftovers' },
      sfn.JsonPath.DISCARD,
      { idempotent: true },
    );
    catchNamed(this, terminate, this.keepAndFail, { resultPath: '$.failure', context: ' terminating hosts a stopped run left' });
    terminate.next(next);
    return new sfn.Choice(this, 'Leftovers?').when(sfn.Condition.isPresent('$.plan.leftovers'), terminate).otherwise(next);
  }

  /**
   * Allocate's stages. The hosts launch while the database is created or restored (a Parallel,
   * both branches observed to their end: each catches its own failure and returns it, so a
   * failed launch still waits for the database it started, and a failed database still has its
   * hosts found and terminated), and are set up only once it is available:
   *
   *   Prepare: [Create Database -> Wait/Check | Restore Database -> Wait/Check | nothing]
   *            || Prepare Tiers (launch, ready, verify, store)
   *   -> Prepared? (a branch's failure: Clean Up Launched)
   *   -> [restore: Validate Data on a new host -> Write Connection] -> Provision Tiers (set up,
   *      install, into service) -> [restore: Record Database] -> next
   */
  allocateStages(next: sfn.IChainable): sfn.IChainable {
    const f = this.f;
    const launchContext = ' allocating the environment';
    const { prepare, provision } = prepareThenProvisionTiers(this, { functions: f, rollout: this.props.rollout, timeout: WORKFLOW_TIMEOUT, resultPath: '$.tiers', itemsPath: '$.prepare.hosts.tiers' });

    // ---------- hosts branch: its failure is its result ----------
    const hostsFailed = new sfn.Pass(this, 'Hosts Not Prepared', { parameters: { 'failure.$': '$.failure' } });
    catchNamed(this, prepare, hostsFailed, { resultPath: '$.failure', context: launchContext });
    prepare.next(new sfn.Pass(this, 'Hosts Prepared', { parameters: { 'tiers.$': '$.tiers' } }));

    // ---------- database branch: created, restored, or nothing; its failure is its result ----------
    const databaseFailed = new sfn.Pass(this, 'Database Not Ready', { parameters: { 'failure.$': '$.failure' } });
    const databaseReady = new sfn.Pass(this, 'Database Ready', { parameters: {} });
    const payload = (phasePath?: string) => ({ 'execution.$': '$$.Execution.Name', 'database.$': '$.plan.database', ...(phasePath ? { 'phase.$': phasePath } : {}) });
    const create = new LongOperation(this, 'Create Database', {
      resultPath: '$.databaseCreate',
      start: { name: 'Create Database', handler: f.createDatabase, payload: payload(), options: { idempotent: true }, neverDone: true },
      check: { name: 'Check Database Created', handler: f.checkDatabaseCreated, payload: payload('$.databaseCreate') },
      choice: 'Database Created?',
      wait: 'Wait For Database',
    });
    create.next(databaseReady);
    for (const task of create.tasks) catchNamed(this, task, databaseFailed, { resultPath: '$.failure', context: ' creating the database' });
    const databaseStep = new sfn.Choice(this, 'Database Needed?').when(sfn.Condition.isPresent('$.plan.database'), create);
    const r = this.restoreSteps(databaseReady, databaseFailed);
    if (r) databaseStep.when(sfn.Condition.isPresent('$.plan.restore'), r.restore);
    databaseStep.otherwise(databaseReady);

    const both = new sfn.Parallel(this, 'Prepare', { resultSelector: { 'database.$': '$[0]', 'hosts.$': '$[1]' }, resultPath: '$.prepare' });
    both.branch(databaseStep);
    both.branch(prepare);
    catchNamed(this, both, this.cleanUp, { resultPath: '$.failure', context: launchContext });

    // ---------- after the join: either branch's failure, raised again in a stage, terminates what was launched ----------
    const raise = (name: string, path: string) => new sfn.Fail(this, name, { errorPath: `${path}.Error`, causePath: `${path}.Cause` });
    const check = new sfn.Choice(this, 'Prepared?')
      .when(sfn.Condition.isPresent('$.prepare.hosts.failure'), raise('Hosts Failed To Prepare', '$.prepare.hosts.failure'))
      .when(sfn.Condition.isPresent('$.prepare.database.failure'), raise('Database Failed To Prepare', '$.prepare.database.failure'))
      .otherwise(new sfn.Pass(this, 'Both Prepared'));
    // One Provision stage either way: with a restore, the data is checked and the connection written first.
    const noRestore = new sfn.Pass(this, 'Nothing Restored', { result: sfn.Result.fromBoolean(false), resultPath: '$.restored' });
    noRestore.next(next);
    const restored = new sfn.Choice(this, 'Restored?');
    if (r) restored.when(sfn.Condition.isPresent('$.plan.restore'), this.recordStep(r.recordDatabase, next));
    restored.otherwise(noRestore);
    const stage = this.stage('Provision', provision, restored, { launches: true, context: launchContext });
    const toProvision = r ? new sfn.Choice(this, 'Restore To Check?').when(sfn.Condition.isPresent('$.plan.restore'), r.beforeProvision(stage)).otherwise(stage) : stage;
    const prepared = this.stage('Prepared', check, toProvision, { launches: true, context: launchContext });
    both.next(prepared);
    return both;
  }

  /**
   * `"database": "restore"`: the restore (in the database branch), then after the join the check
   * from the runner tier's first new host (or one the plan found), the connection parameter
   * written, the hosts provisioned (they first install, so first serve, on the restored data),
   * and the restored instance recorded as current. Undefined when the environment defines no restore.
   */
  private restoreSteps(
    ready: sfn.IChainable,
    failed: sfn.IChainable,
  ): { restore: sfn.IChainable; beforeProvision: (provision: sfn.IChainable) => sfn.IChainable; recordDatabase: lambda.IFunction } | undefined {
    const data = this.props.environment.tiers.find((t) => !isHostTier(t));
    if (!data || isHostTier(data) || !data.database.restore) return undefined;
    const functions = this.props.functions.functions(RESTORE_INVOKES);
    this.invokes.push(...Object.values(functions));
    const f = lambdasOf(functions);
    const task = (phasePath?: string) => ({ 'execution.$': '$$.Execution.Name', 'plan.$': '$.plan.restore', ...(phasePath ? { 'phase.$': phasePath } : {}) });
    const restore = new LongOperation(this, 'Restore Database', {
      resultPath: '$.restore',
      start: { name: 'Restore Database', handler: f.restoreDatabase, payload: task(), options: { idempotent: true } },
      check: { name: 'Check Restored Database', handler: f.checkRestore, payload: task('$.restore') },
      choice: 'Restore Available?',
      wait: 'Wait For Restored Database',
    });
    restore.next(ready);
    for (const t of restore.tasks) catchNamed(this, t, failed, { resultPath: '$.failure', context: ' restoring the database' });

    const runnerTier = data.database.migration.runnerTier;
    const beforeProvision = (provision: sfn.IChainable): sfn.IChainable => {
      // A filter, allowed in Parameters (not in reference paths: "The operators @ .. , : ? * aren't supported" there only):
      // the first new host of the runner tier, as a list of one, or none when the plan names a host that was there.
      const checkPayload = (phasePath?: string) => ({ ...task(phasePath), 'runners.$': `$.prepare.hosts.tiers[?(@.tierName == '${runnerTier}')].first` });
      const validate = new LongOperation(this, 'Validate Data', {
        resultPath: '$.validation',
        start: { name: 'Validate Data', handler: f.validateData, payload: checkPayload(), options: { idempotent: true }, neverDone: true },
        check: { name: 'Check Data Validation', handler: f.checkValidation, payload: checkPayload('$.validation') },
        choice: 'Data Valid?',
        wait: 'Wait For Data Validation',
      });
      // Before any host is set up: each first installs, so first serves, on the restored data.
      const write = lambdaTask(this, 'Write Connection', f.writeConnection, { 'parameter.$': '$.plan.restore.connectionParameter', 'endpoint.$': '$.validation.endpoint' }, sfn.JsonPath.DISCARD, { idempotent: true });
      validate.next(write);
      const stepFailed = new sfn.Fail(this, 'Restore Step Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
      for (const t of [...validate.tasks, write]) catchNamed(this, t, stepFailed, { resultPath: '$.failure', context: ' pointing the new hosts at the restored database' });
      // Its own stage (a failure terminates what was launched), whose result keeps the endpoint for Record Database.
      const point = new sfn.Parallel(this, 'Point At Restored', { resultSelector: { 'endpoint.$': '$[0].validation.endpoint' }, resultPath: '$.validation' });
      point.branch(validate);
      catchNamed(this, point, this.cleanUp, { resultPath: '$.failure', context: ' pointing the new hosts at the restored database' });
      point.next(provision);
      return point;
    };
    return { restore, beforeProvision, recordDatabase: f.recordDatabase };
  }

  /** Record Database: every new host serves on the restored instance; it is the environment's database now. */
  private recordStep(recordDatabase: lambda.IFunction, next: sfn.IChainable): sfn.IChainable {
    const record = lambdaTask(
      this,
      'Record Database',
      recordDatabase,
      { 'execution.$': '$$.Execution.Name', 'plan.$': '$.plan.restore', 'endpoint.$': '$.validation.endpoint' },
      '$.restored',
      { idempotent: true },
    );
    // The hosts serve on it: they are kept, and the cause says what to write.
    catchNamed(this, record, this.keepAndFail, {
      resultPath: '$.failure',
      context: '; every new host serves on the restored database, but it is not recorded as current: write its identifier to the database record',
    });
    record.next(next);
    return record;
  }
}
