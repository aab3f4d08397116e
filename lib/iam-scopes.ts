/** How FleetFlow's IAM grants name SSM documents and match a tier's instances, for every workflow's tasks. */
import type { FleetFlowFunction } from './constructs/fleetflow-function';
import type { HostTierDefinition } from './environment/model';

/** An SSM document's ARN: as given, or in this account, or (AWS-owned documents) in no account. */
export function documentArn(f: FleetFlowFunction, document: string): string {
  if (document.startsWith('arn:')) return document;
  return document.startsWith('AWS-') ? f.arn('ssm', `document/${document}`, '') : f.arn('ssm', `document/${document}`);
}

/** One condition entry per tag of the tier's host selector, under the given key prefix. */
export function tagConditions(prefix: string, tier: HostTierDefinition): Record<string, string> {
  return Object.fromEntries(Object.entries(tier.hosts.tags).map(([key, value]) => [`${prefix}/${key}`, value]));
}
