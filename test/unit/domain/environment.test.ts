import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import canonical from '../../../environments/canonical.json';
import { partition, resolveBatchPolicy } from '../../../lambdas/domain/environment/batch-policy';
import { InvalidEnvironmentError } from '../../../lambdas/domain/environment/errors';
import { DEFAULT_DRAIN_TIMEOUT_SECONDS, DRAIN_MARGIN_SECONDS, isHostTier } from '../../../lambdas/domain/environment/model';
import { loadEnvironmentFile, parseEnvironment, parseEnvironmentPayload } from '../../../lambdas/domain/environment/parse';

const CANONICAL_PATH = fileURLToPath(new URL('../../../environments/canonical.json', import.meta.url));

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
    expect(web.install).toEqual({
      document: 'FleetFlow-InstallRelease',
      parameters: { component: ['storefront'] },
      timeoutSeconds: 900,
      expectedSeconds: 40,
    });
    expect(web.batch).toEqual({ maxUnavailable: 1, minHealthyPercent: 50, strategy: 'rolling' });
  });

  it('refuses an install expected to run longer than its timeout', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[2].install.expectedSeconds = 901;
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^tiers\[2\]\.install\.expectedSeconds: expectedSeconds must not exceed timeoutSeconds/);
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
      // maxSurge is a field now (a surge's limit): a near miss of it is not.
      env.tiers[2].batch.maxSurges = 1;
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^tiers\[2\]\.batch: /);
    expect(problems[0]).toContain('maxSurges');
  });

  it('rejects two tiers with the same name', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[2].name = 'middle';
      // The restore names the tiers that use the database: web is gone, so only middle.
      env.tiers[0].database.restore.tiers = ['middle'];
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['tiers[2].name: duplicate tier name (received "middle")']);
  });

  it('rejects a web tier that has no way to leave traffic', () => {
    // Prepare: with a health command, so that leaving traffic is the only problem.
    const raw = canonicalWith((env) => {
      env.tiers[2].traffic = { kind: 'none' };
      env.tiers[2].health.command = { document: 'FleetFlow-CheckHealth' };
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      'tiers[2].traffic.kind: web tiers serve traffic and need a target group or a drain command; "none" is for monitoring tiers and middle tiers of workers (received "none")',
    ]);
  });

  it('accepts a middle tier of workers that takes no traffic, judged by its health command', () => {
    const raw = canonicalWith((env) => {
      env.tiers[1].traffic = { kind: 'none' };
      env.tiers[1].health.command = { document: 'FleetFlow-CheckHealth' };
    });

    expect(parseEnvironment(raw).tiers[1]).toMatchObject({ role: 'middle', traffic: { kind: 'none' } });
  });

  it('accepts a monitoring tier that takes no traffic', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[2].role = 'monitoring';
      env.tiers[2].traffic = { kind: 'none' };
      env.tiers[2].health.command = { document: 'FleetFlow-CheckHealth' };
    });

    // Act
    const env = parseEnvironment(raw);

    // Assess
    expect(env.tiers[2]?.role).toBe('monitoring');
  });

  it('reports both problems of a web tier with no way to leave traffic and no health command', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[2].traffic = { kind: 'none' };
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      'tiers[2].health.command: a tier with traffic kind "none" needs a health command, or nothing checks that a patched host is healthy (received missing)',
      'tiers[2].traffic.kind: web tiers serve traffic and need a target group or a drain command; "none" is for monitoring tiers and middle tiers of workers (received "none")',
    ]);
  });

  it('rejects an environment with only a database tier', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers = [env.tiers[0]];
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      'tiers: at least one web, middle or monitoring tier is required',
      'tiers[0].database.migration.runnerTier: must name a web or middle tier of this environment (received "middle")',
      'tiers[0].database.restore.tiers[0]: must name a host tier of this environment (received "middle")',
      'tiers[0].database.restore.tiers[1]: must name a host tier of this environment (received "web")',
    ]);
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

