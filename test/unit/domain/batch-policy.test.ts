import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import canonical from '../../../environments/canonical.json';
import { partition, partitionIntoWaves, resolveBatchPolicy, resolveSurgeLimits } from '../../../lambdas/domain/environment/batch-policy';
import { InvalidEnvironmentError } from '../../../lambdas/domain/environment/errors';
import { isHostTier, type BatchPolicy } from '../../../lambdas/domain/environment/model';
import { loadEnvironmentFile, parseEnvironment } from '../../../lambdas/domain/environment/parse';

const WAVES_PATH = fileURLToPath(new URL('../../../environments/waves.json', import.meta.url));

/** Hosts named 1..n. */
const hosts = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const sizes = (batches: readonly unknown[][]) => batches.map((b) => b.length);

/** A deep copy of the canonical definition with the web tier's (tiers[2]) batch policy replaced. */
function canonicalWithWebBatch(batch: unknown): unknown {
  const env = structuredClone(canonical) as any;
  env.tiers[2].batch = batch;
  return env;
}

function problemsOf(raw: unknown): string[] {
  try {
    parseEnvironment(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidEnvironmentError);
    return [...(err as InvalidEnvironmentError).problems];
  }
  throw new Error('parseEnvironment accepted the definition');
}

describe('partitionIntoWaves', () => {
  it('gives batches of 1, 10, 33, 33 and the remaining 23 of 100 hosts for waves [1, 10, 33]', () => {
    // Act
    const batches = partitionIntoWaves(hosts(100), [1, 10, 33], 50);

    // Assess
    expect(sizes(batches)).toEqual([1, 10, 33, 33, 23]);
    expect(batches.flat()).toEqual(hosts(100));
  });

  it('caps every wave by the cap, the repeated last one included', () => {
    // Act
    const batches = partitionIntoWaves(hosts(100), [1, 10, 60], 50);

    // Assess
    expect(sizes(batches)).toEqual([1, 10, 50, 39]);
  });

  it('stops at the hosts there are, even before the last wave', () => {
    // Act
    const batches = partitionIntoWaves(hosts(5), [1, 10, 33], 50);

    // Assess
    expect(sizes(batches)).toEqual([1, 4]);
  });

  it('makes no batch of nothing', () => {
    // Act
    const batches = partitionIntoWaves([], [1, 10], 5);

    // Assess
    expect(batches).toEqual([]);
  });

  it('is partition when there is one wave of the cap', () => {
    // Act
    const batches = [1, 2, 3, 7].map((size) => partitionIntoWaves(hosts(20), [size], size));

    // Assess
    expect(batches).toEqual([1, 2, 3, 7].map((size) => partition(hosts(20), size)));
  });

  it('puts every host in exactly one batch, in order, and no batch above the cap', () => {
    // Prepare
    const cases = [1, 2, 3, 17, 100, 1001].flatMap((n) =>
      [[1], [1, 3], [2, 1], [1, 10, 33], [5, 5, 5, 100]].flatMap((waves) => [1, 2, 4, 50].map((cap) => ({ n, waves, cap }))),
    );

    // Act & Assess
    for (const { n, waves, cap } of cases) {
      const batches = partitionIntoWaves(hosts(n), waves, cap);
      expect(batches.flat()).toEqual(hosts(n));
      for (const batch of batches) {
        expect(batch.length).toBeGreaterThanOrEqual(1);
        expect(batch.length).toBeLessThanOrEqual(cap);
      }
    }
  });

  it('refuses waves that would make an empty batch instead of looping forever', () => {
    // Act & Assess
    expect(() => partitionIntoWaves(hosts(3), [], 2)).toThrow(RangeError);
    expect(() => partitionIntoWaves(hosts(3), [1, 0], 2)).toThrow(RangeError);
    expect(() => partitionIntoWaves(hosts(3), [1], 0)).toThrow(RangeError);
  });
});

