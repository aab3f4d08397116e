/**
 * Systems Manager in the simulated account: Run Command (SendCommand, ListCommands,
 * ListCommandInvocations, GetCommandInvocation, CancelCommand; the invocations' timing is the account's, account.ts
 * `sendCommand`), managed nodes (DescribeInstanceInformation, PingStatus) and Parameter Store.
 */
import { type Input, type Operation, checkRange, paginate } from './common';
import { SIM_ACCOUNT_ID, SimulatedServiceError, validation } from '../aws-errors';
import { SSM_REGISTRATION_SECONDS, type SimCommand, type SimHost, type SimulatedAccount, agentOnlineAt, knownToSsm } from '../account';

/**
 * The host's SSM PingStatus at `at`, or undefined when DescribeInstanceInformation does not
 * list it: never registered, or stopped or terminated ("This operation does not return
 * information for nodes that are either Stopped or Terminated", SSM API reference).
 */
export function pingStatus(account: SimulatedAccount, host: SimHost, at = account.now()): 'Online' | 'ConnectionLost' | undefined {
  if (!knownToSsm(account, host, at) || host.state === 'stopped' || host.state === 'terminated') return undefined;
  const online = agentOnlineAt(account, host);
  return online !== undefined && at >= online ? 'Online' : 'ConnectionLost';
}

const SSM_REGISTRATION_MS = SSM_REGISTRATION_SECONDS * 1000;

/** DescribeInstanceInformation: a filter's values, "min: 1, max: 100". */
export const MAX_INFORMATION_FILTER_VALUES = 100;

/** Filters (Key, Values) or the legacy InstanceInformationFilterList (key, valueSet), each of 1 to 100 values. */
function informationFilters(input: Input): Array<{ key: string; values: string[] }> {
  const filters: Array<{ key: string; values: string[] }> = input.Filters
    ? input.Filters.map((f: { Key: string; Values?: string[] }) => ({ key: f.Key, values: f.Values ?? [] }))
    : (input.InstanceInformationFilterList ?? []).map((f: { key: string; valueSet?: string[] }) => ({ key: f.key, values: f.valueSet ?? [] }));
  for (const f of filters) {
    if (f.values.length < 1 || f.values.length > MAX_INFORMATION_FILTER_VALUES) {
      throw validation(`A filter holds 1 to ${MAX_INFORMATION_FILTER_VALUES} values (filter ${f.key}: ${f.values.length})`);
    }
  }
  return filters;
}

function nodeMatches(host: SimHost, ping: string, f: { key: string; values: string[] }): boolean {
  if (f.key.startsWith('tag:')) return f.values.includes(host.tags.get(f.key.slice(4)) ?? '\u0000');
  const value: Record<string, string | undefined> = {
    InstanceIds: host.id,
    PingStatus: ping,
    ResourceType: 'EC2Instance',
    PlatformTypes: 'Linux',
    IamRole: host.instanceRole,
  };
  if (f.key === 'tag-key') return f.values.some((k) => host.tags.has(k));
  if (!(f.key in value)) throw new SimulatedServiceError('InvalidFilterKey', `The filter key ${f.key} is not valid`);
  return value[f.key] !== undefined && f.values.includes(value[f.key]!);
}

/**
 * SendCommand's MaxConcurrency and MaxErrors of each command, as ListCommands returns them
 * (MaxErrors: "You can specify a number like 10 or a percentage like 10%. The default value is 0.").
 */
const controlsOf = new WeakMap<SimCommand, { maxConcurrency: string; maxErrors: string }>();

/** MaxErrors as a count of the command's targets: a number, or a percentage of them rounded down. */
function maxErrorCount(command: SimCommand): number {
  const value = controlsOf.get(command)?.maxErrors ?? '0';
  const targets = command.invocations.size;
  return value.endsWith('%') ? Math.floor((Number.parseFloat(value) / 100) * targets) : Number.parseInt(value, 10) || 0;
}

