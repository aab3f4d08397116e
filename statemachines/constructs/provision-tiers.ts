/**
 * Provision Tiers: every tier of a compute plan at once (a Map over `$.plan.tiers`), each:
 *
 *   Launch Hosts -> [Wait/Launch More Hosts]* -> Check Hosts Ready -> [Wait/Check]* (running,
 *   status checks ok, online in SSM) -> Verify Dependencies -> Store New Hosts (plan table)
 *   -> Provision Segments: child executions of the rollout workflow in mode "provision"
 *   (set up, install the recorded release, into traffic, healthy)
 *
 * Allocate runs it in two Maps (prepareThenProvisionTiers): Prepare Tiers up to Store New
 * Hosts while its database is created or restored, then Provision Tiers rolls the segments.
 *
 * Any failure fails the Map with the tier's FleetFlow error; the workflow then terminates
 * what the execution launched (compute-run.ts). The state carries the tier's plan and
 * counts; the hosts are found by tag, and their batches are in the plan table.
 */
import type { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { catchNamed } from './failures';
import { lambdaTask } from './lambda-task';
import { LongOperation } from './long-operation';
import { rollSegments } from './roll-tiers';

export interface ProvisionTiersFunctions {
  readonly launchHosts: lambda.IFunction;
  readonly checkHostsReady: lambda.IFunction;
  readonly verifyDependencies: lambda.IFunction;
  readonly storeNewHosts: lambda.IFunction;
}

export function provisionTiers(
  scope: Construct,
  props: { functions: ProvisionTiersFunctions; rollout: sfn.IStateMachine; timeout: Duration },
): sfn.Map {
  const { launch, toSegments } = prepareChain(scope, props.functions);
  toSegments.next(rollSegments(scope, { prefix: 'Provision ', rollout: props.rollout, timeout: props.timeout }));
  const map = new sfn.Map(scope, 'Provision Tiers', {
    itemsPath: '$.plan.tiers',
    itemSelector: { 'execution.$': '$$.Execution.Name', 'tier.$': '$$.Map.Item.Value' },
    resultPath: sfn.JsonPath.DISCARD,
  });
  map.itemProcessor(launch);
  return map;
}

/**
 * The same in two steps, for allocate, which prepares the hosts while its database is created
 * or restored and sets them up only once it is available: `prepare` launches every tier's hosts
 * and waits until they are ready, verified and stored, each item's result the tier's segments
 * (and its first new host, `first`) at `resultPath`; `provision` then rolls each tier's segments
 * (set up, install, into service) from the array at `itemsPath`.
 */
export function prepareThenProvisionTiers(
  scope: Construct,
  props: { functions: ProvisionTiersFunctions; rollout: sfn.IStateMachine; timeout: Duration; resultPath: string; itemsPath: string },
): { prepare: sfn.Map; provision: sfn.Map } {
  const { launch } = prepareChain(scope, props.functions, true);
  const prepare = new sfn.Map(scope, 'Prepare Tiers', {
    itemsPath: '$.plan.tiers',
    itemSelector: { 'execution.$': '$$.Execution.Name', 'tier.$': '$$.Map.Item.Value' },
    resultPath: props.resultPath,
  });
  prepare.itemProcessor(launch);
  // Each item is a tier's segments as New Hosts To Segments wrote them: the rollout's own input.
  const provision = new sfn.Map(scope, 'Provision Tiers', { itemsPath: props.itemsPath, resultPath: sfn.JsonPath.DISCARD });
  provision.itemProcessor(rollSegments(scope, { prefix: 'Provision ', rollout: props.rollout, timeout: props.timeout }));
  return { prepare, provision };
}

/** Launch Hosts -> ... -> Store New Hosts -> New Hosts To Segments (whose output the segments roll). */
function prepareChain(scope: Construct, f: ProvisionTiersFunctions, withFirst = false): { launch: sfn.IChainable; toSegments: sfn.Pass } {
  const failed = new sfn.Fail(scope, 'Tier Provisioning Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
  const named = (task: sfn.TaskStateBase | sfn.Map) =>
    catchNamed(scope, task, failed, { resultPath: '$.failure', context: ' provisioning tier {}', args: ['$.tier.spec.name'] });
  const payload = (phasePath?: string) => ({ 'execution.$': '$.execution', 'tier.$': '$.tier', ...(phasePath ? { 'phase.$': phasePath, 'launch.$': phasePath } : {}) });

  const toSegments = new sfn.Pass(scope, 'New Hosts To Segments', {
    parameters: {
      'release.$': '$.tier.release',
      'execution.$': '$.execution',
      'tier.$': '$.stored.spec',
      'keyPrefix.$': '$.stored.keyPrefix',
      'batchCount.$': '$.stored.batchCount',
      'segments.$': '$.stored.segments',
      checkAlarms: false,
      mode: 'provision',
      'setup.$': '$.tier.setup',
      reason: '',
      'tierName.$': '$.tier.spec.name',
      // A restore's check runs on the runner tier's first new host (absent when the tier launched none).
      ...(withFirst ? { 'first.$': '$.stored.first' } : {}),
    },
  });
  const store = lambdaTask(scope, 'Store New Hosts', f.storeNewHosts, payload(), '$.stored', { idempotent: true });
  store.next(toSegments);
  const verify = lambdaTask(scope, 'Verify Dependencies', f.verifyDependencies, payload(), sfn.JsonPath.DISCARD, { idempotent: true });
  verify.next(store);
  const ready = new LongOperation(scope, 'Check Hosts Ready', {
    resultPath: '$.ready',
    start: { name: 'Check Hosts Ready', handler: f.checkHostsReady, payload: payload(), options: { idempotent: true } },
    check: { name: 'Check Hosts Ready Again', handler: f.checkHostsReady, payload: payload('$.ready') },
    choice: 'Hosts Ready?',
    wait: 'Wait For Hosts',
  });
  ready.next(verify);
  // Launching is safe to repeat (tags and client tokens): every call is retried like a check.
  const launch = new LongOperation(scope, 'Launch Hosts', {
    resultPath: '$.launch',
    start: { name: 'Launch Hosts', handler: f.launchHosts, payload: payload(), options: { idempotent: true } },
    check: { name: 'Launch More Hosts', handler: f.launchHosts, payload: payload('$.launch') },
    choice: 'Hosts Launched?',
    wait: 'Wait To Launch More',
  });
  launch.next(ready);
  for (const task of [...launch.tasks, ...ready.tasks, verify, store]) named(task);
  // A child's failure reaches here with its own FleetFlow name (rollSegments reads it back).
  return { launch, toSegments };
}