describe('resolveBatchPolicy with waves', () => {
  it('resolves [1, "10%", "33%"] over 100 hosts, half of them kept in service, to waves of 1, 10 and 33', () => {
    // Prepare
    const policy: BatchPolicy = { minHealthyPercent: 50, waves: [1, '10%', '33%'] };

    // Act
    const resolved = resolveBatchPolicy('web', policy, 100);

    // Assess
    expect(resolved).toEqual({ batchSize: 33, minHealthy: 50, waves: [1, 10, 33], rollbackBatchSize: 33 });
    expect(sizes(partitionIntoWaves(hosts(100), resolved.waves, resolved.batchSize))).toEqual([1, 10, 33, 33, 23]);
  });

  it('takes percentages of the tier\'s host count, rounded down, at least 1 host', () => {
    // Act
    const resolved = resolveBatchPolicy('web', { minHealthyPercent: 10, waves: ['1%', '10%', '25%'] }, 30);

    // Assess
    expect(resolved.waves).toEqual([1, 3, 7]);
  });

  it('caps every wave by the hosts minHealthyPercent leaves free', () => {
    // Act
    const resolved = resolveBatchPolicy('web', { minHealthyPercent: 50, waves: ['10%', '90%', 80] }, 100);

    // Assess
    expect(resolved.waves).toEqual([10, 50, 50]);
    expect(resolved.batchSize).toBe(50);
  });

  it('caps every wave by maxUnavailable when it is given', () => {
    // Act
    const resolved = resolveBatchPolicy('web', { maxUnavailable: 20, minHealthyPercent: 50, waves: [1, '10%', '50%'] }, 100);

    // Assess
    expect(resolved.waves).toEqual([1, 10, 20]);
    expect(resolved.batchSize).toBe(20);
    expect(sizes(partitionIntoWaves(hosts(100), resolved.waves, resolved.batchSize))).toEqual([1, 10, 20, 20, 20, 20, 9]);
  });

  it('patches the canonical 2-host tier one host at a time whatever the waves', () => {
    // Act
    const resolved = resolveBatchPolicy('web', { minHealthyPercent: 50, waves: [1, '10%', '25%'] }, 2);

    // Assess
    expect(resolved).toEqual({ batchSize: 1, minHealthy: 1, waves: [1, 1, 1], rollbackBatchSize: 1 });
  });

  it('still refuses a minHealthyPercent that leaves no host to patch', () => {
    // Act
    const act = () => resolveBatchPolicy('web', { minHealthyPercent: 99, waves: [1] }, 2);

    // Assess
    expect(act).toThrow(InvalidEnvironmentError);
    expect(act).toThrow('tiers.web.batch.minHealthyPercent=99 requires 2 of 2 hosts in service at all times');
  });
});

