/**
 * Fault injection for simulated runs: `KIND:TARGET` strings from the CLI or tests.
 */
import type { AccountFaults, DatabaseStatusFault } from './account';

export const FAULT_KINDS = ['patch-fail', 'unhealthy', 'drain-stuck', 'throttle', 'alarm', 'migration-fail', 'approval', 'db-status'] as const;
export const THROTTLEABLE_SERVICES = ['ec2', 'elbv2', 'ssm', 'cloudwatch'] as const;

/** Calls a throttled service answers normally before the burst, and the burst's length. */
const THROTTLE_AFTER_CALLS = 2;
const THROTTLE_BURST = 8;

export class InvalidFaultError extends Error {
  override readonly name = 'InvalidFaultError';
}

/** An account with nothing injected. */
export function noFaults(): AccountFaults {
  return parseFaults([], new Set(), new Set());
}

export function parseFaults(specs: readonly string[], knownHosts: ReadonlySet<string>, knownAlarms: ReadonlySet<string>): AccountFaults {
  const databaseStatus: DatabaseStatusFault[] = [];
  const faults: { -readonly [K in keyof AccountFaults]: AccountFaults[K] } = {
    patchFail: new Set(),
    unhealthy: new Set(),
    drainStuck: new Set(),
    throttle: new Map(),
    alarmAt: new Map(),
    migrationFail: false,
    approval: undefined,
    databaseStatus,
  };
  for (const spec of specs) {
    if (spec === 'migration-fail') {
      faults.migrationFail = true;
      continue;
    }
    const match = /^([a-z-]+):(.+)$/.exec(spec);
    if (!match) throw new InvalidFaultError(`--fault must be KIND:TARGET (or migration-fail) with KIND one of ${FAULT_KINDS.join(', ')} (received "${spec}")`);
    const [, kind, target] = match as unknown as [string, string, string];
    const host = () => {
      if (!knownHosts.has(target)) {
        throw new InvalidFaultError(`--fault ${spec}: no simulated host is named "${target}" (hosts: ${[...knownHosts].join(', ')})`);
      }
      return target;
    };
    switch (kind) {
      case 'patch-fail':
        faults.patchFail.add(host());
        break;
      case 'unhealthy':
        faults.unhealthy.add(host());
        break;
      case 'drain-stuck':
        faults.drainStuck.add(host());
        break;
      case 'throttle':
        if (!(THROTTLEABLE_SERVICES as readonly string[]).includes(target)) {
          throw new InvalidFaultError(`--fault ${spec}: SERVICE must be one of ${THROTTLEABLE_SERVICES.join(', ')}`);
        }
        faults.throttle.set(target, { after: THROTTLE_AFTER_CALLS, remaining: THROTTLE_BURST });
        break;
      case 'alarm': {
        const at = /^(.+)@(\d+)$/.exec(target);
        if (!at) throw new InvalidFaultError(`--fault ${spec}: use alarm:NAME@SECONDS, e.g. alarm:canonical-web-5xx@600`);
        const [, name, seconds] = at as unknown as [string, string, string];
        if (!knownAlarms.has(name)) {
          throw new InvalidFaultError(`--fault ${spec}: no alarm is named "${name}" (alarms: ${[...knownAlarms].join(', ')})`);
        }
        faults.alarmAt.set(name, Number(seconds) * 1000);
        break;
      }
      case 'approval':
        if (target !== 'reject' && target !== 'timeout' && target !== 'approve') {
          throw new InvalidFaultError(`--fault ${spec}: use approval:approve, approval:reject or approval:timeout`);
        }
        faults.approval = target;
        break;
      case 'db-status': {
        // The database instance reports STATUS from SECONDS after the start, for DURATION
        // seconds or for good: e.g. db-status:modifying@0+300, db-status:storage-full@600.
        const window = /^([a-z][a-z-]*[a-z])@(\d+)(?:\+(\d+))?$/.exec(target);
        if (!window) throw new InvalidFaultError(`--fault ${spec}: use db-status:STATUS@SECONDS[+DURATION], e.g. db-status:modifying@0+300`);
        const [, status, at, seconds] = window as unknown as [string, string, string, string | undefined];
        databaseStatus.push({ status, atMs: Number(at) * 1000, ...(seconds === undefined ? {} : { seconds: Number(seconds) }) });
        break;
      }
      default:
        throw new InvalidFaultError(`--fault ${spec}: unknown kind "${kind}"; use one of ${FAULT_KINDS.join(', ')}`);
    }
  }
  return faults;
}
