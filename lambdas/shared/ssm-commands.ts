/**
 * Run Command across many hosts: SendCommand takes at most 50 instance IDs, and each
 * host's outcome is read back from its command invocation.
 */
import {
  CancelCommandCommand,
  paginateListCommandInvocations,
  SendCommandCommand,
  type CommandInvocation,
} from '@aws-sdk/client-ssm';
import { ssm } from './aws/ssm';
import { describeHosts, describeList, formatCount } from './polling';
import type { CommandSpec, HostRef } from '../domain/contract/payloads';

/** SendCommand's documented limit on InstanceIds. */
export const MAX_INSTANCES_PER_COMMAND = 50;

/** Invocation statuses after which nothing more will happen on the host. */
const TERMINAL_STATUSES = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled']);
/** StatusDetails that are terminal although Status may still read otherwise. */
const TERMINAL_DETAILS = new Set([
  'Undeliverable',
  'Terminated',
  'InvalidPlatform',
  'AccessDenied',
  // StatusDetails spells these with spaces; ListCommands filters without.
  'Delivery Timed Out',
  'Execution Timed Out',
  'DeliveryTimedOut',
  'ExecutionTimedOut',
]);

export interface SendToHostsRequest {
  readonly command: CommandSpec;
  readonly instanceIds: readonly string[];
  /** Extra parameters for this send, e.g. the release to install. */
  readonly parameters?: Record<string, string[]>;
  /** Shown in the Run Command console; SSM caps it at 100 characters. */
  readonly comment: string;
}

/**
 * SendCommand refused one call with InvalidInstanceId. The SSM API reference: the whole
 * call fails when a managed node is not valid for it (the caller may not access it, SSM
 * Agent is not running or not registered, or the instance is shutting-down or terminated;
 * Running, Pending, Stopped and Stopping are valid). Nothing of that call was sent; the
 * calls before it (earlier chunks of 50) were. Callers turn this into their named error.
 */
export class CommandRefusedError extends Error {
  override readonly name = 'CommandRefusedError';
  constructor(
    readonly document: string,
    /** Commands already sent by earlier calls, and the instances they went to. */
    readonly sentCommandIds: readonly string[],
    readonly sentTo: readonly string[],
    /** The instance IDs of the refused call. */
    readonly refused: readonly string[],
    /** The instances of the refused call that SSM's message names (it may name none). */
    readonly named: readonly string[],
    /** Every instance the command did not reach: the refused call and the calls after it. */
    readonly notSent: readonly string[],
    cause: unknown,
  ) {
    super(`SendCommand of ${document} refused: ${(cause as Error).message}`, { cause });
  }
}

/** The instance IDs of `chunk` that an SSM error message names, e.g. "Instances [[i-1, i-2]] not in a valid state ...". */
function namedInstances(message: string, chunk: readonly string[]): string[] {
  const tokens = new Set(message.split(/[^A-Za-z0-9-]+/));
  return chunk.filter((id) => tokens.has(id));
}

export async function sendToHosts(request: SendToHostsRequest): Promise<string[]> {
  const commandIds: string[] = [];
  for (let i = 0; i < request.instanceIds.length; i += MAX_INSTANCES_PER_COMMAND) {
    const chunk = request.instanceIds.slice(i, i + MAX_INSTANCES_PER_COMMAND);
    let Command;
    try {
      ({ Command } = await ssm.send(
        new SendCommandCommand({
          DocumentName: request.command.document,
          InstanceIds: chunk,
          Parameters: { ...request.command.parameters, ...request.parameters },
          // Delivery timeout; the execution timeout is enforced by the polling task.
          TimeoutSeconds: Math.min(request.command.timeoutSeconds, 2_592_000),
          Comment: request.comment.slice(0, 100),
          // Every host runs and reports on its own; FleetFlow decides what a failure means.
          MaxConcurrency: String(chunk.length),
          MaxErrors: String(chunk.length),
        }),
      ));
    } catch (err) {
      if ((err as Error).name !== 'InvalidInstanceId') throw err;
      throw new CommandRefusedError(
        request.command.document,
        [...commandIds],
        request.instanceIds.slice(0, i),
        chunk,
        namedInstances((err as Error).message ?? '', chunk),
        request.instanceIds.slice(i),
        err,
      );
    }
    if (!Command?.CommandId) throw new Error(`SendCommand for ${request.command.document} returned no CommandId`);
    commandIds.push(Command.CommandId);
  }
  return commandIds;
}

