/** OpenSSL's verification failures (as Node names them) that mean: the issuing CA is not trusted. */
const UNTRUSTED_ISSUER = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
]);

/** True when a TLS error code says the gateway's certificate comes from a CA this process does not trust. */
export function isUntrustedIssuer(code: unknown): boolean {
  return typeof code === 'string' && UNTRUSTED_ISSUER.has(code);
}
