import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import canonical from '../../environments/canonical.json';
import { partition, resolveBatchPolicy } from '../../lib/environment/batch-policy';
import { InvalidEnvironmentError } from '../../lib/environment/errors';
import { isHostTier } from '../../lib/environment/model';
import { loadEnvironmentFile, parseEnvironment } from '../../lib/environment/parse';

const CANONICAL_PATH = fileURLToPath(new URL('../../environments/canonical.json', import.meta.url));

/** A deep copy of the canonical definition, changed by `edit`. */
function canonicalWith(edit: (env: any) => void): unknown {
  const env = structuredClone(canonical) as any;
  edit(env);
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

describe('parseEnvironment', () => {
  it('accepts the canonical environment and fills in the documented defaults', () => {
    // Act
    const env = parseEnvironment(canonical);

    // Assess
    expect(env.name).toBe('canonical');
    expect(env.polling).toEqual({ minSeconds: 2, maxSeconds: 30 });
    const web = env.tiers.find((t) => t.name === 'web');
    expect(web && isHostTier(web)).toBe(true);
    if (!web || !isHostTier(web)) return;
    expect(web.install).toEqual({ document: 'FleetFlow-InstallRelease', parameters: { component: ['storefront'] }, timeoutSeconds: 900 });
    expect(web.batch).toEqual({ maxUnavailable: 1, minHealthyPercent: 50 });
  });

  it('names the field and the value received when minHealthyPercent is out of range', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[1].batch.minHealthyPercent = 100;
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^tiers\[1\]\.batch\.minHealthyPercent: /);
    expect(problems[0]).toContain('(received 100)');
  });

  it('rejects maxUnavailable "100%" because it would take the whole tier out of service', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[2].batch.maxUnavailable = '100%';
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      'tiers[2].batch.maxUnavailable: would take the whole web tier out of service (received "100%")',
    ]);
  });

  it('names the field and value of a malformed maxUnavailable percentage', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[1].batch.maxUnavailable = '150%';
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('tiers[1].batch.maxUnavailable');
    expect(problems[0]).toContain('(received "150%")');
  });

  it('reports a missing required field as missing', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      delete env.tiers[2].install.document;
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^tiers\[2\]\.install\.document: .*\(received missing\)$/);
  });

  it('reports every problem of the definition in the message, one per line', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[1].drain.timeoutSeconds = 0;
      env.tiers[2].health.timeoutSeconds = 7200;
    });

    // Act
    const act = () => parseEnvironment(raw, 'environments/broken.json');

    // Assess
    expect(act).toThrow(InvalidEnvironmentError);
    expect(act).toThrow(/^environments\/broken\.json is invalid:\n- tiers\[1\]\.drain\.timeoutSeconds: .*\(received 0\)\n- tiers\[2\]\.health\.timeoutSeconds: .*\(received 7200\)$/);
  });

  it('rejects a field the model does not know', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[2].batch.maxSurge = 1;
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^tiers\[2\]\.batch: /);
    expect(problems[0]).toContain('maxSurge');
  });

  it('rejects two tiers with the same name', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[2].name = 'middle';
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['tiers[2].name: duplicate tier name (received "middle")']);
  });

  it('rejects a web tier that has no way to leave traffic', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[2].traffic = { kind: 'none' };
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      'tiers[2].traffic.kind: web tiers serve traffic and need a target group or a drain command (received "none")',
    ]);
  });

  it('accepts a monitoring tier that takes no traffic', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[2].role = 'monitoring';
      env.tiers[2].traffic = { kind: 'none' };
    });

    // Act
    const env = parseEnvironment(raw);

    // Assess
    expect(env.tiers[2]?.role).toBe('monitoring');
  });

  it('rejects an environment with only a database tier', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers = [env.tiers[0]];
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['tiers: at least one web, middle or monitoring tier is required']);
  });

  it('rejects a minimum poll longer than the maximum, showing both values', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.polling = { minSeconds: 40, maxSeconds: 20 };
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['polling.minSeconds: must not exceed polling.maxSeconds (received 40 > 20)']);
  });
});

describe('loadEnvironmentFile', () => {
  it('loads the canonical environment file', () => {
    // Act
    const env = loadEnvironmentFile(CANONICAL_PATH);

    // Assess
    expect(env.tiers.map((t) => t.name)).toEqual(['database', 'middle', 'web']);
  });

  it('names the file it cannot read', () => {
    // Prepare
    const path = fileURLToPath(new URL('../../environments/does-not-exist.json', import.meta.url));

    // Act
    const act = () => loadEnvironmentFile(path);

    // Assess
    expect(act).toThrow(InvalidEnvironmentError);
    expect(act).toThrow(`cannot read environment file ${path}`);
  });
});

describe('resolveBatchPolicy', () => {
  it('patches 2 of 4 hosts at a time when half must stay in service', () => {
    // Act
    const resolved = resolveBatchPolicy('web', { maxUnavailable: '50%', minHealthyPercent: 50 }, 4);

    // Assess
    expect(resolved).toEqual({ batchSize: 2, minHealthy: 2 });
  });

  it('patches the canonical 2-host tier one host at a time', () => {
    // Act
    const resolved = resolveBatchPolicy('web', { maxUnavailable: 1, minHealthyPercent: 50 }, 2);

    // Assess
    expect(resolved).toEqual({ batchSize: 1, minHealthy: 1 });
  });

  it('rounds the minimum healthy count up', () => {
    // Act
    const resolved = resolveBatchPolicy('web', { maxUnavailable: 3, minHealthyPercent: 50 }, 3);

    // Assess
    expect(resolved).toEqual({ batchSize: 1, minHealthy: 2 });
  });

  it('caps maxUnavailable by the hosts the minimum leaves free', () => {
    // Act
    const resolved = resolveBatchPolicy('web', { maxUnavailable: 10, minHealthyPercent: 75 }, 8);

    // Assess
    expect(resolved).toEqual({ batchSize: 2, minHealthy: 6 });
  });

  it('patches at least one host when a percentage rounds down to zero', () => {
    // Act
    const resolved = resolveBatchPolicy('web', { maxUnavailable: '10%', minHealthyPercent: 50 }, 4);

    // Assess
    expect(resolved).toEqual({ batchSize: 1, minHealthy: 2 });
  });

  it('rejects a minHealthyPercent that leaves no host to patch, naming the tier field and value', () => {
    // Act
    const act = () => resolveBatchPolicy('web', { maxUnavailable: 1, minHealthyPercent: 99 }, 2);

    // Assess
    expect(act).toThrow(InvalidEnvironmentError);
    expect(act).toThrow('tiers.web.batch.minHealthyPercent=99 requires 2 of 2 hosts in service at all times');
  });
});

describe('partition', () => {
  it('splits items into consecutive batches of at most the batch size', () => {
    // Act
    const batches = partition(['a', 'b', 'c', 'd', 'e'], 2);

    // Assess
    expect(batches).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('makes no batch of nothing', () => {
    // Act
    const batches = partition([], 3);

    // Assess
    expect(batches).toEqual([]);
  });
});