describe('health command', () => {
  const DRAIN_COMMANDS = {
    kind: 'drain-command',
    drain: { document: 'FleetFlow-DrainNode' },
    undrain: { document: 'FleetFlow-UndrainNode' },
  };

  it('reads the health command of the canonical monitoring tier, filling in its default parameters', () => {
    // Act
    const env = parseEnvironment(canonical);

    // Assess
    const monitoring = env.tiers[3];
    expect(monitoring && isHostTier(monitoring) && monitoring.health).toEqual({
      timeoutSeconds: 300,
      command: { document: 'FleetFlow-CheckHealth', parameters: {}, timeoutSeconds: 60 },
    });
  });

  it('needs no health command for a tier its target groups check', () => {
    // Act
    const env = parseEnvironment(canonical);

    // Assess
    const web = env.tiers[2];
    expect(web && isHostTier(web) && web.health).toEqual({ timeoutSeconds: 300 });
  });

  it.each([
    {
      label: 'a monitoring tier without traffic',
      edit: (env: any) => delete env.tiers[3].health.command,
      problem: 'tiers[3].health.command: a tier with traffic kind "none" needs a health command',
    },
    {
      label: 'a monitoring tier without any health section',
      edit: (env: any) => delete env.tiers[3].health,
      problem: 'tiers[3].health.command: a tier with traffic kind "none" needs a health command',
    },
    {
      label: 'a clustered middle tier',
      edit: (env: any) => {
        env.tiers[1].traffic = DRAIN_COMMANDS;
      },
      problem: 'tiers[1].health.command: a tier with traffic kind "drain-command" needs a health command',
    },
  ])('rejects $label without a health command, naming the field', ({ edit, problem }) => {
    // Prepare
    const raw = canonicalWith(edit);

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([`${problem}, or nothing checks that a patched host is healthy (received missing)`]);
  });

  it('accepts a clustered middle tier with a health command', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[1].traffic = DRAIN_COMMANDS;
      env.tiers[1].health.command = { document: 'FleetFlow-CheckHealth', parameters: { port: ['8080'] }, timeoutSeconds: 120 };
    });

    // Act
    const env = parseEnvironment(raw);

    // Assess
    const middle = env.tiers[1];
    expect(middle && isHostTier(middle) && middle.health.command).toEqual({
      document: 'FleetFlow-CheckHealth',
      parameters: { port: ['8080'] },
      timeoutSeconds: 120,
    });
  });

  it('loads the clustered test environment, whose drain-command tier has a health command', () => {
    // Act
    const env = loadEnvironmentFile(fileURLToPath(new URL('../../fixtures/clustered.json', import.meta.url)));

    // Assess
    const middle = env.tiers.find((t) => t.name === 'middle');
    expect(middle && isHostTier(middle) && middle.traffic.kind).toBe('drain-command');
    expect(middle && isHostTier(middle) && middle.health.command?.document).toBe('FleetFlow-CheckHealth');
  });

  it('rejects a literal secret in a health command as well', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[3].health.command.parameters = { apiToken: ['t0k3n'] };
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^tiers\[3\]\.health\.command\.parameters\.apiToken\[0\]: looks like a secret value.*\(received a value, not shown\)$/);
    expect(problems.join()).not.toContain('t0k3n');
  });
});

describe('time limits', () => {
  it.each([
    { field: 'validation.bakeSeconds', max: 14_400, set: (env: any, v: number) => (env.validation.bakeSeconds = v) },
    { field: 'validation.approval.timeoutSeconds', max: 43_200, set: (env: any, v: number) => (env.validation.approval.timeoutSeconds = v) },
    { field: 'tiers[2].install.timeoutSeconds', max: 7_200, set: (env: any, v: number) => (env.tiers[2].install.timeoutSeconds = v) },
    { field: 'tiers[3].health.command.timeoutSeconds', max: 7_200, set: (env: any, v: number) => (env.tiers[3].health.command.timeoutSeconds = v) },
    {
      field: 'tiers[0].database.migration.timeoutSeconds',
      max: 7_200,
      set: (env: any, v: number) => (env.tiers[0].database.migration.timeoutSeconds = v),
    },
    {
      field: 'tiers[1].traffic.drain.timeoutSeconds',
      max: 7_200,
      set: (env: any, v: number) => {
        env.tiers[1].traffic = {
          kind: 'drain-command',
          drain: { document: 'FleetFlow-DrainNode', timeoutSeconds: v },
          undrain: { document: 'FleetFlow-UndrainNode' },
        };
        env.tiers[1].health.command = { document: 'FleetFlow-CheckHealth' };
      },
    },
  ])('accepts $field up to $max and rejects one more, showing the value', ({ field, max, set }) => {
    // Prepare
    const atMax = canonicalWith((env) => set(env, max));
    const overMax = canonicalWith((env) => set(env, max + 1));

    // Act
    const accept = () => parseEnvironment(atMax);
    const problems = problemsOf(overMax);

    // Assess
    expect(accept).not.toThrow();
    expect(problems).toHaveLength(1);
    expect(problems[0]!.startsWith(`${field}: `)).toBe(true);
    expect(problems[0]).toContain(`(received ${max + 1})`);
  });
});