describe('resolveBatchPolicy rollback.maxUnavailable', () => {
  it('reverts faster than the rollout: 50 of 100 hosts at once while the rollout moves 1', () => {
    // Act
    const resolved = resolveBatchPolicy('web', { maxUnavailable: 1, minHealthyPercent: 50, rollback: { maxUnavailable: '50%' } }, 100);

    // Assess
    expect(resolved.batchSize).toBe(1);
    expect(resolved.rollbackBatchSize).toBe(50);
  });

  it('is capped by the hosts minHealthyPercent leaves free, not by maxUnavailable', () => {
    // Act
    const count = resolveBatchPolicy('web', { maxUnavailable: 2, minHealthyPercent: 75, rollback: { maxUnavailable: 10 } }, 20);
    const percent = resolveBatchPolicy('web', { maxUnavailable: 2, minHealthyPercent: 75, rollback: { maxUnavailable: '99%' } }, 20);

    // Assess
    expect(count).toEqual({ batchSize: 2, minHealthy: 15, waves: [2], rollbackBatchSize: 5 });
    expect(percent.rollbackBatchSize).toBe(5);
  });

  it('defaults to the rollout\'s largest batch', () => {
    // Act
    const plain = resolveBatchPolicy('web', { maxUnavailable: '10%', minHealthyPercent: 50 }, 100);
    const waves = resolveBatchPolicy('web', { minHealthyPercent: 50, waves: [1, '20%'] }, 100);

    // Assess
    expect(plain.rollbackBatchSize).toBe(10);
    expect(waves.rollbackBatchSize).toBe(20);
  });

  it.each([1, 2, 3, 7, 10, 100, 1000])('never plans a batch or a revert above hostCount - minHealthy for %i hosts', (hostCount) => {
    // Prepare
    const policies: BatchPolicy[] = [1, 34, 50, 99].flatMap((minHealthyPercent) =>
      [undefined, 1, 3, '50%'].flatMap((maxUnavailable) =>
        [undefined, [1, '10%', '33%'], ['100%'], [1000]].flatMap((waves) =>
          [undefined, 1, 1000, '1%', '99%'].map((rollback) => ({
            minHealthyPercent,
            ...(maxUnavailable === undefined && waves === undefined ? { maxUnavailable: 1 } : {}),
            ...(maxUnavailable === undefined ? {} : { maxUnavailable }),
            ...(waves === undefined ? {} : { waves }),
            ...(rollback === undefined ? {} : { rollback: { maxUnavailable: rollback } }),
          })),
        ),
      ),
    );

    // Act & Assess
    for (const policy of policies) {
      let resolved;
      try {
        resolved = resolveBatchPolicy('web', policy, hostCount);
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidEnvironmentError);
        continue;
      }
      const free = hostCount - resolved.minHealthy;
      const batches = partitionIntoWaves(hosts(hostCount), resolved.waves, resolved.batchSize);
      expect(Math.max(...sizes(batches))).toBeLessThanOrEqual(free);
      expect(resolved.rollbackBatchSize).toBeLessThanOrEqual(free);
      expect(resolved.rollbackBatchSize).toBeGreaterThanOrEqual(1);
    }
  });
});

describe('batch.waves in an environment definition', () => {
  it('accepts waves without maxUnavailable, "100%" as a last wave included', () => {
    // Act
    const env = parseEnvironment(canonicalWithWebBatch({ minHealthyPercent: 50, waves: [1, '10%', '100%'] }));

    // Assess
    const web = env.tiers[2]!;
    expect(isHostTier(web) && web.batch).toEqual({ minHealthyPercent: 50, strategy: 'rolling', waves: [1, '10%', '100%'] });
  });

  it('accepts waves under a maxUnavailable that some wave is below', () => {
    // Act
    const env = parseEnvironment(canonicalWithWebBatch({ maxUnavailable: 20, minHealthyPercent: 50, waves: [1, '10%', '50%'] }));

    // Assess
    expect(env.name).toBe('canonical');
  });

  it.each([
    { wave: 0, message: 'a wave must be at least 1 host (1 is a single-host canary)', shown: '0' },
    { wave: -3, message: 'a wave must be at least 1 host (1 is a single-host canary)', shown: '-3' },
    { wave: 1.5, message: 'a wave must be a whole number of hosts', shown: '1.5' },
    { wave: '0%', message: 'a wave must be more than 0% of the tier', shown: '"0%"' },
    { wave: '150%', message: 'a wave can be at most 100% of the tier', shown: '"150%"' },
    { wave: '10.5%', message: 'a wave is a count of hosts such as 1 or a percentage of the tier\'s hosts such as "10%"', shown: '"10.5%"' },
    { wave: 'ten', message: 'a wave is a count of hosts such as 1 or a percentage of the tier\'s hosts such as "10%"', shown: '"ten"' },
    { wave: '-10%', message: 'a wave is a count of hosts such as 1 or a percentage of the tier\'s hosts such as "10%"', shown: '"-10%"' },
    { wave: null, message: 'a wave is a count of hosts such as 1 or a percentage of the tier\'s hosts such as "10%"', shown: 'null' },
  ])('refuses the wave $shown, naming the field and the value', ({ wave, message, shown }) => {
    // Act
    const problems = problemsOf(canonicalWithWebBatch({ minHealthyPercent: 50, waves: [1, wave, '33%'] }));

    // Assess
    expect(problems).toEqual([`tiers[2].batch.waves[1]: ${message} (received ${shown})`]);
  });

  it('refuses an empty list of waves', () => {
    // Act
    const problems = problemsOf(canonicalWithWebBatch({ minHealthyPercent: 50, waves: [] }));

    // Assess
    expect(problems).toEqual(['tiers[2].batch.waves: must list at least one wave size, such as [1, "10%", "33%"] (received [])']);
  });

  it('refuses more than 20 waves', () => {
    // Prepare
    const waves = Array.from({ length: 21 }, (_, i) => i + 1);

    // Act
    const problems = problemsOf(canonicalWithWebBatch({ minHealthyPercent: 50, waves }));

    // Assess
    expect(problems).toEqual([
      `tiers[2].batch.waves: lists at most 20 wave sizes; the last one repeats until every host is done (received ${JSON.stringify(waves)})`,
    ]);
  });

  it('refuses waves that are not a list', () => {
    // Act
    const problems = problemsOf(canonicalWithWebBatch({ minHealthyPercent: 50, waves: '10%' }));

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^tiers\[2\]\.batch\.waves: .*\(received "10%"\)$/);
  });

  it('still requires maxUnavailable when no waves are given', () => {
    // Act
    const problems = problemsOf(canonicalWithWebBatch({ minHealthyPercent: 50 }));

    // Assess
    expect(problems).toEqual([
      'tiers[2].batch.maxUnavailable: is required unless waves are given: a count such as 2 or a percentage such as "25%" (received missing)',
    ]);
  });

  it.each([
    { maxUnavailable: 1, waves: [1, '10%', '33%'] },
    { maxUnavailable: 5, waves: [5, 10] },
    { maxUnavailable: '10%', waves: ['10%', '50%'] },
  ])('refuses waves that maxUnavailable $maxUnavailable makes useless, naming both', ({ maxUnavailable, waves }) => {
    // Act
    const problems = problemsOf(canonicalWithWebBatch({ maxUnavailable, minHealthyPercent: 50, waves }));

    // Assess
    expect(problems).toEqual([
      `tiers[2].batch.waves: maxUnavailable ${JSON.stringify(maxUnavailable)} caps every batch, so these waves would never change one; ` +
        `leave maxUnavailable out (minHealthyPercent still caps every wave) or give waves smaller than it (received ${JSON.stringify(waves)})`,
    ]);
  });
});

