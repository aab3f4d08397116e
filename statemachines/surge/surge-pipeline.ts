/**
 * One batch of a surge release (batch.strategy "surge"): capacity never drops, because the
 * batch's replacements are in service before its old hosts leave.
 *
 *   Launch Surge Hosts -> [Wait/Check Surge Hosts]* (launched, ready, then every setup step: one
 *   operation) -> Surge Install On New Hosts -> [Wait/Check]* -> Surge Put New Hosts In Service
 *   -> [Wait/Check]* -> (retire pipeline, "Surge ": [capacity,] out, drained, stopped and kept,
 *   reason "surge") -> [Surge Check Alarms] -> next
 *   a failure before the new hosts are in service: they are terminated, the batch fails;
 *   after (taking the old hosts out, the tier's alarms): the new hosts stay in service, the old
 *   ones go back, and the batch fails. The release then rolls back (restoring the old hosts,
 *   retiring the new ones) or halts, by policy
 *
 * `$.batch` stays the old hosts throughout: the install and the entry into service read the new
 * ones where the setup's done phase leaves them (`$.surgeSetUp.batch`), and the retire pipeline
 * the old ones as they are, so no Pass reshapes the state; the state holds the two host lists, each
 * once, until the rollout's Load Next Surge Batch rebuilds it.
 *
 * Counted from a simulated run (environments/surge.json, test/e2e/surge/pipeline.test.ts: two
 * batches a tier), a batch is 24-25 states: the step to it (Load Batch, or Load Next Surge Batch),
 * Launch Surge Hosts, Wait For Surge Hosts (a pause of 0 for hosts launched a batch before), Check
 * Surge Hosts and Surge Hosts Set Up? per look, 4 + 4 for the install and the health (their starts go
 * straight to their Waits: LongOperation `neverDone`), 5 for the drain, the stop (Surge Retire Hosts,
 * its Choice, and for a segment's last batch Wait, Check, Choice), Surge Check Alarms, More Surge
 * Batches?. The first batch waits for its hosts to boot and its setup takes two looks; it does not wait
 * for its old hosts to stop; it launched the next batch's hosts with its own, so it
 * needs no Launch Next Surge Hosts (a batch that found the tier's old hosts still stopping does). It was
 * 29, and 34-37 before issue 17's second pass, which took out Keep Old Batch and Back To Old Batch (the
 * Passes that swapped the new hosts in and out of `$.batch`), Surge Hosts Launched? and Set Up
 * Surge Hosts (the launch starts the setup's operation), Surge Check Retire Capacity and its Choice
 * for a tier behind target groups (the take-out refuses a batch the rest of the tier cannot cover,
 * InsufficientCapacityError, and the new hosts were just seen healthy in those groups; a tier no
 * load balancer watches still counts its hosts first), and Surge Gate On Alarms? (the stop's own
 * Choice goes to the gate when the batch's alarms are checked). 54 before issue 17.
 *
 * Pipelined (the plan's `tier.surge.pipeline`: batch.maxSurge holds two batches), Launch Surge Hosts
 * also launches the next batch's new hosts (lambdas/surge/launch-surge-hosts.ts: same idempotent
 * launch, scope `surge#<tier>#<index + 1>`, same tokens as the next batch's own). Those hosts boot
 * while this batch sets up, installs and swaps; the next batch's own Launch Surge Hosts then finds
 * them launched, long enough ago to look at their readiness at once. This batch starts only once
 * the one before stopped its old hosts, so never more than two batches' new hosts exist beyond the tier.
 * Every failure of this batch also terminates the next batch's hosts (scope `surge#<tier>#<index + 1>`),
 * so a halt or rollback finds what it found before.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SURGE_REASON } from '../../lambdas/domain/contract/tags';
import { BATCH_CONTEXT, BATCH_CONTEXT_ARGS, BATCH_HISTORY, batchPayload } from '../rollout/batch-pipeline';
import { catchNamed } from '../constructs/failures';
import { lambdaTask } from '../constructs/lambda-task';
import { LongOperation } from '../constructs/long-operation';
import type { ProvisionFunctions } from '../constructs/provision-pipeline';
import { RetirePipeline, type RetireFunctions } from '../replace/retire-pipeline';

export interface SurgeFunctions extends Pick<ProvisionFunctions, 'installRelease' | 'checkInstall'>, RetireFunctions {
  readonly checkAlarms: lambda.IFunction;
  readonly launchSurgeHosts: lambda.IFunction;
  readonly setUpSurgeHosts: lambda.IFunction;
  readonly terminateLaunched: lambda.IFunction;
}

export class SurgePipeline extends Construct {
  readonly start: sfn.IChainable;

  constructor(scope: Construct, id: string, props: { functions: SurgeFunctions; next: sfn.IChainable }) {
    super(scope, id);
    const f = props.functions;
    const failed = new sfn.Fail(this, 'Surge Batch Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    // Nothing of the old batch has moved: only the new hosts of this batch go, and the next
    // batch's when this one prepared them (none otherwise: nothing launched under its scope).
    const thisScope = "States.Format('surge#{}#{}', $.tier.name, $.batch.index)";
    const nextScope = "States.Format('surge#{}#{}', $.tier.name, States.MathAdd($.batch.index, 1))";
    const cleanUpPayload = (scope: string, phasePath?: string) => ({
      'execution.$': '$.execution',
      plan: { 'tiers.$': 'States.Array($.tierOnly)' },
      'scope.$': scope,
      ...(phasePath ? { 'phase.$': phasePath } : {}),
    });
    const bothScopes = `States.Array(${thisScope}, ${nextScope})`;
    /**
     * Terminates what the surge launched under `scope` (its input shaped first), then goes to `then`
     * whether or not that worked: the failure that brought it here is the one the batch ends with.
     */
    const terminateUnder = (
      scope: string,
      names: { input: string; start: string; check: string; choice: string; wait: string },
      then: sfn.IChainable,
    ): sfn.Pass => {
      const shape = new sfn.Pass(this, names.input, { parameters: { 'spec.$': '$.tier' }, resultPath: '$.tierOnly' });
      const terminate = new LongOperation(this, names.start, {
        resultPath: '$.surgeCleanUp',
        start: { name: names.start, handler: f.terminateLaunched, payload: cleanUpPayload(scope), options: { idempotent: true, restoring: true } },
        check: { name: names.check, handler: f.terminateLaunched, payload: cleanUpPayload(scope, '$.surgeCleanUp') },
        choice: names.choice,
        wait: names.wait,
        restoring: true,
      });
      shape.next(terminate);
      terminate.next(then);
      for (const task of terminate.tasks) task.addCatch(then, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });
      return shape;
    };
    const shapeCleanUp = terminateUnder(
      bothScopes,
      { input: 'Surge Batch Cleanup Input', start: 'Terminate Surge Hosts', check: 'Check Surge Termination', choice: 'Surge Hosts Terminated?', wait: 'Wait For Surge Termination' },
      failed,
    );
    const named = (task: sfn.TaskStateBase) =>
      catchNamed(this, task, shapeCleanUp, { resultPath: '$.failure', context: BATCH_CONTEXT, args: BATCH_CONTEXT_ARGS, causeIn: BATCH_HISTORY });

    // Once this batch's new hosts are in service they stay (a halt keeps them, a rollback retires
    // them); only the next batch's prepared hosts, in no service yet, are terminated before it fails.
    const inServiceFailed = new sfn.Fail(this, 'Surge Batch Failed In Service', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    const shapePreparedCleanUp = terminateUnder(
      nextScope,
      { input: 'Prepared Cleanup Input', start: 'Terminate Prepared Surge Hosts', check: 'Check Prepared Termination', choice: 'Prepared Surge Hosts Terminated?', wait: 'Wait For Prepared Termination' },
      inServiceFailed,
    );
    // Unpipelined, or on the segment's last batch (nothing prepared), each failure ends where it always did.
    const prepared = sfn.Condition.and(
      sfn.Condition.isPresent('$.tier.surge.pipeline'),
      sfn.Condition.booleanEquals('$.tier.surge.pipeline', true),
      sfn.Condition.numberLessThanJsonPath('$.index', '$.last'),
    );
    const afterService = (name: string, failed: sfn.IChainable) => new sfn.Choice(this, name).when(prepared, shapePreparedCleanUp).otherwise(failed);

    // The tier's alarms gate the next batch, as in a rolling release; a surge batch that set them off fails, named.
    // The retire pipeline's last Choice goes to the gate when the batch's alarms are checked (`$.checkAlarms`).
    const batchFailed = new sfn.Fail(this, 'Surge Batch Alarmed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    const gate = lambdaTask(this, 'Surge Check Alarms', f.checkAlarms, batchPayload(false), sfn.JsonPath.DISCARD, { idempotent: true });
    gate.next(props.next);
    catchNamed(this, gate, afterService('Surge Alarmed With Prepared Hosts?', batchFailed), { resultPath: '$.failure', context: BATCH_CONTEXT, args: BATCH_CONTEXT_ARGS, causeIn: BATCH_HISTORY });
    const retireFailed = new sfn.Fail(this, 'Surge Retire Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    // `$.batch` is the old hosts throughout: the retire pipeline reads it as it is.
    const retire = new RetirePipeline(this, 'Retire', {
      functions: f,
      next: props.next,
      gateOnAlarms: gate,
      prefix: 'Surge ',
      reason: SURGE_REASON,
      onFailure: afterService('Surge Retire Failed With Prepared Hosts?', retireFailed),
      // Pipelined, the next batch's hosts are launched (Launch Next Surge Hosts) only once these have
      // stopped, so the batch need not wait for the stop: it overlaps the next batch's setup. The
      // segment's last batch still waits (the next segment, or tier, launches at once).
      stopWaitSkippedWhen: prepared,
      takeOutRefuses: true,
    });

    // The new hosts' install and their entry into service, as a provision batch runs them (constructs/provision-pipeline.ts),
    // on the batch the setup's done phase carries (`$.surgeSetUp.batch`: the new hosts, `label` as causes name them). A
    // failure names them too, as Keep Old Batch, which swapped them in for these tasks, once made it.
    const onNewHosts = (phasePath?: string) => ({ ...batchPayload(false, phasePath), 'batch.$': '$.surgeSetUp.batch' });
    const namedOnNewHosts = (task: sfn.TaskStateBase) =>
      catchNamed(this, task, shapeCleanUp, { resultPath: '$.failure', context: BATCH_CONTEXT, args: ['$.tier.name', '$.surgeSetUp.batch.label'], causeIn: BATCH_HISTORY });
    const inService = new LongOperation(this, 'Surge Put New Hosts In Service', {
      resultPath: '$.health',
      start: { name: 'Surge Put New Hosts In Service', handler: f.returnToTraffic, payload: onNewHosts(), neverDone: true },
      check: { name: 'Surge Check New Hosts Health', handler: f.checkHealthy, payload: onNewHosts('$.health') },
      choice: 'Surge New Hosts Healthy?',
      wait: 'Surge Wait For New Hosts Health',
    });
    // Behind target groups, the take-out itself refuses to leave the tier short (InsufficientCapacityError, caught as
    // Check Retire Capacity's refusal is), and the new hosts were just seen healthy in them: no capacity check of its own.
    // A tier no load balancer watches is counted by its health command first (Check Retire Capacity). First: a Choice
    // takes the first rule that matches.
    inService.choice.when(
      sfn.Condition.and(sfn.Condition.booleanEquals('$.health.done', true), sfn.Condition.stringEquals('$.tier.traffic.kind', 'target-group')),
      retire.takeOut,
    );
    inService.next(retire.start);
    const install = new LongOperation(this, 'Surge Install On New Hosts', {
      resultPath: '$.install',
      start: { name: 'Surge Install On New Hosts', handler: f.installRelease, payload: onNewHosts(), neverDone: true },
      check: { name: 'Surge Check New Hosts Install', handler: f.checkInstall, payload: onNewHosts('$.install') },
      choice: 'Surge New Hosts Installed?',
      wait: 'Surge Wait For New Hosts Install',
    });
    install.next(inService);

    const launchPayload = (phasePath?: string) => ({ ...batchPayload(false, phasePath), 'keyPrefix.$': '$.keyPrefix', 'last.$': '$.last' });
    // One operation from the launch to the last setup step: Launch Surge Hosts starts it (the hosts' readiness is its first
    // phase), Check Surge Hosts readies and sets them up. Check Surge Hosts sends the setup steps' commands (SendCommand
    // has no idempotency token): it is not retried on a transient failure that may come after a send, as Set Up Hosts and
    // Set Up Next Step are not; Launch Surge Hosts sends none, and is (its launch is idempotent by client token).
    const setUp = new LongOperation(this, 'Launch Surge Hosts', {
      resultPath: '$.surgeSetUp',
      start: { name: 'Launch Surge Hosts', handler: f.launchSurgeHosts, payload: launchPayload(), options: { idempotent: true }, neverDone: true },
      check: { name: 'Check Surge Hosts', handler: f.setUpSurgeHosts, payload: batchPayload(false, '$.surgeSetUp'), sends: true },
      choice: 'Surge Hosts Set Up?',
      wait: 'Wait For Surge Hosts',
    });
    // A launch past its time budget (thousands of hosts in a batch) goes on before any look: only this function may launch.
    const launchMore = lambdaTask(this, 'Launch More Surge Hosts', f.launchSurgeHosts, launchPayload('$.surgeSetUp'), '$.surgeSetUp', { idempotent: true });
    launchMore.next(setUp.choice);
    setUp.choice.when(sfn.Condition.stringEquals('$.surgeSetUp.stage', 'launch'), launchMore);
    // Pipelined, once this batch's new hosts are set up: the next batch's (lambdas/surge/launch-surge-hosts.ts:
    // only once the previous batch's old hosts have stopped; best effort, not prepared is only slower).
    const launchNext = lambdaTask(
      this,
      'Launch Next Surge Hosts',
      f.launchSurgeHosts,
      { ...launchPayload(), next: true },
      sfn.JsonPath.DISCARD,
      { idempotent: true },
    );
    launchNext.addCatch(install, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });
    launchNext.next(install);
    // Unpipelined, or on the segment's last batch, nothing is prepared: no task to run; nor when the launch already
    // prepared the next batch's hosts (`prepared` in the phase: nothing of the tier was still stopping then).
    setUp.choice.when(
      // Not(IsPresent) rather than IsPresent false, which aws-local-stepfunctions 2.x never matches (AWS does).
      sfn.Condition.and(sfn.Condition.booleanEquals('$.surgeSetUp.done', true), prepared, sfn.Condition.not(sfn.Condition.isPresent('$.surgeSetUp.prepared'))),
      launchNext,
    );
    setUp.next(install);
    for (const task of [...setUp.tasks, launchMore]) named(task);
    for (const task of [...install.tasks, ...inService.tasks]) namedOnNewHosts(task);
    this.start = setUp;
  }
}
