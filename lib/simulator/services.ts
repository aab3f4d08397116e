/**
 * The AWS APIs FleetFlow calls, implemented over the simulated account with the
 * parameter rules and per-call limits of the real services, so a handler that breaks a
 * limit fails here as it would in AWS.
 */
import { SIM_ACCOUNT_ID, SimulatedServiceError, invalidParameterCombination, invalidParameterValue, validation } from './aws-errors';
import { paginate, type SimHost, type SimSnapshot, type SimulatedAccount } from './account';
import {
  INSTANCE_STATE_CODE,
  MAX_TAGS_PER_RESOURCE,
  SSM_REGISTRATION_SECONDS,
  addTagsToResource,
  automatedBackupArn,
  automatedBackupNotFound,
  automatedBackups,
  createDatabase,
  describeAutomatedBackup,
  listTagsForResource,
  restoreDatabaseToPointInTime,
  describeDatabase,
  describeInstance,
  findDatabase,
  pingStatus,
  reservationOf,
  restoreDatabase,
  runInstances,
  startInstances,
  statusChecks,
  stopInstances,
  terminateInstances,
  type AutomatedBackup,
} from './compute';

// Requests arrive as the SDK serializes them: any shape, checked by each operation.
type Input = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Operation = (account: SimulatedAccount, input: Input) => object;

/** A numeric request parameter outside the range the API documents. */
function checkRange(name: string, value: number | undefined, min: number, max: number): void {
  if (value !== undefined && (value < min || value > max)) throw validation(`${name} must be between ${min} and ${max} (received ${value})`);
}

/**
 * EC2 refuses a describe call whose filters carry more than 200 values in all (the error
 * AWS returns: FilterLimitExceeded, "The maximum number of filter values specified on a
 * single call is 200"; the API reference lists FilterLimitExceeded as "The request uses too
 * many filters or too many filter values") or a value longer than 255 characters ("The
 * maximum length for a filter value is 255 characters"). The count is over the whole call,
 * as the message says: 200 instance IDs plus one state value is refused.
 */
export const MAX_FILTER_VALUES_PER_CALL = 200;
export const MAX_FILTER_VALUE_LENGTH = 255;

function checkFilterLimits(filters: ReadonlyArray<{ Name: string; Values?: string[] }>): void {
  const values = filters.flatMap((f) => f.Values ?? []);
  if (values.length > MAX_FILTER_VALUES_PER_CALL) {
    throw new SimulatedServiceError('FilterLimitExceeded', `The maximum number of filter values specified on a single call is ${MAX_FILTER_VALUES_PER_CALL}`);
  }
  if (values.some((v) => v.length > MAX_FILTER_VALUE_LENGTH)) {
    throw new SimulatedServiceError('FilterLimitExceeded', `The maximum length for a filter value is ${MAX_FILTER_VALUE_LENGTH} characters`);
  }
}

/** DescribeInstanceStatus: "Maximum 100 explicitly specified instance IDs". */
export const MAX_STATUS_INSTANCE_IDS = 100;

/** One DescribeInstances filter against a host; a filter EC2 has but the simulator does not is refused, not ignored. */
function instanceMatches(host: SimHost, f: { Name: string; Values: string[] }): boolean {
  if (f.Name.startsWith('tag:')) return f.Values.includes(host.tags.get(f.Name.slice(4)) ?? '\u0000');
  if (f.Name === 'tag-key') return f.Values.some((k) => host.tags.has(k));
  const value: Record<string, string | undefined> = {
    'instance-state-name': host.state,
    'instance-id': host.id,
    'availability-zone': host.availabilityZone,
    'subnet-id': host.subnetId,
    'vpc-id': host.vpcId,
    'instance-type': host.instanceType,
    'client-token': host.launchedBy,
  };
  if (!(f.Name in value)) throw new SimulatedServiceError('InvalidParameterValue', `The filter '${f.Name}' is invalid`);
  return value[f.Name] !== undefined && f.Values.includes(value[f.Name]!);
}

type Checks = ReturnType<typeof statusChecks>;

function statusMatches(host: SimHost, checks: Checks, f: { Name: string; Values: string[] }): boolean {
  const value: Record<string, string> = {
    'instance-state-name': host.state,
    'availability-zone': host.availabilityZone,
    'instance-status.status': checks.instance,
    'system-status.status': checks.system,
  };
  if (!(f.Name in value)) throw new SimulatedServiceError('InvalidParameterValue', `The filter '${f.Name}' is invalid`);
  return f.Values.includes(value[f.Name]!);
}

