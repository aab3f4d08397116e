/**
 * Validate Data: the environment's check document (a connection and a query), sent by SSM
 * Run Command to one host of the migration's runner tier, against the restored instance's
 * endpoint (document parameter `endpoint`). No host uses the restored instance yet: a
 * failure here changes nothing but leaves the restored instance for inspection.
 */
import { describeDatabase, endpointOf } from '../shared/database-record';
import { RestoredDataInvalidError } from '../domain/contract/errors';
import { completePhase, continuePhase, requirePhase, startPhase } from '../shared/phase';
import { describeHosts } from '../shared/polling';
import { cancelCommands, CommandRefusedError, describeRefusal, readProgress, sendToHosts } from '../shared/ssm-commands';
import type { RestoreTaskInput, ValidationPhase } from '../domain/contract/payloads';

const unchanged = ({ plan }: RestoreTaskInput) =>
  plan.resume
    ? `this execution repointed no host; ${plan.current.identifier} is still the recorded database, and what ${plan.resume.execution} left stands: ` +
      `${plan.resume.hosts || 'no host'} moved or moving onto ${plan.target.identifier}${plan.resume.connectionNamesTarget ? ', which the connection parameter names' : ''}`
    : `no host was repointed; ${plan.current.identifier} is still the current database and ${plan.target.identifier} is kept for inspection`;

export async function validateData(event: RestoreTaskInput): Promise<ValidationPhase> {
  const { plan } = event;
  const instance = await describeDatabase(plan.target.identifier);
  const endpoint = instance && endpointOf(instance);
  if (!endpoint) throw new RestoredDataInvalidError(`restored database ${plan.target.identifier} has no endpoint (${instance?.DBInstanceStatus ?? 'not found'}); ${unchanged(event)}`);
  const { runner: _planned, ...command } = plan.check;
  const runner = runnerOf(event);
  try {
    const commandIds = await sendToHosts({
      command,
      instanceIds: [runner.id],
      parameters: { endpoint: [endpoint] },
      comment: `fleetflow check restored database ${plan.target.identifier}`,
    });
    return { ...startPhase(command.timeoutSeconds, plan.polling, commandIds, command.expectedSeconds), endpoint };
  } catch (err) {
    if (!(err instanceof CommandRefusedError)) throw err;
    throw new RestoredDataInvalidError(`check of ${plan.target.identifier}: ${describeRefusal('check', [runner], err)}; ${unchanged(event)}`, { cause: err });
  }
}

/** The host the check runs on: the plan's, else the first the allocate launched in the runner tier. */
function runnerOf(event: RestoreTaskInput) {
  const runner = event.plan.check.runner ?? event.runners?.[0];
  if (!runner) throw new RestoredDataInvalidError(`no host of the check's runner tier to check ${event.plan.target.identifier} from; ${unchanged(event)}`);
  return runner;
}

/** Check Data Validation: the check document's outcome on the runner. */
export async function checkValidation(event: RestoreTaskInput & { phase?: ValidationPhase }): Promise<ValidationPhase> {
  const phase = requirePhase(event) as ValidationPhase;
  const { plan } = event;
  const now = Date.now();
  const runner = runnerOf(event);
  const progress = await readProgress(phase.commandIds ?? [], [runner.id]);
  if (progress.failed.length > 0) {
    throw new RestoredDataInvalidError(
      `the check document ${plan.check.document} failed on ${describeHosts([runner])} against ${plan.target.identifier} ` +
        `(${progress.failed[0]!.details}); ${unchanged(event)}`,
    );
  }
  if (progress.pending.length === 0) return { ...completePhase(phase, now), endpoint: phase.endpoint };
  if (now >= phase.deadline) {
    await cancelCommands(phase.commandIds ?? []);
    throw new RestoredDataInvalidError(`the check of ${plan.target.identifier} did not finish within ${plan.check.timeoutSeconds}s; ${unchanged(event)}`);
  }
  return { ...continuePhase(phase, plan.polling, now), endpoint: phase.endpoint };
}
