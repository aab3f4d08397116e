/**
 * Systems Manager in the simulated account: Run Command (SendCommand, ListCommandInvocations,
 * GetCommandInvocation, CancelCommand; the invocations' timing is the account's, account.ts
 * `sendCommand`), managed nodes (DescribeInstanceInformation, PingStatus) and Parameter Store.
 */
import { type Input, type Operation, checkRange, paginate } from './common';
import { SIM_ACCOUNT_ID, SimulatedServiceError, validation } from '../aws-errors';
import { SSM_REGISTRATION_SECONDS, type SimHost, type SimulatedAccount, agentOnlineAt, knownToSsm } from '../account';

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

export const ssm: Record<string, Operation> = {
  SendCommand(account, input) {
    const ids: string[] = input.InstanceIds ?? [];
    if (input.Targets) throw validation('the simulator supports InstanceIds, not Targets');
    if (ids.length < 1 || ids.length > 50) throw validation(`InstanceIds must hold 1 to 50 IDs (received ${ids.length})`);
    if (input.Comment && input.Comment.length > 100) throw validation('Comment must be at most 100 characters');
    const command = account.sendCommand(input.DocumentName, ids, input.Parameters ?? {}, input.Comment ?? '');
    return { Command: { CommandId: command.id, DocumentName: command.document, InstanceIds: ids, Status: 'Pending' } };
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
