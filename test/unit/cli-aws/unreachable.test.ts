/**
 * No AWS region or no credentials is one line and exit 2 (issue 16: "With no region or
 * credentials, it prints one line and exits 2": a configuration the person must fix, as bad
 * input is), never a stack trace: the real SDK clients and credential chain (no mock in this
 * file), through the CLI's entry point, with no region, then no credentials, configured
 * anywhere the SDK looks (environment, profile files, the instance metadata service).
 * Exit 3 stays for AWS that cannot do it (access-denied.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../lib/cli/main';

const CLEARED = [
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_ENDPOINT_URL',
];
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:fleetflow-canonical-deploy:1_2_3-abc';

let saved: NodeJS.ProcessEnv;
let stderr: string;
let stdout: string;

beforeEach(() => {
  saved = { ...process.env };
  for (const key of CLEARED) delete process.env[key];
  process.env.AWS_CONFIG_FILE = '/nonexistent/fleetflow-test/config';
  process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/fleetflow-test/credentials';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  stderr = '';
  stdout = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  process.env = saved;
});

describe('no region', () => {
  it.each([
    ['start', 'deploy', '--env', 'canonical', '--release', '1.2.3', '--wait'],
    ['history', '--env', 'canonical'],
  ])('%s: one line naming AWS_REGION, exit 2', async (...argv) => {
    // Act
    const code = await main(argv);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toBe('fleetflow: no AWS region: set AWS_REGION (or a region in your AWS profile)\n');
    expect(stdout).toBe('');
  });
});

describe('no region configured, but an execution ARN that names one', () => {
  it.each([
    ['approve', '--execution', EXECUTION],
    ['status', EXECUTION],
  ])('%s: calls the ARN\'s region, and says what is missing next (the credentials), exit 2', async (...argv) => {
    const code = await main(argv);

    expect(code).toBe(2);
    expect(stderr).toMatch(/^fleetflow: no usable AWS credentials \(CredentialsProviderError\): [^\n]+\n$/);
    expect(stdout).toBe('');
  });
});

describe('no credentials', () => {
  it.each([
    ['start', 'deploy', '--env', 'canonical', '--release', '1.2.3'],
    ['approve', '--execution', EXECUTION],
    ['reject', '--token', 'AQCEAAAAKgAAAAMAAAAA', '--approver', 'alice'],
  ])('%s: one line saying so, exit 2', async (...argv) => {
    // Prepare
    process.env.AWS_REGION = 'eu-west-1';

    // Act
    const code = await main(argv);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toMatch(/^fleetflow: no usable AWS credentials \(CredentialsProviderError\): [^\n]+\n$/);
    expect(stdout).toBe('');
  });
});

describe('bad input still comes first', () => {
  it('refuses a bad --release with exit 2 before looking for a region', async () => {
    // Act
    const code = await main(['start', 'deploy', '--env', 'canonical', '--release', '']);

    // Assess
    expect(code).toBe(2);
    expect(stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(stderr).toContain('deploy input: release must be 1-64 letters');
  });
});
