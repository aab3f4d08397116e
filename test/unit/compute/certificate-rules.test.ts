/**
 * The certificate and DNS rules (lambdas/compute/certificate-rules.ts), not yet wired to ACM
 * and Route 53 clients: wildcard coverage of one label, ISSUED only, the declared margin
 * before expiry, and an alias compared without case, trailing dot or "dualstack.".
 */
import { describe, expect, it } from 'vitest';
import { aliasMatches, certificateProblem, nameCovers, recordFor } from '../../../lambdas/compute/certificate-rules';

const NOW = new Date('2026-12-07T08:00:00Z');
const ARN = 'arn:aws:acm:us-east-1:111122223333:certificate/0000';
const issued = (extra: object = {}) => ({
  CertificateArn: ARN,
  Status: 'ISSUED',
  NotAfter: new Date('2027-06-01T00:00:00Z'),
  DomainName: 'example.com',
  SubjectAlternativeNames: ['example.com', '*.example.com'],
  ...extra,
});

describe('nameCovers', () => {
  it.each([
    ['example.com', 'example.com', true],
    ['Example.COM.', 'example.com', true],
    ['*.example.com', 'www.example.com', true],
    ['*.example.com', 'WWW.Example.com.', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'a.b.example.com', false],
    ['*.example.com', 'www.example.org', false],
    ['www.example.com', 'api.example.com', false],
  ])('%s covers %s: %s', (pattern, name, covered) => {
    expect(nameCovers(pattern, name)).toBe(covered);
  });
});

describe('certificateProblem', () => {
  it('accepts an ISSUED certificate covering every domain, far from expiry', () => {
    expect(certificateProblem(issued(), ['example.com', 'www.example.com'], 30, NOW)).toBeUndefined();
  });

  it.each(['PENDING_VALIDATION', 'EXPIRED', 'REVOKED', 'INACTIVE', 'FAILED', 'VALIDATION_TIMED_OUT'])('refuses a %s certificate, naming it', (status) => {
    expect(certificateProblem(issued({ Status: status }), ['example.com'], 30, NOW)).toBe(`certificate ${ARN} is ${status}, not ISSUED`);
  });

  it('refuses a certificate that does not cover a declared domain, naming the domain and its names', () => {
    expect(certificateProblem(issued(), ['a.b.example.com'], 30, NOW)).toBe(`certificate ${ARN} does not cover a.b.example.com (its names: example.com, *.example.com)`);
  });

  it('refuses a certificate expiring within the declared days, and accepts it with a smaller margin', () => {
    const soon = issued({ NotAfter: new Date('2026-12-20T08:00:00Z') });
    expect(certificateProblem(soon, ['example.com'], 30, NOW)).toBe(`certificate ${ARN} expires 2026-12-20T08:00:00.000Z, in 13 day(s), within the 30 declared`);
    expect(certificateProblem(soon, ['example.com'], 13, NOW)).toBeUndefined();
  });
});

describe('aliasMatches and recordFor', () => {
  const lb = 'my-lb-1234567890.us-east-1.elb.amazonaws.com';

  it('matches an alias with "dualstack.", a trailing dot and other case; not another load balancer, not a record without alias', () => {
    expect(aliasMatches({ AliasTarget: { DNSName: `dualstack.${lb.toUpperCase()}.` } }, lb)).toBe(true);
    expect(aliasMatches({ AliasTarget: { DNSName: `${lb}.` } }, lb)).toBe(true);
    expect(aliasMatches({ AliasTarget: { DNSName: 'dualstack.other-1.us-east-1.elb.amazonaws.com.' } }, lb)).toBe(false);
    expect(aliasMatches({ Name: 'www.example.com.', Type: 'A' }, lb)).toBe(false);
  });

  it('finds the A or AAAA record of exactly the domain on a page that starts there', () => {
    const page = [
      { Name: 'www.example.com.', Type: 'A', AliasTarget: { DNSName: lb } },
      { Name: 'www.example.com.', Type: 'TXT' },
      { Name: 'www2.example.com.', Type: 'A' },
    ];
    expect(recordFor(page, 'WWW.example.com')).toBe(page[0]);
    expect(recordFor(page.slice(1), 'www.example.com')).toBeUndefined();
  });
});
