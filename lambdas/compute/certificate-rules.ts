/**
 * The rules of issue 18's certificate and DNS checks, on what ACM DescribeCertificate and
 * Route 53 ListResourceRecordSets answer: whether a listener's certificate is ISSUED, covers
 * the declared domain names and does not expire too soon, and whether a record aliases the
 * load balancer.
 *
 * NOT WIRED YET: @aws-sdk/client-acm and @aws-sdk/client-route-53 are not installed, so no
 * handler can read certificates or records; network-checks.ts checks listeners and security
 * groups only. These rules are kept, with their AWS sources and tests, for the step that adds
 * the two clients (the shapes below are the fields of ACM's CertificateDetail and Route 53's
 * ResourceRecordSet that the rules read).
 */

/** ACM CertificateDetail, the fields read (DescribeCertificate). */
export interface CertificateFacts {
  readonly CertificateArn: string;
  /** PENDING_VALIDATION | ISSUED | INACTIVE | EXPIRED | VALIDATION_TIMED_OUT | REVOKED | FAILED */
  readonly Status?: string;
  readonly NotAfter?: Date;
  readonly DomainName?: string;
  readonly SubjectAlternativeNames?: readonly string[];
}

/** Route 53 ResourceRecordSet, the fields read (ListResourceRecordSets). */
export interface RecordFacts {
  readonly Name?: string;
  readonly Type?: string;
  readonly AliasTarget?: { readonly DNSName?: string };
}

const DAY_MS = 24 * 3600 * 1000;

/** A DNS name compared as DNS compares it: case-insensitively, without the root's trailing dot. */
export function dnsName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/**
 * Whether a certificate name covers `domain`. RequestCertificate (ACM API reference): "Use an
 * asterisk (*) to create a wildcard certificate that protects several sites in the same
 * domain. For example, *.example.com protects www.example.com, site.example.com, and
 * images.example.com." The wildcard stands for exactly one label, the leftmost: it covers
 * neither the apex (example.com) nor a deeper name (a.b.example.com) (RFC 6125 section 6.4.3;
 * the one-level rule is also the ACM user guide's, whose sentence our search did not return).
 */
export function nameCovers(certificateName: string, domain: string): boolean {
  const pattern = dnsName(certificateName);
  const name = dnsName(domain);
  if (!pattern.startsWith('*.')) return pattern === name;
  const labels = name.split('.');
  return labels.length >= 2 && labels[0] !== '' && labels.slice(1).join('.') === pattern.slice(2);
}

/**
 * What is wrong with a listener's certificate for `domains`, or undefined: not ISSUED, not
 * covering one of the domains (by DomainName or a SubjectAlternativeName), or expiring within
 * `minDays` of `now` (NotAfter: "The time after which the certificate is not valid").
 */
export function certificateProblem(certificate: CertificateFacts, domains: readonly string[], minDays: number, now: Date): string | undefined {
  const arn = certificate.CertificateArn;
  if (certificate.Status !== 'ISSUED') return `certificate ${arn} is ${certificate.Status ?? 'of unknown status'}, not ISSUED`;
  const names = [...new Set([certificate.DomainName, ...(certificate.SubjectAlternativeNames ?? [])].filter((n): n is string => n !== undefined))];
  const uncovered = domains.filter((d) => !names.some((n) => nameCovers(n, d)));
  if (uncovered.length > 0) return `certificate ${arn} does not cover ${uncovered.join(', ')} (its names: ${names.join(', ') || 'none'})`;
  if (!certificate.NotAfter) return `certificate ${arn} has no expiry date (NotAfter)`;
  const daysLeft = (certificate.NotAfter.getTime() - now.getTime()) / DAY_MS;
  if (daysLeft < minDays) {
    return `certificate ${arn} expires ${certificate.NotAfter.toISOString()}, in ${Math.max(0, Math.floor(daysLeft))} day(s), within the ${minDays} declared`;
  }
  return undefined;
}

/**
 * Whether an alias record points at the load balancer. An ELB alias's DNSName is usually
 * written with a "dualstack." prefix (the CDK's aws-route53-targets guide: "all alias record in
 * Route 53 that points to a Elastic Load Balancer will always include dualstack for the
 * DNSName", e.g. "dualstack.ALB-xxxxxxx.us-west-2.elb.amazonaws.com") and answered fully
 * qualified, with a trailing dot; the load balancer's own DNSName has neither. Compared
 * case-insensitively (DNS names are), without either.
 */
export function aliasMatches(record: RecordFacts, loadBalancerDnsName: string): boolean {
  const target = record.AliasTarget?.DNSName;
  if (!target) return false;
  const strip = (n: string) => dnsName(n).replace(/^dualstack\./, '');
  return strip(target) === strip(loadBalancerDnsName);
}

/**
 * The record for `domain` among a ListResourceRecordSets page started at
 * StartRecordName=domain, StartRecordType=A: the list is in name order and starts at (or
 * after) that name, so the record is the first A or AAAA record with exactly that name.
 */
export function recordFor(records: readonly RecordFacts[], domain: string): RecordFacts | undefined {
  const name = dnsName(domain);
  return records.find((r) => r.Name !== undefined && dnsName(r.Name) === name && (r.Type === 'A' || r.Type === 'AAAA'));
}
