/**
 * Return Batch To Traffic: registers the batch again (or runs the undrain command) and
 * schedules the first health check for the soonest moment the hosts can pass it.
 */
import { nextPollSeconds } from '../shared/polling';
import { sendToHosts } from '../shared/ssm-commands';
import { register } from '../shared/target-health';
import type { BatchTaskInput, PhaseState } from './types';

export const handler = async (event: BatchTaskInput): Promise<PhaseState> => returnToTraffic(event);

export async function returnToTraffic(event: BatchTaskInput): Promise<PhaseState> {
  const { tier, batch } = event;
  const ids = batch.hosts.map((h) => h.id);
  const startedAt = Date.now();
  const deadline = startedAt + tier.healthTimeoutSeconds * 1000;

  switch (tier.traffic.kind) {
    case 'target-group':
      await register(tier.traffic.targetGroupArns, ids);
      return { startedAt, deadline, done: false, waitSeconds: Math.max(tier.healthyAfterSeconds, tier.polling.minSeconds) };
    case 'drain-command': {
      const commandIds = await sendToHosts({
        command: tier.traffic.undrain,
        instanceIds: ids,
        comment: `fleetflow ${tier.environment}/${tier.name} undrain batch ${batch.index + 1}/${batch.count}`,
      });
      return { startedAt, deadline, done: false, waitSeconds: nextPollSeconds(0, tier.polling), commandIds };
    }
    case 'none':
      return { startedAt, deadline, done: true, waitSeconds: 0 };
  }
}