describe('loadEnvironmentFile', () => {
  it('loads the canonical environment file', () => {
    // Act
    const env = loadEnvironmentFile(CANONICAL_PATH);

    // Assess
    expect(env.tiers.map((t) => t.name)).toEqual(['database', 'middle', 'web', 'monitoring']);
  });

  it('names the file it cannot read', () => {
    // Prepare
    const path = fileURLToPath(new URL('../../../environments/does-not-exist.json', import.meta.url));

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
    expect(resolved).toEqual({ batchSize: 2, minHealthy: 2, waves: [2], rollbackBatchSize: 2 });
  });

  it('patches the canonical 2-host tier one host at a time', () => {
    // Act
    const resolved = resolveBatchPolicy('web', { maxUnavailable: 1, minHealthyPercent: 50 }, 2);

    // Assess
    expect(resolved).toEqual({ batchSize: 1, minHealthy: 1, waves: [1], rollbackBatchSize: 1 });
  });

  it('rounds the minimum healthy count up', () => {
    // Act
    const resolved = resolveBatchPolicy('web', { maxUnavailable: 3, minHealthyPercent: 50 }, 3);

    // Assess
    expect(resolved).toEqual({ batchSize: 1, minHealthy: 2, waves: [1], rollbackBatchSize: 1 });
  });

  it('caps maxUnavailable by the hosts the minimum leaves free', () => {
    // Act
    const resolved = resolveBatchPolicy('web', { maxUnavailable: 10, minHealthyPercent: 75 }, 8);

    // Assess
    expect(resolved).toEqual({ batchSize: 2, minHealthy: 6, waves: [2], rollbackBatchSize: 2 });
  });

  it('patches at least one host when a percentage rounds down to zero', () => {
    // Act
    const resolved = resolveBatchPolicy('web', { maxUnavailable: '10%', minHealthyPercent: 50 }, 4);

    // Assess
    expect(resolved).toEqual({ batchSize: 1, minHealthy: 2, waves: [1], rollbackBatchSize: 1 });
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

describe('secret parameters', () => {
  const SECRET_MESSAGE = 'looks like a secret value; pass the name of an SSM SecureString ("/path/name") or a Secrets Manager ARN instead';

  it('rejects a literal monitoring collector API key, naming the field', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[3].install.parameters.collectorApiKey = ['c0ll3ct0r-k3y-abc123'];
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([`tiers[3].install.parameters.collectorApiKey[0]: ${SECRET_MESSAGE} (received a value, not shown)`]);
    expect(problems.join()).not.toContain('c0ll3ct0r-k3y-abc123');
  });

  it('rejects a literal database password in the migration parameters, naming the field', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[0].database.migration.parameters.databasePassword = ['hunter2'];
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([`tiers[0].database.migration.parameters.databasePassword[0]: ${SECRET_MESSAGE} (received a value, not shown)`]);
    expect(problems.join()).not.toContain('hunter2');
  });

  it.each(['apiToken', 'clientSecret', 'dbPasswd', 'serviceCredentials', 'signingPrivateKey', 'APIKEY'])(
    'treats a parameter named %s as a secret',
    (name) => {
      // Prepare
      const raw = canonicalWith((env) => {
        env.tiers[2].install.parameters[name] = ['plain-value'];
      });

      // Act
      const problems = problemsOf(raw);

      // Assess
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(new RegExp(`^tiers\\[2\\]\\.install\\.parameters\\.${name}\\[0\\]: looks like a secret value`));
    },
  );

  it('names the one literal among several values of a secret parameter', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[3].install.parameters.collectorApiKey = ['/canonical/monitoring/collector-api-key', 'literal-key'];
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^tiers\[3\]\.install\.parameters\.collectorApiKey\[1\]: .*\(received a value, not shown\)$/);
  });

  it.each([
    { label: 'an SSM parameter path', value: '/canonical/database/migrator-password' },
    { label: 'a Secrets Manager ARN', value: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:canonical/db-password-AbC123' },
    { label: 'a Secrets Manager ARN in another partition', value: 'arn:aws-cn:secretsmanager:cn-north-1:111122223333:secret:canonical/db-AbC123' },
  ])('accepts $label as a secret parameter', ({ value }) => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[0].database.migration.parameters.databasePassword = [value];
      env.tiers[3].install.parameters.collectorApiKey = [value];
    });

    // Act
    const env = parseEnvironment(raw);

    // Assess
    const [database, , , monitoring] = env.tiers;
    expect(database && !isHostTier(database) && database.database.migration.parameters.databasePassword).toEqual([value]);
    expect(monitoring && isHostTier(monitoring) && monitoring.install.parameters.collectorApiKey).toEqual([value]);
  });

  it('lets a parameter whose name announces no secret hold a literal value', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[2].install.parameters.component = ['storefront'];
      env.tiers[2].install.parameters.channel = ['stable'];
    });

    // Act
    const env = parseEnvironment(raw);

    // Assess
    const web = env.tiers[2];
    expect(web && isHostTier(web) && web.install.parameters).toEqual({ component: ['storefront'], channel: ['stable'] });
  });

  it('rejects a literal secret in a drain command as well', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[1].traffic = {
        kind: 'drain-command',
        drain: { document: 'FleetFlow-DrainNode', parameters: { adminToken: ['t0k3n'] } },
        undrain: { document: 'FleetFlow-UndrainNode' },
      };
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([`tiers[1].traffic.drain.parameters.adminToken[0]: ${SECRET_MESSAGE} (received a value, not shown)`]);
    expect(problems.join()).not.toContain('t0k3n');
  });
});

