/**
 * Grants on tier hosts written once for every tier (lib/iam-scopes.ts `allowOnTierHosts`): one
 * statement lists the tiers' values of the key their selectors differ in, and stays exactly
 * as narrow as one statement per tier. Selectors that differ in more than one key are never
 * merged: a statement listing both keys' values would also match a mix of two tiers' tags.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate, type IamRequest } from './iam-evaluator';
import { canonicalEnvironment, expectedArn, lambdaByHandler, roleStatements, synthesizeCanonical, type SynthesizedCanonical } from './support';

const INSTANCE = expectedArn('ec2', 'instance/i-0123456789abcdef0');

/** Canonical, but the monitoring tier's hosts are selected by another environment tag as well as their tier. */
function environmentWithTwoKeyDifference() {
  const env = canonicalEnvironment();
  const monitoring = env.tiers.find((t) => t.name === 'monitoring')!;
  monitoring.hosts = { tags: { 'fleetflow:environment': 'canonical-ops', 'fleetflow:tier': 'monitoring' } };
  return env;
}

describe('grants on tier hosts', () => {
  let synth: SynthesizedCanonical;
  const send = (tags: Record<string, string>): IamRequest => ({
    action: 'ssm:SendCommand',
    resource: INSTANCE,
    context: Object.fromEntries(Object.entries(tags).map(([key, value]) => [`ssm:resourceTag/${key}`, value])),
  });
  const installRelease = () => {
    const role = lambdaByHandler(synth.json, 'install-release').roleLogicalId;
    return Object.values(synth.json.Resources).filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles).includes(role));
  };

  beforeAll(() => {
    synth = synthesizeCanonical({ environment: environmentWithTwoKeyDifference() });
  });
  afterAll(() => synth?.cleanup());

  it("lists the tiers' values of the one key their selectors differ in, in one statement", () => {
    const toInstances = installRelease().flatMap(
      (p) => (p.Properties!.PolicyDocument as { Statement: Array<{ Action: string; Condition?: { StringEquals?: Record<string, unknown> } }> }).Statement,
    ).filter((s) => s.Action === 'ssm:SendCommand' && s.Condition?.StringEquals);
    const tierValues = toInstances.map((s) => s.Condition!.StringEquals!['ssm:resourceTag/fleetflow:tier']);

    // middle and web share their environment tag: one statement; monitoring differs in two keys: its own.
    expect(tierValues).toHaveLength(2);
    expect(tierValues).toContainEqual(['middle', 'web']);
    expect(tierValues).toContainEqual('monitoring');
  });

  it("allows each tier's own selector and no mix of two tiers' tags", () => {
    const grants = roleStatements(synth.json, lambdaByHandler(synth.json, 'install-release').roleLogicalId);
    const allowed = (tags: Record<string, string>) => evaluate(grants, send(tags)) === 'allowed';

    expect(allowed({ 'fleetflow:environment': 'canonical', 'fleetflow:tier': 'middle' })).toBe(true);
    expect(allowed({ 'fleetflow:environment': 'canonical', 'fleetflow:tier': 'web' })).toBe(true);
    expect(allowed({ 'fleetflow:environment': 'canonical-ops', 'fleetflow:tier': 'monitoring' })).toBe(true);
    expect(allowed({ 'fleetflow:environment': 'canonical', 'fleetflow:tier': 'monitoring' })).toBe(false);
    expect(allowed({ 'fleetflow:environment': 'canonical-ops', 'fleetflow:tier': 'web' })).toBe(false);
    expect(allowed({ 'fleetflow:environment': 'canonical-ops', 'fleetflow:tier': 'middle' })).toBe(false);
  });
});
