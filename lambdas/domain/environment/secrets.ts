/**
 * Secret detection for SSM document parameters, by name and by the shape of the value.
 *
 * By name: a parameter whose name announces a secret (`databasePassword`, `dbPass`,
 * `apiToken`, `collectorApiKey`, ...) must hold a reference the document resolves on the
 * host (an SSM SecureString name or a Secrets Manager ARN), never the value; a reference
 * whose path carries a long random-looking segment is a secret dressed as a path.
 * By value: no parameter may hold credentials in a URL (`scheme://user:pass@host`), and a
 * connection-string parameter (`connectionString`, `databaseUrl`, `dsn`, ...) may not hold
 * a password field or a long random-looking token. Messages never show the value.
 */
import { hasUrlCredentials } from './input-guards';

/** Every secret message says this, so the value is never shown back. */
export const SECRET_VALUE_MESSAGE = 'looks like a secret value';

/** Substrings of a parameter name that announce a secret, whatever the case. */
const SECRET_SUBSTRING = /(secret|password|passwd|passphrase|token|apikey|credential|privatekey|accesskey|signingkey|sessionkey)/i;
/** Words of a camelCase, snake_case or digit-separated name that announce a secret on their own. */
const SECRET_WORDS = new Set(['pass', 'pwd', 'passwd', 'creds', 'cred', 'jwt', 'apikey']);
/** Two consecutive words that together announce a secret (`api` `key`, `private` `key`, ...). */
const SECRET_PAIRS = new Set(['api key', 'private key', 'access key', 'secret key', 'signing key', 'session key', 'client key', 'master key', 'encryption key', 'auth key', 'license key']);
/** Words that make a parameter a connection string. */
const CONNECTION_WORDS = new Set(['connection', 'connections', 'conn', 'connstr', 'connectionstring', 'dsn', 'url', 'uri', 'urls', 'uris', 'jdbc', 'endpoint', 'webhook']);

/** A reference a secret parameter may hold: an SSM parameter name, or a Secrets Manager ARN. */
const SECRET_REFERENCE = /^(\/[A-Za-z0-9_.\-/]{1,1010}|arn:[a-z-]+:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+)$/;

/** The words of a name: `dbPassword` → db, password; `APIKey2` → api, key, 2. */
export function nameWords(name: string): string[] {
  return (name.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+/g) ?? []).map((w) => w.toLowerCase());
}

export function isSecretName(name: string): boolean {
  if (SECRET_SUBSTRING.test(name)) return true;
  const words = nameWords(name);
  if (words.some((w) => SECRET_WORDS.has(w))) return true;
  return words.some((w, i) => i > 0 && SECRET_PAIRS.has(`${words[i - 1]} ${w}`));
}

export function isConnectionName(name: string): boolean {
  return nameWords(name).some((w) => CONNECTION_WORDS.has(w)) || /connection|connstr/i.test(name);
}

/** Shannon entropy of the text in bits per character. */
export function entropyBits(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Fewest characters of a run of letters and digits that can count as a random key. */
export const MIN_SECRET_RUN = 20;
/** Least Shannon entropy (bits per character) of a run that counts as a random key. */
export const MIN_SECRET_ENTROPY = 3.5;

/** Least share of neighbouring characters that switch class (lower, upper, digit) in a random key. */
export const MIN_CLASS_SWITCHES = 0.25;

function charClass(c: string): number {
  return c >= '0' && c <= '9' ? 0 : c >= 'a' && c <= 'z' ? 1 : c >= 'A' && c <= 'Z' ? 2 : 3;
}

/**
 * Whether the text is (or contains) a long random-looking token: a run of at least 20
 * letters, digits, "+" or "=" that mixes letters and digits, has the character variety of
 * a random key (Shannon entropy at least 3.5 bits per character) and switches between
 * lower case, upper case and digits as often as random text does (at least a quarter of
 * neighbouring characters). Words, versions ("release20261125build7") and names are not.
 */
export function hasHighEntropyRun(text: string): boolean {
  for (const run of text.match(/[A-Za-z0-9+=]{20,}/g) ?? []) {
    if (run.length < MIN_SECRET_RUN || !/[A-Za-z]/.test(run) || !/[0-9]/.test(run)) continue;
    let switches = 0;
    for (let i = 1; i < run.length; i += 1) if (charClass(run[i]!) !== charClass(run[i - 1]!)) switches += 1;
    if (switches / (run.length - 1) >= MIN_CLASS_SWITCHES && entropyBits(run) >= MIN_SECRET_ENTROPY) return true;
  }
  return false;
}

/** A password field of a connection string: `Password=...`, `pwd=...`, `?password=...`. */
const PASSWORD_FIELD = /(?:^|[;&?\s])(?:password|passwd|pwd|pass)\s*=/i;

/**
 * Why a parameter's value looks like a secret (a message starting with
 * SECRET_VALUE_MESSAGE), or undefined. Never includes the value.
 */
export function secretValueProblem(name: string, value: string): string | undefined {
  if (hasUrlCredentials(value, hasHighEntropyRun)) {
    return `${SECRET_VALUE_MESSAGE}: a URL with credentials (scheme://user:password@host); keep the credentials in an SSM SecureString or Secrets Manager and let the document resolve them on the host`;
  }
  if (isSecretName(name)) {
    if (!SECRET_REFERENCE.test(value)) {
      return `${SECRET_VALUE_MESSAGE}; pass the name of an SSM SecureString ("/path/name") or a Secrets Manager ARN instead`;
    }
    if (value.startsWith('/') && value.split('/').some((segment) => hasHighEntropyRun(segment))) {
      return `${SECRET_VALUE_MESSAGE}: the parameter path carries a long random-looking segment; pass the name of an SSM SecureString ("/path/name") or a Secrets Manager ARN instead`;
    }
    return undefined;
  }
  if (isConnectionName(name)) {
    if (PASSWORD_FIELD.test(value) || hasHighEntropyRun(value)) {
      return `${SECRET_VALUE_MESSAGE}: a connection string with a password or a random-looking key; pass the name of an SSM SecureString ("/path/name") or a Secrets Manager ARN instead`;
    }
  }
  return undefined;
}
