/**
 * Take Batch Out: removes the batch's hosts from traffic (ELB deregistration, or the
 * tier's drain command) after checking that the rest of the tier still holds the
 * minimum healthy capacity. Draining is then polled by Check Drain.
 *
 * A deregistered target is shown `draining` until its group's deregistration delay has
 * elapsed (ALB user guide), so without a host-side drain check the first look comes at the
 * delay. With one (`drain.check`), the check is sent to the batch's hosts as soon as they are
 * deregistered, and the first look comes when the tier's previous batch drained (or the
 * check's `expectedSeconds`).
 */
import { DrainFailedError, InsufficientCapacityError } from '../domain/contract/errors';
import { completePhase, startPhase } from '../shared/phase';
import { describeHosts } from '../shared/polling';
import { logger } from '../shared/logger';
import { CommandRefusedError, describeRefusal, sendToHosts } from '../shared/ssm-commands';
import { deregister, healthyTargets } from '../shared/target-health';
import { markOutOfTraffic } from '../shared/host-records';
import { batchEventsEnabled, putBatchProgress } from '../shared/batch-events';
import type { BatchTaskInput, PhaseState } from '../domain/contract/payloads';

export const handler = async (event: BatchTaskInput): Promise<PhaseState> => takeOutOfTraffic(event);

export async function takeOutOfTraffic(event: BatchTaskInput): Promise<PhaseState> {
  const { tier, batch } = event;
  const ids = batch.hosts.map((h) => h.id);

  switch (tier.traffic.kind) {
    case 'target-group': {
      // A rollback restores the previous release even when capacity is already short.
      const inService = !event.rollback ? await assertCapacityWithout(event, tier.traffic.targetGroupArns)
        : batchEventsEnabled() ? await countWithoutBestEffort(event, tier.traffic.targetGroupArns) : null;
      // Recorded before the hosts leave, so a release started after this one stops finds them.
      await markOutOfTraffic(ids, event.execution);
      await deregister(tier.traffic.targetGroupArns, ids);
      const commandIds = await sendDrainCheck(event, tier.traffic.ports ?? []);
      const delay = tier.traffic.deregistrationDelaySeconds;
      const expected = commandIds ? (event.expected?.drainSeconds ?? tier.drainCheck?.expectedSeconds) : (delay ?? event.expected?.drainSeconds);
      // The last call: a retry of this task re-puts the event only if the invocation failed after it.
      await putBatchProgress(event, 'out-of-traffic', inService);
      return startPhase(tier.drainTimeoutSeconds, tier.polling, commandIds, expected);
    }
    case 'drain-command': {
      await markOutOfTraffic(ids, event.execution);
      const commandIds = await sendToHosts({
        command: tier.traffic.drain,
        instanceIds: ids,
        comment: `fleetflow ${tier.environment}/${tier.name} drain batch ${batch.index + 1}/${batch.count}`,
      }).catch((err: unknown) => {
        if (!(err instanceof CommandRefusedError)) throw err;
        throw new DrainFailedError(`tier ${tier.name}: ${describeRefusal('drain command', batch.hosts, err)}`, { cause: err });
      });
      await putBatchProgress(event, 'out-of-traffic', null);
      return startPhase(tier.drainTimeoutSeconds, tier.polling, commandIds, event.expected?.drainSeconds);
    }
    case 'none':
      await putBatchProgress(event, 'out-of-traffic', null);
      return completePhase(startPhase(tier.drainTimeoutSeconds, tier.polling));
  }
}

/**
 * Sends the tier's host-side drain check to the batch (at most 50 instances per SendCommand),
 * with the ports it watches and how long it may wait. The check only reads, and the hosts'
 * out-of-traffic record was written before they were deregistered, so a retried task that
 * sends it again changes nothing. Hosts SSM refuses (InvalidInstanceId) are drained by the
 * load balancer's word instead, at the deregistration delay. Undefined: no check was sent.
 */
async function sendDrainCheck(event: BatchTaskInput, ports: readonly number[]): Promise<string[] | undefined> {
  const { tier, batch } = event;
  const check = tier.drainCheck;
  if (!check || ports.length === 0) return undefined;
  try {
    return await sendToHosts({
      command: check,
      instanceIds: batch.hosts.map((h) => h.id),
      parameters: { ports: ports.map(String), timeoutSeconds: [String(check.timeoutSeconds)] },
      comment: `fleetflow ${tier.environment}/${tier.name} drain check batch ${batch.index + 1}/${batch.count}`,
    });
  } catch (err) {
    if (!(err instanceof CommandRefusedError)) throw err;
    logger.warn('drain check not sent to every host; those hosts wait for the deregistration delay', {
      tier: tier.name,
      refusal: describeRefusal('drain check', batch.hosts, err),
    });
    return err.sentCommandIds.length > 0 ? [...err.sentCommandIds] : undefined;
  }
}

/**
 * The tier must keep `minHealthy` hosts in service in every target group without this batch.
 * Returns the fewest that any group keeps: what the batch's progress event reports in service.
 */
async function assertCapacityWithout(event: BatchTaskInput, targetGroupArns: readonly string[]): Promise<number | null> {
  const batchIds = new Set(event.batch.hosts.map((h) => h.id));
  let fewest: number | null = null;
  for (const arn of targetGroupArns) {
    const healthy = await healthyTargets(arn);
    const remaining = [...healthy].filter((id) => !batchIds.has(id)).length;
    if (remaining < event.tier.minHealthy) {
      throw new InsufficientCapacityError(
        `tier ${event.tier.name}: taking out ${describeHosts(event.batch.hosts)} would leave ${remaining} healthy host(s) in ` +
          `${arn.split(':').pop()}, below the minimum of ${event.tier.minHealthy}; the batch was not taken out of traffic`,
      );
    }
    fewest = Math.min(fewest ?? remaining, remaining);
  }
  return fewest;
}

/** A rollback's count for its progress event only: it must not fail the rollback, so a refused look counts nothing. */
async function countWithoutBestEffort(event: BatchTaskInput, targetGroupArns: readonly string[]): Promise<number | null> {
  const batchIds = new Set(event.batch.hosts.map((h) => h.id));
  try {
    let fewest: number | null = null;
    for (const arn of targetGroupArns) {
      const remaining = [...(await healthyTargets(arn))].filter((id) => !batchIds.has(id)).length;
      fewest = Math.min(fewest ?? remaining, remaining);
    }
    return fewest;
  } catch (err) {
    logger.warn('in-service count for the batch event not read', { tier: event.tier.name, error: err instanceof Error ? err.name : String(err) });
    return null;
  }
}
