/**
 * Return Batch To Traffic: registers the batch again (or runs the undrain command) and
 * schedules the first health check for the soonest moment the hosts can pass it.
 */
import { startPhase } from '../shared/phase';
import { sendToHosts } from '../shared/ssm-commands';
import { register } from '../shared/target-health';
import type { BatchTaskInput, PhaseState } from './types';

export const handler = async (event: BatchTaskInput): Promise<PhaseState> => returnToTraffic(event);

export async function returnToTraffic(event: BatchTaskInput): Promise<PhaseState> {
  const { tier, batch } = event;
  const ids = batch.hosts.map((h) => h.id);

  switch (tier.traffic.kind) {
    case 'target-group':
      await register(tier.traffic.targetGroupArns, ids);
      // No target can pass its health checks sooner than this.
      return { ...startPhase(tier.healthTimeoutSeconds, tier.polling), waitSeconds: Math.max(tier.healthyAfterSeconds, tier.polling.minSeconds) };
    case 'drain-command': {
      const commandIds = await sendToHosts({
        command: tier.traffic.undrain,
        instanceIds: ids,
        comment: `fleetflow ${tier.environment}/${tier.name} undrain batch ${batch.index + 1}/${batch.count}`,
      });
      return startPhase(tier.healthTimeoutSeconds, tier.polling, commandIds);
    }
    case 'none':
      // Nothing to put back; Check Health runs the tier's health command.
      return startPhase(tier.healthTimeoutSeconds, tier.polling);
  }
}