describe('batch.rollback in an environment definition', () => {
  it('accepts a rollback.maxUnavailable count or percentage', () => {
    // Act
    const env = parseEnvironment(canonicalWithWebBatch({ maxUnavailable: 1, minHealthyPercent: 50, rollback: { maxUnavailable: '50%' } }));

    // Assess
    const web = env.tiers[2]!;
    expect(isHostTier(web) && web.batch.rollback).toEqual({ maxUnavailable: '50%' });
  });

  it.each([
    { value: 0, pattern: /^tiers\[2\]\.batch\.rollback\.maxUnavailable: .*\(received 0\)$/ },
    { value: '150%', pattern: /^tiers\[2\]\.batch\.rollback\.maxUnavailable: must be a count such as 2 or a percentage such as "25%" \(received "150%"\)$/ },
    { value: '100%', pattern: /^tiers\[2\]\.batch\.rollback\.maxUnavailable: would take the whole web tier out of service to revert it \(received "100%"\)$/ },
  ])('refuses rollback.maxUnavailable $value, naming the field and the value', ({ value, pattern }) => {
    // Act
    const problems = problemsOf(canonicalWithWebBatch({ maxUnavailable: 1, minHealthyPercent: 50, rollback: { maxUnavailable: value } }));

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(pattern);
  });

  it('refuses an unknown field in rollback', () => {
    // Act
    const problems = problemsOf(canonicalWithWebBatch({ maxUnavailable: 1, minHealthyPercent: 50, rollback: { maxUnavailable: 2, waves: [1] } }));

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^tiers\[2\]\.batch\.rollback: /);
  });
});