/** A status check with its reachability detail, as DescribeInstanceStatus reports it. */
function statusSummary(status: Checks['instance']) {
  const reachability = { ok: 'passed', impaired: 'failed', initializing: 'initializing', 'not-applicable': undefined }[status];
  return { Status: status, ...(reachability ? { Details: [{ Name: 'reachability', Status: reachability }] } : {}) };
}

const ec2: Record<string, Operation> = {
  DescribeInstances(account, input) {
    if (input.InstanceIds && input.MaxResults) throw validation('InstanceIds and MaxResults cannot be combined');
    checkRange('MaxResults', input.MaxResults, 5, 1000);
    const filters: Array<{ Name: string; Values: string[] }> = input.Filters ?? [];
    checkFilterLimits(filters);
    // "If you specify an instance ID that is not valid, an error is returned."
    const unknown = ((input.InstanceIds ?? []) as string[]).filter((id) => !account.hosts.has(id));
    if (unknown.length > 0) {
      throw new SimulatedServiceError(
        'InvalidInstanceID.NotFound',
        unknown.length === 1 ? `The instance ID '${unknown[0]}' does not exist` : `The instance IDs '${unknown.join(', ')}' do not exist`,
      );
    }
    const matches = [...account.hosts.values()].filter((host) => {
      if (input.InstanceIds && !input.InstanceIds.includes(host.id)) return false;
      return filters.every((f) => instanceMatches(host, f));
    });
    const { page, next } = paginate(matches, input.NextToken, input.MaxResults ?? matches.length);
    return {
      Reservations: page.map((host) => ({ ReservationId: reservationOf(account, host), OwnerId: SIM_ACCOUNT_ID, Instances: [describeInstance(host)] })),
      NextToken: next,
    };
  },
  RunInstances(account, input) {
    return runInstances(account, input);
  },
  StopInstances(account, input) {
    return stopInstances(account, input.InstanceIds);
  },
  StartInstances(account, input) {
    return startInstances(account, input.InstanceIds);
  },
  TerminateInstances(account, input) {
    return terminateInstances(account, input.InstanceIds);
  },
  /**
   * API reference, DescribeInstanceStatus: InstanceIds "Maximum 100 explicitly specified
   * instance IDs"; MaxResults (5-1000, as DescribeInstances) "You cannot specify this
   * parameter and the instance IDs parameter in the same request"; "By default, only
   * running instances are described" (IncludeAllInstances for the others).
   */
  DescribeInstanceStatus(account, input) {
    const ids: string[] | undefined = input.InstanceIds;
    if (ids && input.MaxResults !== undefined) throw invalidParameterCombination('The parameter instancesSet cannot be used with the parameter maxResults');
    if (ids && ids.length > MAX_STATUS_INSTANCE_IDS) throw invalidParameterValue(`The request may name at most ${MAX_STATUS_INSTANCE_IDS} instance IDs (received ${ids.length})`);
    if (input.MaxResults !== undefined && (input.MaxResults < 5 || input.MaxResults > 1000)) {
      throw invalidParameterValue(`Value ( ${input.MaxResults} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`);
    }
    const filters: Array<{ Name: string; Values: string[] }> = input.Filters ?? [];
    checkFilterLimits(filters);
    const unknown = (ids ?? []).filter((id) => !account.hosts.has(id));
    if (unknown.length > 0) throw new SimulatedServiceError('InvalidInstanceID.NotFound', `The instance IDs '${unknown.join(', ')}' do not exist`);
    const now = account.now();
    const statuses = (ids ? ids.map((id) => account.hosts.get(id)!) : [...account.hosts.values()])
      .filter((host) => input.IncludeAllInstances === true || host.state === 'running')
      .map((host) => ({ host, checks: statusChecks(account, host, now) }))
      .filter(({ host, checks }) => filters.every((f) => statusMatches(host, checks, f)));
    const { page, next } = paginate(statuses, input.NextToken, input.MaxResults ?? 1000);
    return {
      InstanceStatuses: page.map(({ host, checks }) => ({
        InstanceId: host.id,
        AvailabilityZone: host.availabilityZone,
        InstanceState: { Code: INSTANCE_STATE_CODE[host.state], Name: host.state },
        InstanceStatus: statusSummary(checks.instance),
        SystemStatus: statusSummary(checks.system),
      })),
      NextToken: next,
    };
  },
  CreateTags(account, input) {
    const resources: string[] = input.Resources ?? [];
    if (resources.length === 0 || resources.length > 1000) throw validation(`Resources must hold 1 to 1000 IDs (received ${resources.length})`);
    const hosts = resources.map((id) => account.requireHost(id));
    // "Each resource can have a maximum of 50 tags" (CreateTags): a call that would take one
    // instance past it changes none. New keys count, an existing key is overwritten, and
    // AWS's own `aws:` tags (the launch template's) do not count.
    const keys: string[] = (input.Tags ?? []).map((t: { Key: string }) => t.Key);
    const userTags = (host: SimHost) => [...new Set([...host.tags.keys(), ...keys])].filter((k) => !k.toLowerCase().startsWith('aws:')).length;
    const over = hosts.find((host) => userTags(host) > MAX_TAGS_PER_RESOURCE);
    if (over) throw new SimulatedServiceError('TagLimitExceeded', `The maximum number of tags per resource is ${MAX_TAGS_PER_RESOURCE} (${over.id} would have ${userTags(over)})`);
    for (const host of hosts) for (const tag of input.Tags ?? []) host.tags.set(tag.Key, tag.Value ?? '');
    return {};
  },
  DeleteTags(account, input) {
    const resources: string[] = input.Resources ?? [];
    if (resources.length === 0 || resources.length > 1000) throw validation(`Resources must hold 1 to 1000 IDs (received ${resources.length})`);
    const hosts = resources.map((id) => account.requireHost(id));
    // A tag named without a value is deleted whatever its value; with a value, only if it matches.
    for (const host of hosts) {
      for (const tag of input.Tags ?? []) if (tag.Value === undefined || host.tags.get(tag.Key) === tag.Value) host.tags.delete(tag.Key);
    }
    return {};
  },
};