/** Invocation details that end it: Command CompletedCount's "Success, Failed, Execution Timed Out, Delivery Timed Out, Cancelled, Terminated, or Undeliverable" (and a platform or access refusal). */
const FINISHED_DETAILS = new Set(['Success', 'Failed', 'Execution Timed Out', 'Delivery Timed Out', 'Cancelled', 'Terminated', 'Undeliverable', 'InvalidPlatform', 'AccessDenied']);

export interface CommandSummary {
  readonly Status: string;
  readonly StatusDetails: string;
  readonly TargetCount: number;
  readonly CompletedCount: number;
  readonly ErrorCount: number;
  readonly DeliveryTimedOutCount: number;
}

/**
 * A command's aggregated status and counts, derived from its invocations as the SSM API
 * reference (Command) defines them:
 * - CompletedCount: "The number of targets for which the command invocation reached a terminal
 *   state. Terminal states include the following: Success, Failed, Execution Timed Out, Delivery
 *   Timed Out, Cancelled, Terminated, or Undeliverable."
 * - ErrorCount: "The number of targets for which the status is Failed or Execution Timed Out."
 *   (the detailed status: an undeliverable invocation is Failed / Undeliverable and not counted);
 * - DeliveryTimedOutCount: "The number of targets for which the status is Delivery Timed Out."
 * StatusDetails: "Pending: The command hasn't been sent to any managed nodes."; "In Progress: The
 * command has been sent to at least one managed node but hasn't reached a final state on all
 * managed nodes."; "Success: The command successfully ran on all invocations."; "Failed" (and the
 * time-outs): "The value of MaxErrors or more command invocations shows a status of Failed";
 * "Incomplete: The command was attempted on all managed nodes and one or more invocations doesn't
 * have a value of Success but not enough invocations failed for the status to be Failed";
 * "Cancelled: The command was terminated before it was completed." The Status enum has no
 * Incomplete (Pending | InProgress | Success | Cancelled | Failed | TimedOut | Cancelling): an
 * incomplete command's Status is Failed here (an assumption: the reference does not say which).
 */
export function commandSummary(command: SimCommand): CommandSummary {
  const invocations = [...command.invocations.values()];
  const count = (details: string) => invocations.filter((i) => i.details === details).length;
  const completed = invocations.filter((i) => FINISHED_DETAILS.has(i.details)).length;
  const failed = count('Failed');
  const executionTimedOut = count('Execution Timed Out');
  const deliveryTimedOut = count('Delivery Timed Out');
  const counts = { TargetCount: invocations.length, CompletedCount: completed, ErrorCount: failed + executionTimedOut, DeliveryTimedOutCount: deliveryTimedOut };
  const status = (Status: string, StatusDetails = Status): CommandSummary => ({ Status, StatusDetails, ...counts });
  if (completed < invocations.length) return invocations.every((i) => i.details === 'Pending') ? status('Pending') : status('InProgress', 'In Progress');
  // "Undeliverable invocations don't count against the parent command's MaxErrors limit and don't
  // contribute to whether the parent command status is Success or Incomplete" (SSM API reference,
  // CommandInvocation StatusDetails): successes and undeliverable hosts make a Success command (at
  // least one success: a command no host received is not called a success here, an assumption).
  const delivered = invocations.filter((i) => i.details !== 'Undeliverable');
  if (delivered.length > 0 && delivered.every((i) => i.details === 'Success')) return status('Success');
  if (invocations.some((i) => i.details === 'Cancelled')) return status('Cancelled');
  // "The value of MaxErrors or more": at least one, whatever MaxErrors says.
  const limit = Math.max(1, maxErrorCount(command));
  if (executionTimedOut >= limit) return status('TimedOut', 'Execution Timed Out');
  if (deliveryTimedOut >= limit) return status('TimedOut', 'Delivery Timed Out');
  if (failed >= limit) return status('Failed');
  return status('Failed', 'Incomplete');
}

