/**
 * The execution input of the release workflow (`{release}`, or `{releaseFrom: "next"}`,
 * with `component`, `onValidationFailure`, `requireApproval`), checked as Plan Release
 * checks it. The CLI checks its options with the same function, so a bad `--release`
 * exits 2 before anything runs. Free of side effects (no SDK client, no logger).
 */
import { QUEUED_RELEASE, type DeployInput } from './contract/payloads';
import { InvalidInputError } from './contract/errors';
import { formatPath, prototypeKeyPath, showValue, withoutParentMarker } from './environment/input-guards';

/** A release: 1-64 letters, digits, ".", "_", "+" or "-", starting with a letter or digit. */
export const RELEASE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

const INPUT_FIELDS = ['release', 'releaseFrom', 'component', 'onValidationFailure', 'requireApproval'];

/**
 * Prototype keys (`__proto__`, `constructor`, `prototype`; JSON.parse keeps `__proto__` as
 * an own property) are refused anywhere in the input, and every value a message shows back
 * is cut to its start (`showValue`), so a message names the field and stays small whatever
 * the input holds.
 */
export function parseExecutionInput(input: unknown): DeployInput {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidInputError(`execution input must be a JSON object such as {"release": "2.0.0"} (received ${showValue(input)})`);
  }
  input = withoutParentMarker(input);
  const prototypeKey = prototypeKeyPath(input);
  if (prototypeKey) {
    const key = String(prototypeKey[prototypeKey.length - 1]);
    throw new InvalidInputError(
      `execution input field ${formatPath(prototypeKey)}: "${key}" is not allowed as a key (it would reach the object's prototype); ` +
        `allowed: ${INPUT_FIELDS.join(', ')}`,
    );
  }
  const fields = input as Record<string, unknown>;
  const unknownFields = Object.keys(fields).filter((k) => !INPUT_FIELDS.includes(k));
  if (unknownFields.length > 0) {
    const named = unknownFields.slice(0, 5).map((k) => formatPath([k]));
    const more = unknownFields.length > 5 ? ` and ${unknownFields.length - 5} more` : '';
    throw new InvalidInputError(`execution input has unknown field(s) ${named.join(', ')}${more}; allowed: ${INPUT_FIELDS.join(', ')}`);
  }
  const { release, releaseFrom, component = 'application', onValidationFailure, requireApproval } = fields;
  if (releaseFrom !== undefined && (releaseFrom !== QUEUED_RELEASE || release !== undefined)) {
    throw new InvalidInputError(
      `releaseFrom must be "${QUEUED_RELEASE}" and comes instead of release (received releaseFrom ${showValue(releaseFrom)}` +
        `${release === undefined ? '' : ` with release ${showValue(release)}`})`,
    );
  }
  if (releaseFrom === undefined && (typeof release !== 'string' || !RELEASE_PATTERN.test(release))) {
    throw new InvalidInputError(
      `release must be 1-64 letters, digits, ".", "_", "+" or "-", starting with a letter or digit (received ${showValue(release)})`,
    );
  }
  if (component !== 'application' && component !== 'monitoring') {
    throw new InvalidInputError(`component must be "application" or "monitoring" (received ${showValue(component)})`);
  }
  if (onValidationFailure !== undefined && onValidationFailure !== 'rollback' && onValidationFailure !== 'halt') {
    throw new InvalidInputError(`onValidationFailure must be "rollback" or "halt" (received ${showValue(onValidationFailure)})`);
  }
  if (requireApproval !== undefined && typeof requireApproval !== 'boolean') {
    throw new InvalidInputError(`requireApproval must be true or false (received ${showValue(requireApproval)})`);
  }
  return {
    release: releaseFrom === undefined ? (release as string) : QUEUED_RELEASE,
    ...(releaseFrom === undefined ? {} : { releaseFrom: QUEUED_RELEASE }),
    component,
    ...(onValidationFailure === undefined ? {} : { onValidationFailure }),
    ...(requireApproval === undefined ? {} : { requireApproval }),
  };
}