describe('environments/waves.json', () => {
  it('validates, and rolls 2 hosts one at a time and 100 hosts in waves of 1, 10 and 25', () => {
    // Act
    const env = loadEnvironmentFile(WAVES_PATH);
    const tiers = env.tiers.filter(isHostTier).filter((t) => t.role !== 'monitoring');
    const at = (hostCount: number) =>
      tiers.map((tier) => {
        const resolved = resolveBatchPolicy(tier.name, tier.batch, hostCount);
        return {
          tier: tier.name,
          batches: sizes(partitionIntoWaves(hosts(hostCount), resolved.waves, resolved.batchSize)),
          rollbackBatchSize: resolved.rollbackBatchSize,
        };
      });

    // Assess
    expect(env.name).toBe('waves');
    expect(at(2)).toEqual([
      { tier: 'middle', batches: [1, 1], rollbackBatchSize: 1 },
      { tier: 'web', batches: [1, 1], rollbackBatchSize: 1 },
    ]);
    expect(at(100)).toEqual([
      { tier: 'middle', batches: [1, 10, 25, 25, 25, 14], rollbackBatchSize: 50 },
      { tier: 'web', batches: [1, 10, 25, 25, 25, 14], rollbackBatchSize: 50 },
    ]);
  });
});

describe('batch.maxSurge', () => {
  it('is refused on a rolling tier, which never launches hosts beyond the tier', () => {
    expect(problemsOf(canonicalWithWebBatch({ maxUnavailable: 1, minHealthyPercent: 50, maxSurge: 2 }))).toEqual([
      'tiers[2].batch.maxSurge: only a surge launches hosts beyond the tier: set strategy "surge" or leave maxSurge out (received 2)',
    ]);
  });

  it("is refused above the tier's declared count, and as zero or a non-percentage", () => {
    expect(problemsOf(canonicalWithWebBatch({ maxUnavailable: 1, minHealthyPercent: 50, strategy: 'surge', maxSurge: 3 }))).toEqual([
      "tiers[2].batch.maxSurge: at most the tier's count of 2 hosts, the most a surge ever replaces at once (received 3)",
    ]);
    expect(problemsOf(canonicalWithWebBatch({ maxUnavailable: 1, minHealthyPercent: 50, strategy: 'surge', maxSurge: 0 })).join('\n')).toContain('maxSurge');
    expect(problemsOf(canonicalWithWebBatch({ maxUnavailable: 1, minHealthyPercent: 50, strategy: 'surge', maxSurge: '0%' })).join('\n')).toContain('maxSurge');
  });

  it("is accepted on a surge tier as a count up to the tier's or a percentage", () => {
    for (const maxSurge of [1, 2, '20%', '100%']) {
      const env = parseEnvironment(canonicalWithWebBatch({ maxUnavailable: 1, minHealthyPercent: 50, strategy: 'surge', maxSurge }));
      const web = env.tiers.find((t) => t.name === 'web');
      expect(web && isHostTier(web) ? web.batch.maxSurge : undefined).toBe(maxSurge);
    }
  });

  it("defaults to one batch's worth: batches one after another, as before maxSurge", () => {
    expect(resolveSurgeLimits(undefined, 100, 10)).toEqual({ maxSurge: 10, batchSize: 10, pipeline: false });
  });

  it("pipelines from two batches' worth, a count or a percentage of the tier's hosts", () => {
    expect(resolveSurgeLimits(2, 2, 1)).toEqual({ maxSurge: 2, batchSize: 1, pipeline: true });
    expect(resolveSurgeLimits('20%', 100, 10)).toEqual({ maxSurge: 20, batchSize: 10, pipeline: true });
    expect(resolveSurgeLimits('19%', 100, 10)).toEqual({ maxSurge: 19, batchSize: 10, pipeline: false });
  });

  it('shrinks every batch to it when it is smaller than a batch', () => {
    expect(resolveSurgeLimits(4, 100, 10)).toEqual({ maxSurge: 4, batchSize: 4, pipeline: false });
    // A percentage rounds down to at least one host.
    expect(resolveSurgeLimits('1%', 50, 5)).toEqual({ maxSurge: 1, batchSize: 1, pipeline: false });
  });
});