/** CommandFilter key: "Valid Values: InvokedAfter | InvokedBefore | Status | ExecutionStage | DocumentName". */
const COMMAND_FILTER_KEYS = new Set(['InvokedAfter', 'InvokedBefore', 'Status', 'ExecutionStage', 'DocumentName']);
/** CommandFilter value, Status: "The status values you can specify for ListCommands are" these. */
const LIST_COMMANDS_STATUS_VALUES = new Set([
  'Pending', 'InProgress', 'Success', 'Cancelled', 'Failed', 'TimedOut', 'AccessDenied', 'DeliveryTimedOut', 'ExecutionTimedOut', 'Incomplete', 'NoInstancesInTag', 'LimitExceeded',
]);
/** CommandFilter value, InvokedAfter and InvokedBefore: "Specify a timestamp ... For example, specify 2024-07-07T00:00:00Z". */
const FILTER_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
/** ListCommands Filters: "Array Members: Minimum number of 1 item. Maximum number of 5 items." */
export const MAX_COMMAND_FILTERS = 5;

/** When the command was requested: SendCommand creates its invocations (at least one) at that instant. */
function requestedAt(command: SimCommand): number {
  return command.invocations.values().next().value?.requestedAt ?? 0;
}

/**
 * A filter's value as CommandFilter documents it for its key. The API reference lists no error for
 * a malformed value (only InvalidFilterKey, for the key): a value it does not document is refused
 * as a ValidationException, as the request's other malformed parameters are (an assumption).
 */
function checkFilterValue({ key, value }: { key: string; value: string }): void {
  if (typeof value !== 'string' || value.length === 0) throw validation(`The filter ${key} needs a value`);
  if ((key === 'InvokedAfter' || key === 'InvokedBefore') && (!FILTER_TIMESTAMP.test(value) || Number.isNaN(Date.parse(value)))) {
    throw validation(`The filter value ${value} of ${key} is not a timestamp (for example 2024-07-07T00:00:00Z)`);
  }
  if (key === 'Status' && !LIST_COMMANDS_STATUS_VALUES.has(value)) throw validation(`The filter value ${value} is not a ListCommands status`);
  // "Executing: Returns a list of command executions that are currently still running. Complete: Returns a list of command executions that have already completed."
  if (key === 'ExecutionStage' && value !== 'Executing' && value !== 'Complete') throw validation(`The filter value ${value} of ExecutionStage must be Executing or Complete`);
}

/** Whether the command passes the (checked) filter; `summary` derives its status only when a filter needs it. */
function commandMatches(command: SimCommand, summary: () => CommandSummary, { key, value }: { key: string; value: string }): boolean {
  switch (key) {
    // "occurring July 7, 2021, and later" / "from before July 7, 2021".
    case 'InvokedAfter':
      return requestedAt(command) >= Date.parse(value);
    case 'InvokedBefore':
      return requestedAt(command) < Date.parse(value);
    case 'Status': {
      // "TimedOut (this includes both Delivery and Execution time outs)"; the others name a Status or a StatusDetails.
      const { Status, StatusDetails } = summary();
      return value === Status || value === StatusDetails.replaceAll(' ', '');
    }
    case 'ExecutionStage':
      return (value === 'Complete') === ['Success', 'Failed', 'TimedOut', 'Cancelled'].includes(summary().Status);
    default:
      return command.document === value;
  }
}