const elbv2: Record<string, Operation> = {
  DescribeTargetGroups(account, input) {
    // PageSize: 1-400 (API reference).
    checkRange('PageSize', input.PageSize, 1, 400);
    let groups = [...account.targetGroups.values()];
    if (input.Names) {
      const missing = input.Names.filter((n: string) => !groups.some((g) => g.name === n));
      if (missing.length > 0) throw new SimulatedServiceError('TargetGroupNotFoundException', `One or more target groups not found: ${missing.join(', ')}`);
      groups = groups.filter((g) => input.Names.includes(g.name));
    }
    if (input.TargetGroupArns) groups = groups.filter((g) => input.TargetGroupArns.includes(g.arn));
    return {
      TargetGroups: groups.map((g) => ({
        TargetGroupArn: g.arn,
        TargetGroupName: g.name,
        HealthCheckIntervalSeconds: g.intervalSeconds,
        HealthyThresholdCount: g.healthyThreshold,
        UnhealthyThresholdCount: g.unhealthyThreshold,
        TargetType: 'instance',
        Protocol: 'HTTP',
        Port: g.port,
        VpcId: g.vpcId,
        HealthCheckProtocol: 'HTTP',
        HealthCheckPort: 'traffic-port',
        HealthCheckPath: '/health',
        LoadBalancerArns: [],
      })),
    };
  },
  DescribeTargetGroupAttributes(account, input) {
    const group = account.requireTargetGroup(input.TargetGroupArn);
    return { Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: String(group.deregistrationDelaySeconds) }] };
  },
  DescribeTargetHealth(account, input) {
    const group = account.requireTargetGroup(input.TargetGroupArn);
    const ids: string[] = input.Targets ? input.Targets.map((t: { Id: string }) => t.Id) : [...group.targets.keys()];
    // API reference, DescribeTargetHealth: InvalidTarget, "The specified target does not
    // exist, is not in the same VPC as the target group, or has an unsupported instance
    // type", fails the whole call; an existing instance that is simply not registered is
    // reported `unused` / Target.NotRegistered. An instance that is gone (terminated) and no
    // longer registered no longer exists for ELB: the ELBv2 TargetDeregistered waiter counts
    // InvalidTarget as deregistered. The message names no target, as AWS's does not.
    const invalid = ids.filter((id) => {
      const host = account.hosts.get(id);
      return !group.targets.has(id) && (!host || host.state === 'terminated' || host.state === 'shutting-down');
    });
    if (invalid.length > 0) {
      throw new SimulatedServiceError(
        'InvalidTargetException',
        'The specified target does not exist, is not in the same VPC as the target group, or has an unsupported instance type.',
      );
    }
    return {
      TargetHealthDescriptions: ids.map((id) => {
        const state = account.targetState(group, id);
        const target = group.targets.get(id);
        const registered = target !== undefined && target.deregisteredAt === undefined;
        // TargetHealth reasons: unused + Target.InvalidState, "The target is in the stopped
        // or terminated state", for a registered instance that is not running.
        const reason =
          state === 'unused' ? (registered ? 'Target.InvalidState' : 'Target.NotRegistered')
          : state === 'draining' ? 'Target.DeregistrationInProgress'
          : state === 'initial' ? 'Elb.RegistrationInProgress'
          : state === 'unhealthy' ? 'Target.FailedHealthChecks'
          : undefined;
        return { Target: { Id: id, Port: group.port }, TargetHealth: { State: state, Reason: reason } };
      }),
    };
  },
  RegisterTargets(account, input) {
    const group = account.requireTargetGroup(input.TargetGroupArn);
    if (!input.Targets?.length) throw validation('Targets must not be empty');
    const ids: string[] = input.Targets.map((t: { Id: string }) => t.Id);
    // The call is refused as a whole (nothing registered) when a target is not valid: one
    // that does not exist, or an instance in another VPC than the target group's.
    if (ids.some((id) => !account.hosts.has(id) || account.hosts.get(id)!.vpcId !== group.vpcId)) {
      throw new SimulatedServiceError(
        'InvalidTargetException',
        'The specified target does not exist, is not in the same VPC as the target group, or has an unsupported instance type.',
      );
    }
    const notRunning = ids.filter((id) => account.hosts.get(id)!.state !== 'running');
    if (notRunning.length > 0) {
      // AWS's message for instances that are not running, a new one still pending included
      // (RegisterTargets: "it must be in the running state when you register it").
      throw new SimulatedServiceError(
        'InvalidTargetException',
        `The following targets are not in a running state and cannot be registered: ${notRunning.map((id) => `'${id}'`).join(', ')}`,
      );
    }
    for (const id of ids) account.registerTarget(group, id);
    return {};
  },
  DeregisterTargets(account, input) {
    const group = account.requireTargetGroup(input.TargetGroupArn);
    if (!input.Targets?.length) throw validation('Targets must not be empty');
    for (const target of input.Targets) account.deregisterTarget(group, target.Id);
    return {};
  },
};

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

