/**
 * cdk-nag v3 runs as a CDK validation plugin: findings land in the cloud assembly's
 * validation-report.json, acknowledged ones under `suppressedViolations` with their reason.
 * Under vitest (NODE_ENV=test) the app runs "in memory", so synth throws when an
 * unacknowledged error-level finding remains; the report is written before it throws,
 * which lets the tests below list the findings instead of only failing on the exception.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CfnElement, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_ROTATION_REASON } from '../../lib/constructs/database-master-secret';
import { buildCanonicalApp, rolesAllowing, type CanonicalApp, type CfnTemplate } from './support';

interface ViolatingConstruct {
  readonly constructPath: string;
}
interface Violation {
  readonly ruleName: string;
  readonly severity?: string;
  readonly violatingConstructs?: readonly ViolatingConstruct[];
}
interface SuppressedViolation extends Violation {
  readonly acknowledgedId: string;
  readonly reason?: string;
  readonly acknowledgedAt: string;
}
interface PluginReport {
  readonly pluginName: string;
  readonly conclusion: string;
  readonly violations: readonly Violation[];
  readonly suppressedViolations?: readonly SuppressedViolation[];
}
interface ValidationReport {
  readonly pluginReports: readonly PluginReport[];
}

const describeViolation = (v: Violation) =>
  `${v.ruleName} (${v.severity ?? 'unknown severity'}) at ${(v.violatingConstructs ?? []).map((c) => c.constructPath).join(', ')}`;

describe('cdk-nag AwsSolutions checks of the canonical stack', () => {
  let built: CanonicalApp;
  let synthError: unknown;
  let awsSolutions: PluginReport;

  beforeAll(() => {
    built = buildCanonicalApp({ nag: true });
    try {
      built.app.synth();
    } catch (err) {
      synthError = err;
    }
    const report = JSON.parse(readFileSync(join(built.outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
    const plugin = report.pluginReports.find((p) => p.pluginName === 'AwsSolutions');
    if (!plugin) throw new Error(`no AwsSolutions report among ${report.pluginReports.map((p) => p.pluginName).join(', ')}`);
    awsSolutions = plugin;
  });
  afterAll(() => built?.cleanup());

  it('synthesizes without a validation failure', () => {
    expect(synthError, String(synthError)).toBeUndefined();
    expect(awsSolutions.conclusion).toBe('success');
  });

  it('leaves no finding unacknowledged, whatever its severity', () => {
    expect(awsSolutions.violations.map(describeViolation)).toEqual([]);
  });

  it('gives a reason for every acknowledged finding', () => {
    const suppressed = awsSolutions.suppressedViolations ?? [];

    // The canonical stack does hold wildcards (X-Ray, Describe*, target group IDs), so there is something to check.
    expect(suppressed.length).toBeGreaterThan(0);
    const withoutReason = suppressed.filter((s) => (s.reason ?? '').trim().length === 0).map(describeViolation);
    expect(withoutReason).toEqual([]);
  });

  it('acknowledges only specific IAM5 wildcard findings, and SMG4 (no rotation) on the master password secret alone, with the reason why', () => {
    const others = (awsSolutions.suppressedViolations ?? []).filter((s) => s.ruleName !== 'AwsSolutions-SMG4');
    for (const s of others) {
      expect(s.ruleName, describeViolation(s)).toMatch(/^AwsSolutions-IAM5\[Resource::.+\]$/);
    }
    const rotation = (awsSolutions.suppressedViolations ?? []).filter((s) => s.ruleName === 'AwsSolutions-SMG4');
    expect(rotation.map((s) => s.acknowledgedAt)).toEqual([expect.stringMatching(/\/DatabaseMasterSecret\/Secret$/)]);
    expect(rotation[0]!.reason).toBe(NO_ROTATION_REASON);
  });

  it('records a non-empty reason with every acknowledgement in the construct tree, and each one matches a finding', () => {
    const acknowledged = new Map<string, string>();
    for (const construct of built.app.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>)) {
          acknowledged.set(`${construct.node.path} ${id}`, String(reason ?? ''));
        }
      }
    }
    const used = new Set((awsSolutions.suppressedViolations ?? []).map((s) => `${s.acknowledgedAt} ${s.acknowledgedId}`));

    expect(acknowledged.size).toBeGreaterThan(0);
    expect([...acknowledged].filter(([, reason]) => reason.trim().length === 0).map(([key]) => key)).toEqual([]);
    // An acknowledgement that matches nothing would silently pre-approve a future wildcard.
    expect([...acknowledged.keys()].filter((key) => !used.has(key))).toEqual([]);
  });

  // DescribeAlarms is granted on "*" (composite alarms are returned only then): each role holding
  // it must say so in its acknowledgement of the Resource::* finding, and no other role may.
  it('explains cloudwatch:DescribeAlarms on "*" in the Resource::* acknowledgement of exactly the roles that hold it', () => {
    const template = Template.fromStack(built.stack).toJSON() as CfnTemplate;
    const logicalIdByPath = new Map(
      built.stack.node
        .findAll()
        .filter((c): c is iam.Role => c instanceof iam.Role)
        .map((role) => [role.node.path, built.stack.getLogicalId(role.node.defaultChild as CfnElement)]),
    );
    const explaining = (awsSolutions.suppressedViolations ?? [])
      .filter((s) => s.ruleName === 'AwsSolutions-IAM5[Resource::*]' && /cloudwatch:DescribeAlarms/.test(s.reason ?? ''))
      .map((s) => logicalIdByPath.get(s.acknowledgedAt) ?? s.acknowledgedAt);
    const holders = rolesAllowing(template, 'cloudwatch:DescribeAlarms');

    expect(holders).toHaveLength(4);
    expect([...explaining].sort()).toEqual([...holders].sort());
  });
});