export const ssm: Record<string, Operation> = {
  SendCommand(account, input) {
    const ids: string[] = input.InstanceIds ?? [];
    if (input.Targets) throw validation('the simulator supports InstanceIds, not Targets');
    if (ids.length < 1 || ids.length > 50) throw validation(`InstanceIds must hold 1 to 50 IDs (received ${ids.length})`);
    if (input.Comment && input.Comment.length > 100) throw validation('Comment must be at most 100 characters');
    const command = account.sendCommand(input.DocumentName, ids, input.Parameters ?? {}, input.Comment ?? '');
    controlsOf.set(command, { maxConcurrency: String(input.MaxConcurrency ?? '50'), maxErrors: String(input.MaxErrors ?? '0') });
    return { Command: { CommandId: command.id, DocumentName: command.document, InstanceIds: ids, Status: 'Pending' } };
  },
  /**
   * API reference, ListCommands: "Lists the commands requested by users of the AWS account."
   * CommandId "If provided, lists only the specified command" (an unknown one: InvalidCommandId);
   * InstanceId "Lists commands issued against this managed node ID", not together with Status
   * Pending; Filters 1 to 5 CommandFilters, an unknown key refused with InvalidFilterKey ("The
   * specified key isn't valid."); MaxResults 1 to 50; NextToken from the previous page. Each
   * command's Status and counts are its invocations' (commandSummary). The calls are metered and
   * throttled as every SSM call is (services/index.ts).
   */
  ListCommands(account, input) {
    checkRange('MaxResults', input.MaxResults, 1, 50);
    const filters: Array<{ key: string; value: string }> = input.Filters ?? [];
    if (input.Filters && (filters.length < 1 || filters.length > MAX_COMMAND_FILTERS)) {
      throw validation(`Filters must hold 1 to ${MAX_COMMAND_FILTERS} filters (received ${filters.length})`);
    }
    for (const f of filters) {
      if (!COMMAND_FILTER_KEYS.has(f.key)) throw new SimulatedServiceError('InvalidFilterKey', `The filter key ${f.key} is not valid`);
      checkFilterValue(f);
    }
    if (input.InstanceId && filters.some((f) => f.key === 'Status' && f.value === 'Pending')) {
      throw validation("You can't specify a managed node ID in the same command that you specify Status = Pending");
    }
    const candidates = input.CommandId ? [account.requireCommand(input.CommandId)] : [...account.commands.values()];
    // The summary is derived only for the commands a status filter or the page needs: an account holds thousands of invocations.
    const listed = candidates
      .filter((c) => !input.InstanceId || c.invocations.has(input.InstanceId))
      .filter((command) => {
        let summary: CommandSummary | undefined;
        return filters.every((f) => commandMatches(command, () => (summary ??= commandSummary(command)), f));
      });
    const { page, next } = paginate(listed, input.NextToken, input.MaxResults ?? 50);
    return {
      Commands: page.map((command) => ({
        CommandId: command.id,
        DocumentName: command.document,
        Comment: command.comment,
        Parameters: command.parameters,
        InstanceIds: [...command.invocations.keys()],
        RequestedDateTime: new Date(requestedAt(command)),
        MaxConcurrency: controlsOf.get(command)?.maxConcurrency ?? '50',
        MaxErrors: controlsOf.get(command)?.maxErrors ?? '0',
        ...commandSummary(command),
      })),
      NextToken: next,
    };
  },
  ListCommandInvocations(account, input) {
    checkRange('MaxResults', input.MaxResults, 1, 50);
    const command = account.requireCommand(input.CommandId);
    const invocations = [...command.invocations.values()].filter((i) => !input.InstanceId || i.instanceId === input.InstanceId);
    const { page, next } = paginate(invocations, input.NextToken, input.MaxResults ?? 50);
    return {
      CommandInvocations: page.map((i) => ({
        CommandId: command.id,
        InstanceId: i.instanceId,
        DocumentName: command.document,
        Status: i.status,
        StatusDetails: i.details,
        Comment: command.comment,
      })),
      NextToken: next,
    };
  },
  GetCommandInvocation(account, input) {
    const invocation = account.requireCommand(input.CommandId).invocations.get(input.InstanceId);
    if (!invocation) throw new SimulatedServiceError('InvocationDoesNotExist', 'Invocation does not exist');
    const finished = !['Pending', 'InProgress', 'Delayed'].includes(invocation.status);
    return {
      CommandId: input.CommandId,
      InstanceId: input.InstanceId,
      Status: invocation.status,
      StatusDetails: invocation.details,
      // -1 until the document has run; then its exit code.
      ResponseCode: finished ? (invocation.exitCode ?? (invocation.status === 'Success' ? 0 : 1)) : -1,
      StandardOutputContent: '',
      StandardErrorContent: invocation.stderr ?? '',
    };
  },
  /**
   * API reference, DescribeInstanceInformation: MaxResults 5-50 (default 10); a filter holds
   * 1 to 100 values; Filters and the legacy InstanceInformationFilterList cannot be used
   * together; tag filters cannot be combined with other filter types; an InstanceIds value
   * that is not an instance of the account is an error (InvalidInstanceId). Stopped and
   * terminated nodes are not returned; a registered node whose agent is not connected
   * (stopping, starting again) is ConnectionLost.
   */
  DescribeInstanceInformation(account, input) {
    if (input.Filters && input.InstanceInformationFilterList) {
      throw validation('InstanceInformationFilterList and Filters cannot be used in the same request');
    }
    checkRange('MaxResults', input.MaxResults, 5, 50);
    const filters = informationFilters(input);
    const tagFilters = filters.filter((f) => f.key.startsWith('tag:') || f.key === 'tag-key');
    if (tagFilters.length > 0 && tagFilters.length < filters.length) throw validation('Tag filters cannot be combined with other filter types');
    const unknown = filters.filter((f) => f.key === 'InstanceIds').flatMap((f) => f.values).filter((id) => !account.hosts.has(id));
    if (unknown.length > 0) throw new SimulatedServiceError('InvalidInstanceId', `Instances [[${unknown.join(', ')}]] not in a valid state for account ${SIM_ACCOUNT_ID}`);
    const now = account.now();
    const nodes = [...account.hosts.values()]
      .map((host) => ({ host, ping: pingStatus(account, host, now) }))
      .filter((n): n is { host: SimHost; ping: 'Online' | 'ConnectionLost' } => n.ping !== undefined)
      .filter(({ host, ping }) => filters.every((f) => nodeMatches(host, ping, f)));
    const { page, next } = paginate(nodes, input.NextToken, input.MaxResults ?? 10);
    return {
      InstanceInformationList: page.map(({ host, ping }) => ({
        InstanceId: host.id,
        PingStatus: ping,
        LastPingDateTime: new Date(now),
        AgentVersion: '3.3.1142.0',
        IsLatestVersion: true,
        PlatformType: 'Linux',
        PlatformName: 'Amazon Linux',
        PlatformVersion: '2023',
        ResourceType: 'EC2Instance',
        ...(host.instanceRole ? { IamRole: host.instanceRole } : {}),
        RegistrationDate: new Date(host.firstBootedAt! + SSM_REGISTRATION_MS),
        SourceId: host.id,
        SourceType: 'AWS::EC2::Instance',
      })),
      NextToken: next,
    };
  },
  CancelCommand(account, input) {
    account.cancelCommand(input.CommandId);
    return {};
  },
  GetParameter(account, input) {
    const parameter = account.parameters.get(input.Name);
    if (!parameter) throw new SimulatedServiceError('ParameterNotFound', `Parameter ${input.Name} not found.`);
    // Without WithDecryption a SecureString comes back encrypted, as in AWS.
    const value = parameter.type === 'SecureString' && !input.WithDecryption ? 'AQICAH-encrypted-blob' : parameter.value;
    return { Parameter: { Name: input.Name, Type: parameter.type, Value: value, Version: parameter.version } };
  },
  PutParameter(account, input) {
    const existing = account.parameters.get(input.Name);
    if (existing && !input.Overwrite) throw new SimulatedServiceError('ParameterAlreadyExists', `The parameter ${input.Name} already exists.`);
    if (typeof input.Value !== 'string' || input.Value.length === 0) throw validation('Value must not be empty');
    account.parameters.set(input.Name, { type: input.Type ?? existing?.type ?? 'String', value: input.Value, version: (existing?.version ?? 0) + 1 });
    return { Version: (existing?.version ?? 0) + 1, Tier: 'Standard' };
  },
};