const ssm: Record<string, Operation> = {
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

const cloudwatch: Record<string, Operation> = {
  DescribeAlarms(account, input) {
    const names: string[] | undefined = input.AlarmNames;
    if (names && names.length > 100) throw validation(`AlarmNames may hold at most 100 names (received ${names.length})`);
    checkRange('MaxRecords', input.MaxRecords, 1, 100);
    const types: string[] = input.AlarmTypes ?? ['MetricAlarm'];
    if (names && input.AlarmNamePrefix) throw validation('AlarmNames and AlarmNamePrefix cannot be combined');
    const alarms = [...account.alarms.values()]
      .map((a) => ({ ...a, state: account.alarmState(a) }))
      .filter(
        (a) =>
          types.includes(a.type) &&
          (!names || names.includes(a.name)) &&
          (!input.AlarmNamePrefix || a.name.startsWith(input.AlarmNamePrefix)) &&
          (!input.StateValue || a.state === input.StateValue),
      );
    const { page, next } = paginate(alarms, input.NextToken, input.MaxRecords ?? 50);
    const shape = (a: (typeof alarms)[number]) => ({ AlarmName: a.name, StateValue: a.state });
    return {
      MetricAlarms: page.filter((a) => a.type === 'MetricAlarm').map(shape),
      CompositeAlarms: page.filter((a) => a.type === 'CompositeAlarm').map(shape),
      NextToken: next,
    };
  },
};

/** RDS describe calls: MaxRecords "Minimum 20, maximum 100", default 100; RDS refuses others as InvalidParameterValue. */
const RDS_MAX_RECORDS = { min: 20, max: 100 } as const;
function checkMaxRecords(value: number | undefined): void {
  if (value !== undefined && (value < RDS_MAX_RECORDS.min || value > RDS_MAX_RECORDS.max)) {
    throw invalidParameterValue(`Invalid value ${value} for MaxRecords. Must be between ${RDS_MAX_RECORDS.min} and ${RDS_MAX_RECORDS.max}`);
  }
}

const rds: Record<string, Operation> = {
  DescribeDBInstances(account, input) {
    checkMaxRecords(input.MaxRecords);
    const one = input.DBInstanceIdentifier ? findDatabase(account, input.DBInstanceIdentifier) : undefined;
    if (input.DBInstanceIdentifier && !one) {
      throw new SimulatedServiceError('DBInstanceNotFoundFault', `DBInstance ${input.DBInstanceIdentifier} not found.`, { status: 404 });
    }
    const { page, next } = paginate(one ? [one] : [...account.databases.values()], input.Marker, input.MaxRecords ?? RDS_MAX_RECORDS.max);
    return { DBInstances: page.map((d) => describeDatabase(account, d)), Marker: next };
  },
  CreateDBInstance(account, input) {
    return createDatabase(account, input);
  },
  RestoreDBInstanceFromDBSnapshot(account, input) {
    return restoreDatabase(account, input);
  },
  RestoreDBInstanceToPointInTime(account, input) {
    return restoreDatabaseToPointInTime(account, input);
  },
  /**
   * DescribeDBInstanceAutomatedBackups: the automated backups of existing instances
   * (`active`) and of lost ones (`retained`), by DBInstanceIdentifier, DbiResourceId or
   * DBInstanceAutomatedBackupsArn, or the `status`, `db-instance-id` and `dbi-resource-id`
   * filters; MaxRecords 20-100. Naming a backup that does not exist:
   * DBInstanceAutomatedBackupNotFound (HTTP 404), "No automated backup for this DB instance was found".
   */
  DescribeDBInstanceAutomatedBackups(account, input) {
    checkMaxRecords(input.MaxRecords);
    const selected = namedBackups(account, input);
    const filters: Array<{ Name: string; Values?: string[] }> = input.Filters ?? [];
    const unknown = filters.find((f) => !(f.Name in BACKUP_FILTERS));
    if (unknown) throw invalidParameterValue(`Unrecognized filter name: ${unknown.Name}`);
    const matching = selected.filter((b) => filters.every((f) => (f.Values ?? []).includes(BACKUP_FILTERS[f.Name]!(b))));
    const { page, next } = paginate(matching, input.Marker, input.MaxRecords ?? RDS_MAX_RECORDS.max);
    return { DBInstanceAutomatedBackups: page.map((b) => describeAutomatedBackup(account, b)), Marker: next };
  },
  AddTagsToResource(account, input) {
    return addTagsToResource(account, input);
  },
  ListTagsForResource(account, input) {
    return listTagsForResource(account, input);
  },
  CreateDBSnapshot(account, input) {
    const tags = Object.fromEntries((input.Tags ?? []).map((t: { Key: string; Value: string }) => [t.Key, t.Value]));
    const snapshot = account.createSnapshot(input.DBInstanceIdentifier, input.DBSnapshotIdentifier, tags);
    return { DBSnapshot: { DBSnapshotIdentifier: snapshot.id, DBInstanceIdentifier: snapshot.instance, Status: 'creating' } };
  },
  /**
   * DescribeDBSnapshots: one by identifier (DBSnapshotNotFound if none), or those of an
   * instance and/or of a type (manual, automated; both when not given), MaxRecords 20-100.
   */
  DescribeDBSnapshots(account, input) {
    checkMaxRecords(input.MaxRecords);
    const snapshot = account.snapshots.get(input.DBSnapshotIdentifier);
    if (input.DBSnapshotIdentifier && !snapshot) {
      throw new SimulatedServiceError('DBSnapshotNotFoundFault', `DBSnapshot ${input.DBSnapshotIdentifier} not found.`, { status: 404 });
    }
    const all = (snapshot ? [snapshot] : [...account.snapshots.values()]).filter(
      (s) =>
        (!input.DBInstanceIdentifier || s.instance.toLowerCase() === String(input.DBInstanceIdentifier).toLowerCase()) &&
        (!input.SnapshotType || (s.type ?? 'manual') === input.SnapshotType),
    );
    const { page, next } = paginate(all, input.Marker, input.MaxRecords ?? RDS_MAX_RECORDS.max);
    return { DBSnapshots: page.map((s) => describeSnapshot(account, s)), Marker: next };
  },
};

/** DescribeDBInstanceAutomatedBackups filters: by status (active, retained), instance identifier, resource ID. */
const BACKUP_FILTERS: Record<string, (b: AutomatedBackup) => string> = {
  status: (b) => b.status,
  'db-instance-id': (b) => b.identifier,
  'dbi-resource-id': (b) => b.resourceId,
};

/** The backups a request names by identifier, resource ID or ARN (all when it names none); naming none that exists is refused. */
function namedBackups(account: SimulatedAccount, input: Input): AutomatedBackup[] {
  const same = (a: string, b: unknown) => typeof b !== 'string' || b === '' || a.toLowerCase() === b.toLowerCase();
  const selected = automatedBackups(account).filter(
    (b) => same(b.identifier, input.DBInstanceIdentifier) && same(b.resourceId, input.DbiResourceId) && same(automatedBackupArn(b), input.DBInstanceAutomatedBackupsArn),
  );
  const name = input.DBInstanceIdentifier || input.DbiResourceId || input.DBInstanceAutomatedBackupsArn;
  if (name && selected.length === 0) throw automatedBackupNotFound(name);
  return selected;
}

function describeSnapshot(account: SimulatedAccount, s: SimSnapshot): object {
  return {
    DBSnapshotIdentifier: s.id,
    DBInstanceIdentifier: s.instance,
    SnapshotType: s.type ?? 'manual',
    SnapshotCreateTime: new Date(s.createdAt),
    Status: account.snapshotStatus(s),
    ...(s.definition ? { Engine: s.definition.engine, AllocatedStorage: s.definition.allocatedStorage } : {}),
    // Whole percent, rounded down, as RDS reports it.
    PercentProgress: Math.min(100, Math.max(0, Math.floor((100 * (account.now() - s.createdAt)) / Math.max(1, s.availableAt - s.createdAt)))),
    TagList: Object.entries(s.tags).map(([Key, Value]) => ({ Key, Value })),
  };
}

/** DynamoDB's item API, for tables keyed by a string attribute `pk` (the plan table). */
const MAX_ITEM_BYTES = 400 * 1024;
const dynamodb: Record<string, Operation> = {
  BatchWriteItem(account, input) {
    const requests = Object.entries(input.RequestItems ?? {}) as Array<[string, Array<{ PutRequest?: { Item: Record<string, Record<string, string>> } }>]>;
    const count = requests.reduce((n, [, r]) => n + r.length, 0);
    if (count < 1 || count > 25) throw validation(`Too many items requested for the BatchWriteItem call (received ${count}, at most 25)`);
    for (const [table, writes] of requests) {
      const items = account.table(table);
      for (const write of writes) {
        const item = write.PutRequest?.Item;
        if (!item?.pk?.S) throw validation('the simulator supports PutRequest items keyed by pk (S)');
        if (Buffer.byteLength(JSON.stringify(item)) > MAX_ITEM_BYTES) throw validation('Item size has exceeded the maximum allowed size');
        items.set(item.pk.S, structuredClone(item));
      }
    }
    return { UnprocessedItems: {} };
  },
  GetItem(account, input) {
    const item = account.table(input.TableName).get(input.Key?.pk?.S);
    return item ? { Item: structuredClone(item) } : {};
  },
  BatchGetItem(account, input) {
    const requests = Object.entries(input.RequestItems ?? {}) as Array<[string, { Keys: Array<{ pk: { S: string } }> }]>;
    const count = requests.reduce((n, [, r]) => n + r.Keys.length, 0);
    if (count < 1 || count > 100) throw validation(`Too many items requested for the BatchGetItem call (received ${count}, at most 100)`);
    const responses: Record<string, unknown[]> = {};
    for (const [table, { Keys }] of requests) {
      const items = account.table(table);
      responses[table] = Keys.map((k) => items.get(k.pk.S)).filter(Boolean).map((item) => structuredClone(item));
    }
    return { Responses: responses, UnprocessedKeys: {} };
  },
};

export const SERVICES: Record<string, Record<string, Operation>> = { ec2, elbv2, ssm, cloudwatch, rds, dynamodb };

/** Runs one API call against the account, after applying every effect due by now. */
export function callService(account: SimulatedAccount, service: string, operation: string, input: Input, throttleCode: string): object {
  account.settle();
  account.meter(service, operation, throttleCode);
  const handler = SERVICES[service]?.[operation];
  if (!handler) throw new SimulatedServiceError('UnsupportedOperation', `the simulator does not implement ${service}:${operation}`);
  const output = handler(account, input);
  // The state after the call; observe() skips it when nothing changed.
  account.observe(account.now());
  return output;
}
