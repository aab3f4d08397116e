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
import type { CommandSpec } from '../deploy/types';

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

export async function sendToHosts(request: SendToHostsRequest): Promise<string[]> {
  const commandIds: string[] = [];
  for (let i = 0; i < request.instanceIds.length; i += MAX_INSTANCES_PER_COMMAND) {
    const chunk = request.instanceIds.slice(i, i + MAX_INSTANCES_PER_COMMAND);
    const { Command } = await ssm.send(
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
    );
    if (!Command?.CommandId) throw new Error(`SendCommand for ${request.command.document} returned no CommandId`);
    commandIds.push(Command.CommandId);
  }
  return commandIds;
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