describe('database migration runner', () => {
  it.each(['middle', 'web'])('accepts the %s tier as the migration runner', (runnerTier) => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[0].database.migration.runnerTier = runnerTier;
    });

    // Act
    const env = parseEnvironment(raw);

    // Assess
    const database = env.tiers[0];
    expect(database && !isHostTier(database) && database.database.migration.runnerTier).toBe(runnerTier);
  });

  it.each([
    { label: 'the monitoring tier', runnerTier: 'monitoring' },
    { label: 'the database tier itself', runnerTier: 'database' },
    { label: 'a tier that does not exist', runnerTier: 'workers' },
  ])('rejects $label as the migration runner, showing the value', ({ runnerTier }) => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[0].database.migration.runnerTier = runnerTier;
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      `tiers[0].database.migration.runnerTier: must name a web or middle tier of this environment (received "${runnerTier}")`,
    ]);
  });
});

describe('monitoring tier batch policy', () => {
  it('refuses a policy that would take the only monitoring host out of service', () => {
    // Act
    const act = () => resolveBatchPolicy('monitoring', { maxUnavailable: 1, minHealthyPercent: 50 }, 1);

    // Assess
    expect(act).toThrow(InvalidEnvironmentError);
    expect(act).toThrow('tiers.monitoring.batch.minHealthyPercent=50 requires 1 of 1 hosts in service at all times');
  });

  it('refuses a policy whose minimum leaves no monitoring host to patch', () => {
    // Act
    const act = () => resolveBatchPolicy('monitoring', { maxUnavailable: '50%', minHealthyPercent: 60 }, 2);

    // Assess
    expect(act).toThrow(InvalidEnvironmentError);
    expect(act).toThrow('tiers.monitoring.batch.minHealthyPercent=60 requires 2 of 2 hosts in service at all times');
  });

  it('rejects maxUnavailable "100%" for the monitoring tier too', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[3].batch.maxUnavailable = '100%';
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['tiers[3].batch.maxUnavailable: would take the whole monitoring tier out of service (received "100%")']);
  });

  it.each([1, 2, 3, 4, 5, 10, 100])('never leaves fewer than one of %i hosts in service, whatever the policy', (hostCount) => {
    // Prepare
    const policies = [1, 5, 50, 99].flatMap((minHealthyPercent) =>
      [1, 3, 1000, '1%', '50%', '99%'].map((maxUnavailable) => ({ maxUnavailable, minHealthyPercent })),
    );

    // Act
    const inService = policies.flatMap((policy) => {
      try {
        const { batchSize } = resolveBatchPolicy('monitoring', policy, hostCount);
        return [hostCount - batchSize];
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidEnvironmentError);
        return [];
      }
    });

    // Assess
    for (const remaining of inService) expect(remaining).toBeGreaterThanOrEqual(1);
  });
});

