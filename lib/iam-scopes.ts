/**
 * How FleetFlow's IAM grants name SSM documents and match a tier's instances, for every
 * workflow's tasks.
 *
 * A grant on a tier's instances is conditioned on the tier's host tags. Written once per tier,
 * the same statement (same actions, resources and other conditions) came back for every host
 * tier, about 7 KB per tier over the stack's roles. `allowOnTierHosts` writes it once per
 * function and kind of grant instead, listing the tiers' values: a condition key given several
 * values in one operator matches any of them ("If a single condition operator includes
 * multiple values for a context key, those values are evaluated using a logical OR", IAM User
 * Guide, "Creating a condition with multiple context keys or values"). The statement stays
 * exactly as narrow as the per-tier ones: tiers share one only when their selectors have the
 * same tag keys and differ in at most one of them (every tier's `fleetflow:tier`, say), so the
 * statement matches the union of the tiers' selectors and nothing else; otherwise a tier gets
 * a statement of its own.
 */
import { Stack } from 'aws-cdk-lib';
import type { FleetFlowFunction } from './constructs/fleetflow-function';
import type { HostTierDefinition } from '../lambdas/domain/environment/model';

/** An SSM document's ARN: as given, or in this account, or (AWS-owned documents) in no account. */
export function documentArn(f: FleetFlowFunction, document: string): string {
  if (document.startsWith('arn:')) return document;
  return document.startsWith('AWS-') ? f.arn('ssm', `document/${document}`, '') : f.arn('ssm', `document/${document}`);
}

/**
 * The host selectors one statement matches: a value list per tag key, of which at most one
 * key has more than one value, so that the statement matches exactly the selectors added.
 */
class SelectorUnion {
  private readonly values: Map<string, string[]>;
  private varying: string | undefined;

  /**
   * The statement's StringEquals block, which the statement keeps by reference
   * (iam.PolicyStatement stores each operator's object as given): a selector added later
   * widens the varying key's value there, before the policy is rendered.
   */
  readonly equals: Record<string, unknown>;

  /** `others`: the grant's own StringEquals keys, after the tags' (as a per-tier statement had them). */
  constructor(
    tags: Readonly<Record<string, string>>,
    private readonly prefix: string,
    others: Record<string, unknown> = {},
  ) {
    this.values = new Map(Object.entries(tags).map(([key, value]) => [key, [value]]));
    this.equals = { ...Object.fromEntries(Object.entries(tags).map(([key, value]) => [`${prefix}/${key}`, value])), ...others };
  }

  /** Adds the selector when the union stays exact (see the module's comment); says whether it did. */
  add(tags: Readonly<Record<string, string>>): boolean {
    const keys = Object.keys(tags);
    if (keys.length !== this.values.size || keys.some((key) => !this.values.has(key))) return false;
    const differing = keys.filter((key) => !this.values.get(key)!.includes(tags[key]!));
    if (differing.length === 0) return true;
    if (differing.length > 1 || (this.varying !== undefined && this.varying !== differing[0])) return false;
    const key = differing[0]!;
    this.varying = key;
    this.values.get(key)!.push(tags[key]!);
    // One value stays a string, as a per-tier statement had it; several are a list.
    this.equals[`${this.prefix}/${key}`] = [...this.values.get(key)!];
    return true;
  }
}

/** Per function, the statements on tier hosts written so far, by what they grant besides the selector. */
const tierStatements = new WeakMap<FleetFlowFunction, Map<string, SelectorUnion[]>>();

export interface TierHostsGrant {
  readonly actions: string[];
  readonly resources: string[];
  /** The condition key prefix of the tags: `aws:ResourceTag`, `aws:RequestTag`, `ssm:resourceTag`. */
  readonly tagPrefix: string;
  /** Conditions besides the tier's tags; a StringEquals here is merged with the tags' own. */
  readonly conditions?: Record<string, Record<string, unknown>>;
  readonly wildcardReason: string;
}

/**
 * Grants `fun` the actions on the resources when the request's (or the resource's) tags are
 * the tier's host selector: one statement for every tier whose selector it can take exactly.
 */
export function allowOnTierHosts(fun: FleetFlowFunction, tier: HostTierDefinition, grant: TierHostsGrant): void {
  const tags = tier.hosts.tags;
  // Resources and conditions are compared resolved: each ARN built is a token of its own.
  const signature = JSON.stringify(
    Stack.of(fun).resolve([grant.actions, grant.resources, grant.tagPrefix, grant.conditions ?? {}, Object.keys(tags).sort(), grant.wildcardReason]),
  );
  const byGrant = tierStatements.get(fun) ?? new Map<string, SelectorUnion[]>();
  tierStatements.set(fun, byGrant);
  const unions = byGrant.get(signature) ?? [];
  byGrant.set(signature, unions);
  if (unions.some((union) => union.add(tags))) return;
  const { StringEquals: extraEquals, ...otherConditions } = grant.conditions ?? {};
  const union = new SelectorUnion(tags, grant.tagPrefix, extraEquals);
  unions.push(union);
  fun.allow({ actions: grant.actions, resources: grant.resources, conditions: { StringEquals: union.equals, ...otherConditions }, wildcardReason: grant.wildcardReason });
}

/** ssm:SendCommand of these documents, and only to instances carrying every tag of the tier's selector. */
export function allowSendCommand(fun: FleetFlowFunction, tier: HostTierDefinition, documents: readonly string[], wildcardReason: string): void {
  fun.allow({ actions: ['ssm:SendCommand'], resources: documents.map((d) => documentArn(fun, d)) });
  allowOnTierHosts(fun, tier, { actions: ['ssm:SendCommand'], resources: [fun.arn('ec2', 'instance/*')], tagPrefix: 'ssm:resourceTag', wildcardReason });
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
  allowOnTierHosts(fun, tier, { actions: [action], resources: [fun.arn('ec2', 'instance/*')], tagPrefix: 'aws:ResourceTag', conditions: onlyTagKeys(tagKeys), wildcardReason });
}
