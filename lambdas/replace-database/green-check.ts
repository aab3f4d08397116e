/**
 * Check Green Database: the environment's check document (a connection and a query), sent by
 * SSM Run Command to one host of the migration's runner tier against the GREEN endpoint
 * (document parameter `endpoint`), as restore-data checks a restored instance
 * (lambdas/restore-data/validation.ts). No host uses the green: a failure changes nothing.
 */
import { GreenDatabaseFailedError } from '../domain/contract/errors';
import { completePhase, continuePhase, requirePhase, startPhase } from '../shared/phase';
import { describeHosts } from '../shared/polling';
import { cancelCommands, CommandRefusedError, describeRefusal, readProgress, sendToHosts } from '../shared/ssm-commands';
import type { GreenCheckPhase, ReplaceTaskInput } from './types';

type CheckEvent = ReplaceTaskInput & { readonly greenIdentifier: string; readonly greenEndpoint: string; readonly phase?: GreenCheckPhase };

const unchanged = (event: CheckEvent) => `no switchover was asked for: ${event.plan.current.identifier} still serves, and the green ${event.greenIdentifier} is kept for inspection`;

export async function startGreenCheck(event: CheckEvent): Promise<GreenCheckPhase> {
  const { plan } = event;
  const { runner, ...command } = plan.check;
  try {
    const commandIds = await sendToHosts({
      command,
      instanceIds: [runner.id],
      parameters: { endpoint: [event.greenEndpoint] },
      comment: `fleetflow check green database ${event.greenIdentifier}`,
    });
    return { ...startPhase(command.timeoutSeconds, plan.polling, commandIds, command.expectedSeconds), greenEndpoint: event.greenEndpoint };
  } catch (err) {
    if (!(err instanceof CommandRefusedError)) throw err;
    throw new GreenDatabaseFailedError(`check of ${event.greenIdentifier}: ${describeRefusal('check', [runner], err)}; ${unchanged(event)}`, { cause: err });
  }
}

export async function checkGreenCheck(event: CheckEvent): Promise<GreenCheckPhase> {
  const phase = requirePhase(event) as GreenCheckPhase;
  const { plan } = event;
  const now = Date.now();
  const progress = await readProgress(phase.commandIds ?? [], [plan.check.runner.id]);
  if (progress.failed.length > 0) {
    throw new GreenDatabaseFailedError(
      `the check document ${plan.check.document} failed on ${describeHosts([plan.check.runner])} against the green ${event.greenIdentifier} (${progress.failed[0]!.details}); ${unchanged(event)}`,
    );
  }
  if (progress.pending.length === 0) return { ...completePhase(phase, now), greenEndpoint: phase.greenEndpoint };
  if (now >= phase.deadline) {
    await cancelCommands(phase.commandIds ?? []);
    throw new GreenDatabaseFailedError(`the check of the green ${event.greenIdentifier} did not finish within ${plan.check.timeoutSeconds}s; ${unchanged(event)}`);
  }
  return { ...continuePhase(phase, plan.polling, now), greenEndpoint: phase.greenEndpoint };
}
