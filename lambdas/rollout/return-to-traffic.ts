/**
 * Return Batch To Traffic: registers the batch again (or runs the undrain command) and
 * schedules the first health check for the soonest moment the hosts can pass it.
 */
import { DrainFailedError, HostUnhealthyError } from '../domain/contract/errors';
import { startPhase } from '../shared/phase';
import { describeHosts, formatCount } from '../shared/polling';
import { CommandRefusedError, describeRefusal, sendToHosts } from '../shared/ssm-commands';
import { register, TargetsRefusedError } from '../shared/target-health';
import { clearOutOfTraffic } from '../shared/host-records';
import type { BatchTaskInput, PhaseState } from '../domain/contract/payloads';

export const handler = async (event: BatchTaskInput): Promise<PhaseState> => returnToTraffic(event);

export async function returnToTraffic(event: BatchTaskInput): Promise<PhaseState> {
  const { tier, batch } = event;
  const ids = batch.hosts.map((h) => h.id);

  switch (tier.traffic.kind) {
    case 'target-group':
      await register(tier.traffic.targetGroupArns, ids).catch((err: unknown) => {
        if (!(err instanceof TargetsRefusedError)) throw err;
        // The other hosts are back in traffic; the refused ones cannot be (not running, or gone).
        const refused = batch.hosts.filter((h) => err.refused.has(h.id));
        const registered = err.registered.length === 0 ? 'no host of the batch was registered' : `the other ${formatCount(err.registered.length)} host(s) of the batch were registered`;
        throw new HostUnhealthyError(
          `tier ${tier.name}: ELB refused to register ${describeHosts(refused)} (InvalidTarget: not running, or no longer exists); ${registered}`,
          { cause: err },
        );
      });
      await clearOutOfTraffic(ids);
      // No target can pass its health checks sooner than this; a batch with no host (a restarted surge's
      // batch of replaced old hosts) registered none, so it has nothing to wait for.
      return batch.hosts.length === 0 ? { ...startPhase(tier.healthTimeoutSeconds, tier.polling), waitSeconds: 0 } : startPhase(tier.healthTimeoutSeconds, tier.polling, undefined, tier.healthyAfterSeconds);
    case 'drain-command': {
      const commandIds = await sendToHosts({
        command: tier.traffic.undrain,
        instanceIds: ids,
        comment: `fleetflow ${tier.environment}/${tier.name} undrain batch ${batch.index + 1}/${batch.count}`,
      }).catch((err: unknown) => {
        if (!(err instanceof CommandRefusedError)) throw err;
        throw new DrainFailedError(`tier ${tier.name}: ${describeRefusal('undrain command', batch.hosts, err)}`, { cause: err });
      });
      await clearOutOfTraffic(ids);
      return startPhase(tier.healthTimeoutSeconds, tier.polling, commandIds);
    }
    case 'none':
      // Nothing to put back; Check Health runs the tier's health command.
      return startPhase(tier.healthTimeoutSeconds, tier.polling);
  }
}
