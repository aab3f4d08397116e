/** How FleetFlow's IAM grants name SSM documents and match a tier's instances, for every workflow's tasks. */
import type { FleetFlowFunction } from './constructs/fleetflow-function';
import type { HostTierDefinition } from '../lambdas/domain/environment/model';

/** An SSM document's ARN: as given, or in this account, or (AWS-owned documents) in no account. */
export function documentArn(f: FleetFlowFunction, document: string): string {
  if (document.startsWith('arn:')) return document;
  return document.startsWith('AWS-') ? f.arn('ssm', `document/${document}`, '') : f.arn('ssm', `document/${document}`);
}

/** One condition entry per tag of the tier's host selector, under the given key prefix. */
export function tagConditions(prefix: string, tier: HostTierDefinition): Record<string, string> {
  return Object.fromEntries(Object.entries(tier.hosts.tags).map(([key, value]) => [`${prefix}/${key}`, value]));
}

/** ssm:SendCommand of these documents, and only to instances carrying every tag of the tier's selector. */
export function allowSendCommand(fun: FleetFlowFunction, tier: HostTierDefinition, documents: readonly string[], wildcardReason: string): void {
  fun.allow({ actions: ['ssm:SendCommand'], resources: documents.map((d) => documentArn(fun, d)) });
  fun.allow({
    actions: ['ssm:SendCommand'],
    resources: [fun.arn('ec2', 'instance/*')],
    conditions: { StringEquals: tagConditions('ssm:resourceTag', tier) },
    wildcardReason,
  });
}

/**
 * A request that names tag keys, and only these. `ForAllValues` alone is true of a request that
 * names none ("If the key is not present in the request context, ForAllValues evaluates to true",
 * IAM User Guide, multivalued context keys): a DeleteTags without keys would then remove every
 * tag of the instance, its tier's selector included. `Null: false` makes the keys required.
 */
export function onlyTagKeys(tagKeys: readonly string[]): { 'ForAllValues:StringEquals': { 'aws:TagKeys': string[] }; Null: { 'aws:TagKeys': 'false' } } {
  return { 'ForAllValues:StringEquals': { 'aws:TagKeys': [...tagKeys] }, Null: { 'aws:TagKeys': 'false' } };
}

/** A tagging action (ec2:CreateTags, ec2:DeleteTags) on the tier's instances, of these tag keys only, naming at least one. */
export function allowTagKeys(fun: FleetFlowFunction, tier: HostTierDefinition, action: string, tagKeys: readonly string[], wildcardReason: string): void {
  fun.allow({
    actions: [action],
    resources: [fun.arn('ec2', 'instance/*')],
    conditions: { StringEquals: tagConditions('aws:ResourceTag', tier), ...onlyTagKeys(tagKeys) },
    wildcardReason,
  });
}
