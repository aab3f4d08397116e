/**
 * AWS Certificate Manager in the simulated account: DescribeCertificate of the certificates
 * the HTTPS listeners serve (network.ts), with the tier's certificate faults applied.
 */
import type { Operation } from './common';
import { SimulatedServiceError, validation } from '../aws-errors';
import { certificateNow, networkOf } from './network';

/** DescribeCertificate's CertificateArn: "Length Constraints: Minimum length of 20. Maximum length of 2048", and its Pattern (ACM API reference). */
const CERTIFICATE_ARN = /^arn:[\w+=/,.@-]+:acm:[\w+=/,.@-]*:[0-9]+:[\w+=,.@-]+(\/[\w+=,.@-]+)*$/;

export const acm: Record<string, Operation> = {
  DescribeCertificate(account, input) {
    const arn = input.CertificateArn;
    if (typeof arn !== 'string') throw validation("1 validation error detected: Value null at 'certificateArn' failed to satisfy constraint: Member must not be null");
    if (arn.length < 20 || arn.length > 2048) throw validation(`1 validation error detected: Value '${arn}' at 'certificateArn' failed to satisfy constraint: Member must have length between 20 and 2048`);
    // InvalidArnException: "The requested Amazon Resource Name (ARN) does not refer to an existing resource."
    if (!CERTIFICATE_ARN.test(arn)) throw new SimulatedServiceError('InvalidArnException', `String '${arn}' is not a valid ARN`);
    const certificate = networkOf(account).certificates.get(arn);
    // ResourceNotFoundException: "The specified certificate cannot be found in the caller's account or the caller's account cannot be found."
    if (!certificate) throw new SimulatedServiceError('ResourceNotFoundException', `Could not find certificate ${arn}.`);
    const now = certificateNow(account, certificate);
    return {
      Certificate: {
        CertificateArn: certificate.arn,
        DomainName: certificate.domainName,
        SubjectAlternativeNames: [...certificate.subjectAlternativeNames],
        Status: now.status,
        Type: 'AMAZON_ISSUED',
        KeyAlgorithm: 'RSA_2048',
        InUseBy: [...certificate.inUseBy],
        CreatedAt: new Date(certificate.notBefore),
        // A certificate not yet issued has no validity dates (nor an IssuedAt).
        ...(now.notAfter !== undefined ? { IssuedAt: new Date(now.notBefore!), NotBefore: new Date(now.notBefore!), NotAfter: new Date(now.notAfter) } : {}),
        RenewalEligibility: now.status === 'ISSUED' ? 'ELIGIBLE' : 'INELIGIBLE',
      },
    };
  },
};