describe('drain', () => {
  it('reads the host-side drain check of the canonical target-group tiers', () => {
    // Act
    const env = parseEnvironment(canonical);

    // Assess
    const web = env.tiers[2];
    expect(web && isHostTier(web) && web.drain).toEqual({
      timeoutSeconds: 360,
      check: { document: 'FleetFlow-CheckConnectionsDrained', parameters: {}, timeoutSeconds: 120, expectedSeconds: 10 },
    });
  });

  it("defaults the drain timeout to 360 s: ELB's default deregistration delay of 300 s and the 30 s margin fit in it", () => {
    // Prepare
    const raw = canonicalWith((env) => {
      delete env.tiers[2].drain;
    });

    // Act
    const env = parseEnvironment(raw);

    // Assess
    const web = env.tiers[2];
    expect(web && isHostTier(web) && web.drain).toEqual({ timeoutSeconds: DEFAULT_DRAIN_TIMEOUT_SECONDS });
    expect(DEFAULT_DRAIN_TIMEOUT_SECONDS).toBeGreaterThanOrEqual(300 + DRAIN_MARGIN_SECONDS);
  });

  it('refuses a drain check that may run longer than the whole drain, showing both values', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[2].drain.check.timeoutSeconds = 400;
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      'tiers[2].drain.check.timeoutSeconds: must not exceed drain.timeoutSeconds, the time the whole drain may take (received 400 > 360)',
    ]);
  });

  it('refuses a drain check with a literal secret, like any command', () => {
    // Prepare
    const raw = canonicalWith((env) => {
      env.tiers[2].drain.check.parameters = { apiPassword: ['hunter2-literal-value'] };
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^tiers\[2\]\.drain\.check\.parameters\.apiPassword\[0\]: looks like a secret value/);
    expect(problems[0]).not.toContain('hunter2');
  });
});

describe("AWS's naming rules for what FleetFlow passes to an API", () => {
  const withIdentifier = (id: string) => canonicalWith((env) => (env.tiers[0].database.instanceIdentifier = id));

  it.each([
    ['Canonical-DB', /instanceIdentifier: must be lowercase: RDS stores DB instance identifiers as lowercase strings.*write "canonical-db"/],
    ['canonical--db-', /instanceIdentifier: must not contain two consecutive hyphens \(RDS DB instance identifier rules/],
    ['canonical-db-', /instanceIdentifier: must not end with a hyphen \(RDS DB instance identifier rules/],
    ['1canonical', /instanceIdentifier: must begin with a letter/],
    ['canonical_db', /instanceIdentifier: must contain only letters, digits and hyphens/],
    [`c${'a'.repeat(63)}`, /instanceIdentifier: must be 1-63 characters/],
  ])('refuses the RDS identifier %s, naming the rule', (id, rule) => {
    expect(problemsOf(withIdentifier(id)).join('\n')).toMatch(rule);
  });

  it('accepts an identifier at the limits: 63 characters, digits and single hyphens', () => {
    expect(() => parseEnvironment(withIdentifier(`c${'a1-b'.repeat(15)}a2`))).not.toThrow();
  });

  it("refuses a tier whose selector tags plus FleetFlow's own exceed EC2's 50 tags per instance, and accepts one at the budget", () => {
    const withSelector = (count: number) =>
      canonicalWith((env) => {
        const tags = env.tiers.find((t: { name: string }) => t.name === 'web').hosts.tags;
        for (let i = Object.keys(tags).length; i < count; i += 1) tags[`team:key-${i}`] = 'v';
      });

    expect(problemsOf(withSelector(37)).join('\n')).toMatch(
      /hosts\.tags: names 37 tags, and FleetFlow writes up to 14 of its own on an instance at launch and at release .*: 51, over EC2's 50 tags per instance; name at most 36/,
    );
    expect(() => parseEnvironment(withSelector(36))).not.toThrow();
  });
});

describe('parseEnvironmentPayload: the definition as a planner task receives it', () => {
  it('reads the JSON text the template stores as it reads the object', () => {
    expect(parseEnvironmentPayload(JSON.stringify(canonical))).toEqual(parseEnvironment(canonical));
    expect(parseEnvironmentPayload(canonical)).toEqual(parseEnvironment(canonical));
  });

  it('refuses text that is not JSON, or longer than a definition may be, naming why', () => {
    expect(() => parseEnvironmentPayload('{"name": ')).toThrow(/environment: not a JSON definition/);
    expect(() => parseEnvironmentPayload(' '.repeat(2_000_000))).toThrow(/characters, more than/);
  });
});
