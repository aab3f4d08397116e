/**
 * Run Command across many hosts: SendCommand takes at most 50 instance IDs, and each
 * host's outcome is read back from its command invocation.
 */
import {
  CancelCommandCommand,
  paginateListCommandInvocations,
  paginateListCommands,
  SendCommandCommand,
  type Command,
  type CommandInvocation,
  type ListCommandsCommandInput,
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

/**
 * The phase the commands belong to, when the caller has one: its commands were sent at most one
 * invocation before it started (the task that sent them started it) or during it, and from its
 * deadline on the late hosts are named one by one.
 */
export interface CommandWindow {
  readonly startedAt: number;
  readonly deadline: number;
}

/**
 * How long before a phase's start its commands may have been sent: the sending task's whole
 * invocation (Lambda's 100 s timeout, lib/constructs/fleetflow-function.ts) and a margin for the
 * clocks. A command sent earlier is not listed, and is read by its invocations (readProgress).
 */
export const SEND_LEAD_MS = 5 * 60_000;

/** ListCommands' page: "Valid Range: Minimum value of 1. Maximum value of 50." (SSM API reference, ListCommands MaxResults). */
const COMMANDS_PAGE = 50;

/**
 * Command statuses after which the command changes no more. SSM API reference, Command Status:
 * "Pending | InProgress | Success | Cancelled | Failed | TimedOut | Cancelling"; its StatusDetails
 * calls Success, Failed, Cancelled and the time-outs terminal states, and Cancelling is on its way to Cancelled.
 */
const TERMINAL_COMMAND_STATUSES = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled']);

/**
 * Reads the hosts' outcomes of the given commands and sorts the hosts by outcome.
 *
 * With the phase (`window`), one ListCommands call tells up to 50 commands' state (a batch of
 * 1,000 hosts is 20 commands: one call a look while they run, where the invocations took 20), and
 * only the commands whose hosts must be told apart are read invocation by invocation:
 * - a command still running (Pending, InProgress, Cancelling) with no error counted: its hosts are
 *   pending. Command ErrorCount is "The number of targets for which the status is Failed or
 *   Execution Timed Out", DeliveryTimedOutCount "The number of targets for which the status is
 *   Delivery Timed Out"; a host that succeeded meanwhile is reported with the rest of its command
 *   (at most 50 hosts: the checks that wait for the whole batch lose nothing, and Check Drain and
 *   Check Capacity, which count single hosts, count them when their command ends);
 * - any other (ended, even Success: an undeliverable host does not keep its command from Success,
 *   see commandVerdict; or running with an error counted, so a failure is seen as soon as the
 *   invocations say it): its invocations, one by one, as without a window;
 * - from the deadline on, every command by its invocations: the late hosts are named exactly.
 * Without a window, past the deadline, or for a single command (its up to 50 invocations are one
 * call, as its ListCommands entry would be, and they tell each host apart), every command is read
 * by its invocations.
 */
export async function readProgress(commandIds: readonly string[], instanceIds: readonly string[], window?: CommandWindow): Promise<CommandProgress> {
  const outcomes = new Map<string, { status: string; details: string }>();
  let byInvocation: readonly string[] = commandIds;
  if (window && commandIds.length > 1 && Date.now() < window.deadline) {
    const commands = await listCommands(commandIds, window.startedAt - SEND_LEAD_MS);
    byInvocation = [];
    for (const commandId of commandIds) {
      const command = commands.get(commandId);
      const verdict = command ? commandVerdict(command) : undefined;
      if (!verdict) {
        byInvocation = [...byInvocation, commandId];
        continue;
      }
      for (const instanceId of command?.InstanceIds ?? []) outcomes.set(instanceId, { status: verdict, details: verdict });
    }
  }
  for (const commandId of byInvocation) {
    for await (const page of paginateListCommandInvocations({ client: ssm, pageSize: 50 }, { CommandId: commandId })) {
      for (const invocation of page.CommandInvocations ?? []) {
        if (invocation.InstanceId) outcomes.set(invocation.InstanceId, outcomeOf(invocation));
      }
    }
  }
  const progress: CommandProgress = { pending: [], succeeded: [], failed: [] };
  for (const instanceId of instanceIds) {
    const { status, details } = outcomes.get(instanceId) ?? { status: 'Pending', details: 'Pending' };
    if (status === 'Success') progress.succeeded.push(instanceId);
    else if (TERMINAL_STATUSES.has(status) || TERMINAL_DETAILS.has(details)) progress.failed.push({ instanceId, status, details });
    else progress.pending.push(instanceId);
  }
  return progress;
}

function outcomeOf(invocation: CommandInvocation): { status: string; details: string } {
  const status = invocation.Status ?? 'Pending';
  return { status, details: invocation.StatusDetails ?? status };
}

/**
 * What a command's own state says of all its hosts: 'Pending' (each still runs, none failed yet),
 * or undefined when only its invocations can tell.
 */
export function commandVerdict(command: Pick<Command, 'Status' | 'InstanceIds' | 'ErrorCount' | 'DeliveryTimedOutCount'>): 'Pending' | undefined {
  // Sent by InstanceIds (sendToHosts): without them the command does not say which hosts it ran on.
  if (!command.InstanceIds?.length) return undefined;
  // A command that ended Success is NOT taken as every host's success: "Undeliverable invocations don't
  // count against the parent command's MaxErrors limit and don't contribute to whether the parent
  // command status is Success or Incomplete" (SSM API reference, CommandInvocation StatusDetails), so
  // a command of 49 successes and one undeliverable host ends Success. Its invocations tell.
  const running = command.Status !== undefined && !TERMINAL_COMMAND_STATUSES.has(command.Status);
  if (running && (command.ErrorCount ?? 0) === 0 && (command.DeliveryTimedOutCount ?? 0) === 0) return 'Pending';
  return undefined;
}

/**
 * The given commands as ListCommands describes them: the account's commands sent
 * since `sentAfter` (CommandFilter InvokedAfter: "Specify a timestamp to limit your results. For
 * example, specify 2024-07-07T00:00:00Z to see a list of command executions occurring July 7,
 * 2021, and later."), 50 a page, until every one is found; a command not among them (sent
 * earlier) is read by its invocations.
 */
async function listCommands(commandIds: readonly string[], sentAfter: number): Promise<Map<string, Command>> {
  const wanted = new Set(commandIds);
  const found = new Map<string, Command>();
  const input: ListCommandsCommandInput = { Filters: [{ key: 'InvokedAfter', value: invokedAfterValue(sentAfter) }] };
  for await (const page of paginateListCommands({ client: ssm, pageSize: COMMANDS_PAGE }, input)) {
    for (const command of page.Commands ?? []) {
      if (command.CommandId && wanted.has(command.CommandId)) found.set(command.CommandId, command);
    }
    if (found.size === wanted.size) break;
  }
  return found;
}

/** The InvokedAfter value: the documented form, to the second ("2024-07-07T00:00:00Z"), rounded down so no command is left out. */
export function invokedAfterValue(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Stops commands that ran out of time, so nothing keeps changing hosts behind our back. */
export async function cancelCommands(commandIds: readonly string[]): Promise<void> {
  for (const commandId of commandIds) await ssm.send(new CancelCommandCommand({ CommandId: commandId }));
}
