/**
 * A bad environment definition must stop `cdk synth` with a message a person can act on:
 * which field, and what value was received. Construction of the stack is where it fails,
 * so these tests build the app without synthesizing it.
 */
import { describe, expect, it } from 'vitest';
import { InvalidEnvironmentError } from '../../lambdas/domain/environment/errors';
import { buildCanonicalApp, canonicalEnvironment, type CanonicalEnvironment } from './support';

function withTierBatch(tierName: string, batch: Partial<{ maxUnavailable: number | string; minHealthyPercent: number }>): { environment: CanonicalEnvironment; index: number } {
  const environment = canonicalEnvironment();
  const index = environment.tiers.findIndex((t) => t.name === tierName);
  const tier = environment.tiers[index]!;
  tier.batch = { ...tier.batch!, ...batch };
  return { environment, index };
}

/** Builds the stack and returns what it threw (or fails the test if it did not throw). */
function synthError(environment: unknown): Error {
  let app: ReturnType<typeof buildCanonicalApp> | undefined;
  try {
    app = buildCanonicalApp({ environment });
  } catch (err) {
    return err as Error;
  } finally {
    app?.cleanup();
  }
  throw new Error('the stack accepted the environment');
}

describe('FleetFlow environment validation at synth', () => {
  it('accepts the canonical environment', () => {
    const built = buildCanonicalApp();
    built.cleanup();
    expect(built.stack.stateMachine).toBeDefined();
  });

  it.each(['middle', 'web'])('rejects minHealthyPercent 0 on the %s tier, naming the field and the value', (tierName) => {
    // Prepare
    const { environment, index } = withTierBatch(tierName, { minHealthyPercent: 0 });

    // Act
    const error = synthError(environment);

    // Assess
    expect(error).toBeInstanceOf(InvalidEnvironmentError);
    expect(error.message).toContain('FleetFlow-canonical');
    expect(error.message).toContain(`tiers[${index}].batch.minHealthyPercent`);
    expect(error.message).toMatch(new RegExp(`tiers\\[${index}\\]\\.batch\\.minHealthyPercent: .*\\(received 0\\)`));
  });

  it.each(['middle', 'web'])('rejects maxUnavailable "100%" on the %s tier, naming the field and the value', (tierName) => {
    const { environment, index } = withTierBatch(tierName, { maxUnavailable: '100%' });

    const error = synthError(environment);

    expect(error).toBeInstanceOf(InvalidEnvironmentError);
    expect(error.message).toContain('FleetFlow-canonical');
    expect(error.message).toMatch(new RegExp(`tiers\\[${index}\\]\\.batch\\.maxUnavailable: .*\\(received "100%"\\)`));
  });

  it('reports every problem of the definition, not only the first', () => {
    const environment = canonicalEnvironment();
    const middle = environment.tiers.findIndex((t) => t.name === 'middle');
    const web = environment.tiers.findIndex((t) => t.name === 'web');
    environment.tiers[middle]!.batch = { maxUnavailable: 1, minHealthyPercent: 0 };
    environment.tiers[web]!.batch = { maxUnavailable: 1, minHealthyPercent: 100 };

    const error = synthError(environment) as InvalidEnvironmentError;

    expect(error.problems).toEqual([
      expect.stringMatching(new RegExp(`^tiers\\[${middle}\\]\\.batch\\.minHealthyPercent: .*\\(received 0\\)$`)),
      expect.stringMatching(new RegExp(`^tiers\\[${web}\\]\\.batch\\.minHealthyPercent: .*\\(received 100\\)$`)),
    ]);
  });

  describe('tiers that take no traffic', () => {
    const HEALTH_COMMAND = { document: 'FleetFlow-CheckHealth', timeoutSeconds: 60 };
    /** The canonical environment with the web tier turned into a tier that takes no traffic. */
    function webWithoutTraffic(changes: { role?: string; healthCommand?: boolean }): { environment: CanonicalEnvironment; index: number } {
      const environment = canonicalEnvironment();
      const index = environment.tiers.findIndex((t) => t.name === 'web');
      const tier = environment.tiers[index]!;
      if (changes.role) tier.role = changes.role;
      tier.traffic = { kind: 'none' };
      tier.health = { timeoutSeconds: 300, ...(changes.healthCommand ? { command: HEALTH_COMMAND } : {}) };
      return { environment, index };
    }

    it('still rejects a web tier with traffic kind "none", even with a health command, naming the field', () => {
      const { environment, index } = webWithoutTraffic({ healthCommand: true });

      const error = synthError(environment) as InvalidEnvironmentError;

      expect(error).toBeInstanceOf(InvalidEnvironmentError);
      expect(error.message).toContain('FleetFlow-canonical');
      expect(error.problems).toEqual([expect.stringMatching(new RegExp(`^tiers\\[${index}\\]\\.traffic\\.kind: .*\\(received "none"\\)$`))]);
    });

    it('rejects a web tier with traffic kind "none" and no health command, reporting both problems', () => {
      const { environment, index } = webWithoutTraffic({});

      const error = synthError(environment) as InvalidEnvironmentError;

      expect(error).toBeInstanceOf(InvalidEnvironmentError);
      expect([...error.problems].sort()).toEqual([
        expect.stringMatching(new RegExp(`^tiers\\[${index}\\]\\.health\\.command: .*\\(received missing\\)$`)),
        expect.stringMatching(new RegExp(`^tiers\\[${index}\\]\\.traffic\\.kind: .*\\(received "none"\\)$`)),
      ]);
    });

    it('accepts a monitoring tier that takes no traffic when it has a health command', () => {
      const { environment, index } = webWithoutTraffic({ role: 'monitoring', healthCommand: true });

      const built = buildCanonicalApp({ environment });
      built.cleanup();

      expect(environment.tiers[index]!.role).toBe('monitoring');
      expect(built.stack.stateMachine).toBeDefined();
    });

    it('rejects a monitoring tier that takes no traffic without a health command, naming tiers[i].health.command', () => {
      const { environment, index } = webWithoutTraffic({ role: 'monitoring' });

      const error = synthError(environment) as InvalidEnvironmentError;

      expect(error).toBeInstanceOf(InvalidEnvironmentError);
      expect(error.message).toContain('FleetFlow-canonical');
      expect(error.problems).toEqual([expect.stringMatching(new RegExp(`^tiers\\[${index}\\]\\.health\\.command: .*\\(received missing\\)$`))]);
    });

    it("rejects the canonical monitoring tier once its health command is removed, naming tiers[i].health.command", () => {
      const environment = canonicalEnvironment();
      const index = environment.tiers.findIndex((t) => t.name === 'monitoring');
      const tier = environment.tiers[index]!;
      expect(tier.traffic?.kind).toBe('none');
      expect(tier.health?.command?.document).toBe('FleetFlow-CheckHealth');
      delete tier.health!.command;

      const error = synthError(environment) as InvalidEnvironmentError;

      expect(error).toBeInstanceOf(InvalidEnvironmentError);
      expect(error.problems).toEqual([expect.stringMatching(new RegExp(`^tiers\\[${index}\\]\\.health\\.command: .*\\(received missing\\)$`))]);
    });
  });

  describe('secret parameters', () => {
    const SECRET_VALUE = 'not-a-reference-7f3a9c';
    function withCollectorKey(value: string): { environment: CanonicalEnvironment; index: number } {
      const environment = canonicalEnvironment();
      const index = environment.tiers.findIndex((t) => t.name === 'monitoring');
      environment.tiers[index]!.install!.parameters = { collectorApiKey: [value] };
      return { environment, index };
    }

    it('accepts a secret parameter that names an SSM parameter (resolved on the host)', () => {
      const built = buildCanonicalApp({ environment: withCollectorKey('/canonical/monitoring/collector-api-key').environment });
      built.cleanup();
      expect(built.stack.stateMachine).toBeDefined();
    });

    it('rejects a secret parameter that holds a value instead of a reference, naming the field', () => {
      const { environment, index } = withCollectorKey(SECRET_VALUE);

      const error = synthError(environment) as InvalidEnvironmentError;

      expect(error).toBeInstanceOf(InvalidEnvironmentError);
      expect(error.problems).toEqual([expect.stringMatching(new RegExp(`^tiers\\[${index}\\]\\.install\\.parameters\\.collectorApiKey\\[0\\]: .*secret`))]);
    });
  });
});
