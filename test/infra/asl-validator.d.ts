// asl-validator v4 ships no type declarations; this is the shape of its CommonJS export
// (`module.exports = function validator(definition, opts)` in dist/src/validator.js).
declare module 'asl-validator' {
  export interface AslValidatorOptions {
    /** Validate JSONPath expressions in InputPath, OutputPath, ResultPath, ... @default true */
    readonly checkPaths: boolean;
    /** Validate that Task `Resource` values are ARNs. @default true */
    readonly checkArn: boolean;
  }

  export interface AslValidationError {
    readonly 'Error code': string;
    readonly Message: string;
  }

  export interface AslValidationResult {
    readonly isValid: boolean;
    readonly errors: readonly AslValidationError[];
    errorsText(separator?: string): string;
  }

  /** Note: adds `QueryLanguage` to every state of the definition it is given. */
  export default function aslValidator(definition: unknown, options?: AslValidatorOptions): AslValidationResult;
}
