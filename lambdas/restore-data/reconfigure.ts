/**
 * Reconfigure Hosts: the environment's reconfigure document, sent by SSM Run Command to a
 * batch of hosts already out of traffic; each host reads the connection parameter again and
 * reconnects to the database it now names (`tier.reconfigure.database`). Recorded on the
 * hosts before sending (`fleetflow:database-sent`), so that whatever happens next, the repoint
 * back knows they may use it. SendCommand has no idempotency token: a retried task sends the
 * document again, which reconnecting to the same database makes harmless (the documented
 * contract: the reconfigure document must be safe to run twice).
 */
import { ReconfigureFailedError } from '../domain/contract/errors';
import { markReconfiguring, recordDatabase } from '../shared/host-records';
import { completePhase, continuePhase, requirePhase, startPhase } from '../shared/phase';
import { describeHosts, describeList, MAX_NAMED } from '../shared/polling';
import { cancelCommands, CommandRefusedError, describeRefusal, readProgress, sendToHosts } from '../shared/ssm-commands';
import type { BatchTaskInput, PhaseState, TierPlan } from '../domain/contract/payloads';

function reconfigureOf(tier: TierPlan): NonNullable<TierPlan['reconfigure']> {
  if (!tier.reconfigure) throw new TypeError(`tier ${tier.name} was planned without a reconfigure step`);
  return tier.reconfigure;
}

export async function reconfigureHosts(event: BatchTaskInput): Promise<PhaseState> {
  const { tier, batch } = event;
  const { command, database } = reconfigureOf(tier);
  const ids = batch.hosts.map((h) => h.id);
  await markReconfiguring(ids, database);
  try {
    const commandIds = await sendToHosts({
      command,
      instanceIds: ids,
      comment: `fleetflow ${tier.environment}/${tier.name} use database ${database} batch ${batch.index + 1}/${batch.count}`,
    });
    return startPhase(command.timeoutSeconds, tier.polling, commandIds, event.expected?.installSeconds ?? command.expectedSeconds);
  } catch (err) {
    if (!(err instanceof CommandRefusedError)) throw err;
    throw new ReconfigureFailedError(`tier ${tier.name}: ${describeRefusal(`reconfigure for ${database}`, batch.hosts, err)}`, { cause: err });
  }
}

/** Check Reconfigure: every host's invocation; once all succeeded, each records the database it uses. */
export async function checkReconfigured(event: BatchTaskInput): Promise<PhaseState> {
  const phase = requirePhase(event);
  const { tier, batch } = event;
  const { command, database } = reconfigureOf(tier);
  const now = Date.now();
  const progress = await readProgress(phase.commandIds ?? [], batch.hosts.map((h) => h.id), phase);
  if (progress.failed.length > 0) {
    const named = progress.failed.slice(0, MAX_NAMED).map((f) => {
      const host = batch.hosts.find((h) => h.id === f.instanceId) ?? { id: f.instanceId, name: f.instanceId };
      return `${describeHosts([host])}: ${f.details}`;
    });
    const failed = describeList([...named, ...progress.failed.slice(MAX_NAMED).map((f) => f.instanceId)], { separator: '; ' });
    throw new ReconfigureFailedError(`tier ${tier.name}: reconfigure for database ${database} failed on ${failed}`);
  }
  if (progress.pending.length > 0) {
    if (now < phase.deadline) return continuePhase(phase, tier.polling, now);
    await cancelCommands(phase.commandIds ?? []);
    const late = batch.hosts.filter((h) => progress.pending.includes(h.id));
    throw new ReconfigureFailedError(`tier ${tier.name}: reconfigure for database ${database} did not finish within ${command.timeoutSeconds}s on ${describeHosts(late)}`);
  }
  await recordDatabase(batch.hosts.map((h) => h.id), database);
  return completePhase(phase, now);
}
