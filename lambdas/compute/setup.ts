/**
 * Set Up Hosts: sends one step of a tier's setup (a prerequisite document, or the probe of
 * the health check path) to a batch of new hosts; Check Set Up polls it. The steps run in
 * order, each on every host of the batch before the next. The documents are sent once per
 * task; like the install document, they must be safe to run twice (a SendCommand throttled
 * midway through a batch of more than 50 hosts is sent again when the task is retried).
 */
import { DependencyCheckFailedError, PrerequisiteFailedError } from '../domain/contract/errors';
import { startPhase } from '../shared/phase';
import { describeHosts, describeList, MAX_NAMED } from '../shared/polling';
import { cancelCommands, CommandRefusedError, describeRefusal, readProgress, sendToHosts } from '../shared/ssm-commands';
import type { BatchTaskInput, PhaseState, SetupStep } from '../domain/contract/payloads';

export interface SetupTaskInput extends BatchTaskInput {
  readonly setup: readonly SetupStep[];
  /** The step to send (0 = the first). */
  readonly step: number;
}

/** A setup phase knows its step and whether another follows. */
export interface SetupPhase extends PhaseState {
  readonly step: number;
  readonly more: boolean;
}

export async function setUpHosts(event: SetupTaskInput): Promise<SetupPhase> {
  const { tier, batch, setup, step } = event;
  const command = setup[step];
  if (!command) return { ...startPhase(1, tier.polling), done: true, waitSeconds: 0, step, more: false };
  try {
    const commandIds = await sendToHosts({
      command,
      instanceIds: batch.hosts.map((h) => h.id),
      comment: `fleetflow ${tier.environment}/${tier.name} setup ${step + 1}/${setup.length} batch ${batch.index + 1}/${batch.count}`,
    });
    return { ...startPhase(command.timeoutSeconds, tier.polling, commandIds, command.expectedSeconds), step, more: step + 1 < setup.length };
  } catch (err) {
    if (!(err instanceof CommandRefusedError)) throw err;
    throw setupFailure(command, `tier ${tier.name}: ${describeRefusal(describeStep(command), batch.hosts, err)}`, err);
  }
}

export function describeStep(step: SetupStep): string {
  return step.purpose === 'probe' ? 'the probe of the health check path' : `prerequisite ${step.document}`;
}

/** A failed prerequisite is PrerequisiteFailedError; a health check path that does not answer, DependencyCheckFailedError. */
export function setupFailure(step: SetupStep, message: string, cause?: unknown): Error {
  return step.purpose === 'probe' ? new DependencyCheckFailedError(message, { cause }) : new PrerequisiteFailedError(message, { cause });
}

/**
 * A sent step's progress on the batch's hosts (Check Set Up, and a surge's Check Surge Hosts):
 * 'pending' while a host still runs it before the phase's deadline, 'done' once every host
 * succeeded. Past the deadline its commands are cancelled and it fails, naming the late hosts;
 * a host that failed it fails it too, named with what its invocation said.
 */
export async function stepProgress(
  step: SetupStep,
  tier: string,
  hosts: BatchTaskInput['batch']['hosts'],
  phase: Pick<PhaseState, 'commandIds' | 'startedAt' | 'deadline'>,
  now: number,
): Promise<'pending' | 'done'> {
  const progress = await readProgress(phase.commandIds ?? [], hosts.map((h) => h.id), phase);
  if (progress.pending.length > 0) {
    if (now < phase.deadline) return 'pending';
    await cancelCommands(phase.commandIds ?? []);
    const late = hosts.filter((h) => progress.pending.includes(h.id));
    throw setupFailure(step, `tier ${tier}: ${describeStep(step)} did not finish within ${step.timeoutSeconds}s on ${describeHosts(late)}`);
  }
  if (progress.failed.length > 0) {
    const named = progress.failed.slice(0, MAX_NAMED).map((f) => {
      const host = hosts.find((h) => h.id === f.instanceId) ?? { id: f.instanceId, name: f.instanceId };
      return `${describeHosts([host])}: ${f.details}`;
    });
    const failed = describeList([...named, ...progress.failed.slice(MAX_NAMED).map((f) => f.instanceId)], { separator: '; ' });
    throw setupFailure(step, `tier ${tier}: ${describeStep(step)} failed on ${failed}`);
  }
  return 'done';
}