/** What reached the hosts before SendCommand was refused, when a caller sent more than one request. */
export interface SendOutcome {
  readonly sentCommandIds: readonly string[];
  readonly sentTo: readonly string[];
  readonly notSent: readonly string[];
}

/**
 * A message that says what is known and no more: which hosts SSM refused (or, when its
 * message names none, that one or more hosts of the refused call were not valid), and
 * whether the command reached any host of the batch. Hosts are named a few at a time
 * (describeHosts): the message becomes the batch's cause.
 */
export function describeRefusal(what: string, hosts: readonly Pick<HostRef, 'id' | 'name'>[], refusal: CommandRefusedError, outcome: SendOutcome = refusal): string {
  const ref = (ids: readonly string[]) => ids.map((id) => hosts.find((h) => h.id === id) ?? { id, name: id });
  const why = 'not valid for Run Command (InvalidInstanceId: shutting-down or terminated, SSM Agent not running or not registered, or not permitted)';
  const refused =
    refusal.named.length > 0
      ? `${describeHosts(ref(refusal.named))} ${refusal.named.length === 1 ? 'is' : 'are'} ${why}`
      : `one or more of ${describeHosts(ref(refusal.refused))} (SSM did not say which) is ${why}`;
  const reached =
    outcome.sentTo.length === 0
      ? `the ${what} was sent to none of the ${formatCount(hosts.length)} host(s) it was for`
      : `the ${what} was already sent to ${formatCount(outcome.sentTo.length)} host(s) (${describeHosts(ref(outcome.sentTo), 3)}; ` +
        `command ${describeList(outcome.sentCommandIds, { max: 2 })}) and not to the other ${formatCount(outcome.notSent.length)} ` +
        `(${describeHosts(ref(outcome.notSent), 3)})`;
  return `SSM refused the ${what}: ${refused}; ${reached}`;
}

export interface HostOutcome {
  readonly instanceId: string;
  readonly status: string;
  readonly details: string;
}

export interface CommandProgress {
  readonly pending: string[];
  readonly succeeded: string[];
  readonly failed: HostOutcome[];
}

/** Reads every invocation of the given commands and sorts the hosts by outcome. */
export async function readProgress(commandIds: readonly string[], instanceIds: readonly string[]): Promise<CommandProgress> {
  const byInstance = new Map<string, CommandInvocation>();
  for (const commandId of commandIds) {
    for await (const page of paginateListCommandInvocations({ client: ssm, pageSize: 50 }, { CommandId: commandId })) {
      for (const invocation of page.CommandInvocations ?? []) {
        if (invocation.InstanceId) byInstance.set(invocation.InstanceId, invocation);
      }
    }
  }
  const progress: CommandProgress = { pending: [], succeeded: [], failed: [] };
  for (const instanceId of instanceIds) {
    const invocation = byInstance.get(instanceId);
    const status = invocation?.Status ?? 'Pending';
    const details = invocation?.StatusDetails ?? status;
    if (status === 'Success') progress.succeeded.push(instanceId);
    else if (TERMINAL_STATUSES.has(status) || TERMINAL_DETAILS.has(details)) progress.failed.push({ instanceId, status, details });
    else progress.pending.push(instanceId);
  }
  return progress;
}

/** Stops commands that ran out of time, so nothing keeps changing hosts behind our back. */
export async function cancelCommands(commandIds: readonly string[]): Promise<void> {
  for (const commandId of commandIds) await ssm.send(new CancelCommandCommand({ CommandId: commandId }));
}
