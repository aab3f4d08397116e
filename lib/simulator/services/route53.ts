/**
 * Amazon Route 53 in the simulated account: ListResourceRecordSets of the hosted zones the
 * environment declares (network.ts), with the tiers' `record-missing` faults applied.
 */
import type { Operation } from './common';
import { SimulatedServiceError } from '../aws-errors';
import { networkOf, recordsOf, type SimRecord } from './network';

/** "ListResourceRecordSets returns up to 300 resource record sets at a time" (API reference). */
export const MAX_RECORDS_PER_PAGE = 300;

/** Route 53's InvalidInput: "The input is not valid." (HTTP 400). */
const invalidInput = (message: string) => new SimulatedServiceError('InvalidInput', message);

const fqdn = (name: string) => `${name.toLowerCase().replace(/\.$/, '')}.`;
/**
 * The listing order: "ListResourceRecordSets sorts results first by DNS name with the labels
 * reversed, for example: com.example.www." then, for one name, by type (API reference).
 */
const sortKey = (name: string) => fqdn(name).slice(0, -1).split('.').reverse().join('.');
function compare(a: { name: string; type: string }, b: { name: string; type: string }): number {
  const [x, y] = [sortKey(a.name), sortKey(b.name)];
  if (x !== y) return x < y ? -1 : 1;
  return a.type === b.type ? 0 : a.type < b.type ? -1 : 1;
}

function describeRecord(r: SimRecord) {
  return {
    Name: r.name,
    Type: r.type,
    ...(r.aliasTarget
      ? { AliasTarget: { HostedZoneId: r.aliasTarget.hostedZoneId, DNSName: r.aliasTarget.dnsName, EvaluateTargetHealth: r.aliasTarget.evaluateTargetHealth } }
      : { TTL: r.ttl, ResourceRecords: (r.values ?? []).map((Value) => ({ Value })) }),
  };
}

export const route53: Record<string, Operation> = {
  ListResourceRecordSets(account, input) {
    if (typeof input.HostedZoneId !== 'string' || input.HostedZoneId === '') throw invalidInput('1 validation error detected: HostedZoneId must not be null');
    const id = input.HostedZoneId.replace(/^\/hostedzone\//, '');
    if (id.length > 32) throw invalidInput(`1 validation error detected: Value '${id}' at 'hostedZoneId' failed to satisfy constraint: Member must have length less than or equal to 32`);
    // StartRecordType: "Constraint: Specifying type without specifying name returns an InvalidInput error."
    if (input.StartRecordType !== undefined && input.StartRecordName === undefined) throw invalidInput('The input is not valid: StartRecordType requires StartRecordName');
    if (input.StartRecordIdentifier !== undefined && input.StartRecordType === undefined) throw invalidInput('The input is not valid: StartRecordIdentifier requires StartRecordType');
    const max = input.MaxItems === undefined ? MAX_RECORDS_PER_PAGE : Number(input.MaxItems);
    if (!Number.isInteger(max) || max < 1) throw invalidInput(`The input is not valid: MaxItems must be a positive integer (received ${input.MaxItems})`);
    const zone = networkOf(account).hostedZones.get(id);
    // NoSuchHostedZone: "No hosted zone exists with the ID that you specified." (HTTP 404)
    if (!zone) throw new SimulatedServiceError('NoSuchHostedZone', `No hosted zone found with ID: ${id}`, { status: 404 });
    const sorted = [...recordsOf(account, zone)].sort(compare);
    // "If the specified record name doesn't exist, the results begin with the first resource record set that has a name greater than the value of name."
    const start = input.StartRecordName === undefined ? 0 : sorted.findIndex((r) => compare(r, { name: input.StartRecordName, type: input.StartRecordType ?? '' }) >= 0);
    const from = start < 0 ? sorted.length : start;
    const pageSize = Math.min(max, MAX_RECORDS_PER_PAGE);
    const page = sorted.slice(from, from + pageSize);
    const next = sorted[from + pageSize];
    return {
      ResourceRecordSets: page.map(describeRecord),
      IsTruncated: next !== undefined,
      MaxItems: max,
      ...(next ? { NextRecordName: next.name, NextRecordType: next.type } : {}),
    };
  },
};
