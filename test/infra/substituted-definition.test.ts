/**
 * The state machines' definitions as the stack writes them: literal JSON text in an S3 file asset
 * (`DefinitionS3Location`) whose references are `${key}` placeholders filled by the template's
 * `DefinitionSubstitutions` (lib/constructs/substituted-definition.ts), and read back as
 * CloudFormation's handler builds the definition Step Functions receives (lib/simulator/definition.ts `definitionText`).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { substitute } from '../../lib/constructs/substituted-definition';
import { definitionText, MAX_DEFINITION_FILE_BYTES } from '../../lib/simulator/definition';
import { sharedCanonical, type CfnResource } from './support';

const PLACEHOLDER = /\$\{([^}]*)\}/g;
const asText = (value: unknown) => String(value);

describe('the canonical template', () => {
  const machines = (): Array<[string, CfnResource]> => Object.entries(sharedCanonical().json.Resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
  /** The text of the definition file the state machine names. */
  const fileText = (machine: CfnResource): string => {
    const key = (machine.Properties?.DefinitionS3Location as { Key: string }).Key;
    const text = sharedCanonical().definitions.get(key);
    if (text === undefined) throw new Error(`no definition file ${key}`);
    return text;
  };

  it('keeps each of the eight definitions in S3 as literal JSON text with no null lost: no intrinsic function, no Definition object or string in the template', () => {
    expect(machines()).toHaveLength(8);
    for (const [id, machine] of machines()) {
      expect(machine.Properties?.Definition, id).toBeUndefined();
      expect(machine.Properties?.DefinitionString, id).toBeUndefined();
      // In the bootstrap bucket, as the Lambda code (the account and region are the stack's, TEST_ENV).
      expect((machine.Properties?.DefinitionS3Location as { Bucket: unknown }).Bucket, id).toBe('cdk-hnb659fds-assets-123456789012-eu-west-1');
      // The nulls a Definition object could not carry ("ResultPath": null) are in the text.
      expect(JSON.parse(fileText(machine)), id).toBeTypeOf('object');
    }
    expect(machines().some(([, m]) => fileText(m).includes('"ResultPath":null'))).toBe(true);
  });

  it('names each file by the SHA-256 of its text, so a changed definition is a new object', () => {
    for (const [id, machine] of machines()) {
      const key = (machine.Properties?.DefinitionS3Location as { Key: string }).Key;
      expect(key, id).toBe(`${createHash('sha256').update(fileText(machine)).digest('hex')}.json`);
    }
  });

  it('substitutes every placeholder of every definition, and has no substitution that no placeholder uses', () => {
    for (const [id, machine] of machines()) {
      const placeholders = new Set([...fileText(machine).matchAll(PLACEHOLDER)].map((m) => m[1]!));
      const keys = Object.keys((machine.Properties?.DefinitionSubstitutions ?? {}) as Record<string, unknown>);

      expect(placeholders.size, id).toBeGreaterThan(0);
      expect([...placeholders].sort(), id).toEqual([...keys].sort());
    }
  });

  it('writes each reference once per state machine: no two substitutions are the same intrinsic', () => {
    for (const [id, machine] of machines()) {
      const values = Object.values((machine.Properties?.DefinitionSubstitutions ?? {}) as Record<string, unknown>).map((v) => JSON.stringify(v));
      expect(new Set(values).size, id).toBe(values.length);
    }
  });
});

describe('substitute', () => {
  it('keeps the text of a joined string and puts a placeholder for each reference, the same key for the same reference', () => {
    const partition = { Ref: 'AWS::Partition' };
    const fn = { 'Fn::GetAtt': ['PlanFunction', 'Arn'] };
    const { definition, substitutions } = substitute({
      StartAt: 'Plan',
      States: {
        Plan: { Type: 'Task', Resource: fn, Next: 'Notify' },
        Notify: { Type: 'Task', Resource: { 'Fn::Join': ['', ['arn:', partition, ':states:::events:putEvents']] }, Parameters: { Count: 3, Flag: true, Empty: {} }, Next: 'Again' },
        Again: { Type: 'Task', Resource: { 'Fn::Join': ['', ['arn:', partition, ':states:::sns:publish']] }, Retry: [], End: true },
      },
    });

    expect(definition).toEqual({
      StartAt: 'Plan',
      States: {
        Plan: { Type: 'Task', Resource: '${S0}', Next: 'Notify' },
        Notify: { Type: 'Task', Resource: 'arn:${S1}:states:::events:putEvents', Parameters: { Count: 3, Flag: true, Empty: {} }, Next: 'Again' },
        Again: { Type: 'Task', Resource: 'arn:${S1}:states:::sns:publish', Retry: [], End: true },
      },
    });
    expect(substitutions).toEqual({ S0: fn, S1: partition });
  });

  it('makes a join with a separator one substitution, and flattens a join inside a join', () => {
    const list = { 'Fn::Join': [',', ['a', { Ref: 'Topic' }]] };
    const { definition, substitutions } = substitute({ A: { 'Fn::Join': ['', ['x-', { 'Fn::Join': ['', ['y-', { Ref: 'Bus' }]] }, list]] } });

    expect(definition).toEqual({ A: 'x-y-${S0}${S1}' });
    expect(substitutions).toEqual({ S0: { Ref: 'Bus' }, S1: list });
  });

  it('refuses an intrinsic that returns a list, which cannot stand between the quotes of a JSON string', () => {
    expect(() => substitute({ States: { A: { Items: { 'Fn::Split': [',', 'a,b'] } } } })).toThrow(/\$\.States\.A\.Items: a reference that is not a string/);
  });

  it('refuses a definition whose own text holds one of its placeholders, which CloudFormation would replace too', () => {
    expect(() => substitute({ A: { Ref: 'Table' }, B: 'literally ${S0}' })).toThrow(/holds \$\{S0\}/);
  });
});

describe('definitionText, as CloudFormation builds the definition', () => {
  it('writes a Definition with its keys sorted, at every depth, and fills its placeholders', () => {
    const text = definitionText({ Definition: { States: { B: { Type: 'Pass', End: true }, A: { Type: 'Task', Resource: '${S0}' } }, StartAt: 'A' } }, [['S0', 'arn:aws:lambda:f']], asText);

    expect(text).toBe('{"StartAt":"A","States":{"A":{"Resource":"arn:aws:lambda:f","Type":"Task"},"B":{"End":true,"Type":"Pass"}}}');
  });

  it('fills a DefinitionString as it is, and leaves a placeholder it has no substitution for', () => {
    expect(definitionText({ DefinitionString: '{"b":"${S0}","a":"${other}"}' }, [['S0', 'x']], asText)).toBe('{"b":"x","a":"${other}"}');
  });

  it('replaces a placeholder that a value brings in, and fails, as the handler does, when values bring each other in endlessly', () => {
    expect(definitionText({ DefinitionString: '"${A}"' }, [['A', '<${B}>'], ['B', 'b']], asText)).toBe('"<b>"');
    expect(() => definitionText({ DefinitionString: '"${A}"' }, [['A', '${B}'], ['B', '${A}']], asText)).toThrow(/endlessly/);
  });

  it("refuses a Definition with a null in it, as CloudFormation refuses the template ('null' values are not allowed)", () => {
    expect(() => definitionText({ Definition: { States: { A: { Type: 'Task', ResultPath: null } } } }, [], asText)).toThrow(/'null' values are not allowed in templates/);
  });

  it('reads a DefinitionS3Location from the assembly\'s definition files by its Key, and fills its placeholders', () => {
    const location = { Bucket: { 'Fn::Sub': 'cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}' }, Key: 'abc.json' };
    expect(definitionText({ DefinitionS3Location: location }, [['S0', 'x']], asText, new Map([['abc.json', '{"a":"${S0}"}']]))).toBe('{"a":"x"}');
    // GetObject of a key nobody published fails the stack's creation.
    expect(() => definitionText({ DefinitionS3Location: location }, [], asText, new Map())).toThrow(/abc\.json is not among the assembly's definition files/);
  });

  it('refuses a definition file over 1,048,576 bytes, as the resource handler does, whatever it would be substituted to', () => {
    const location = { Bucket: 'b', Key: 'big.json' };
    const fits = `{"a":"${'x'.repeat(MAX_DEFINITION_FILE_BYTES - 8)}"}`;
    expect(Buffer.byteLength(fits)).toBe(MAX_DEFINITION_FILE_BYTES);
    expect(definitionText({ DefinitionS3Location: location }, [], asText, new Map([['big.json', fits]]))).toBe(fits);
    const over = `{"a":"${'x'.repeat(MAX_DEFINITION_FILE_BYTES - 7)}"}`;
    expect(() => definitionText({ DefinitionS3Location: location }, [], asText, new Map([['big.json', over]]))).toThrow(/State Machine definition file cannot exceed 1MB\. \(big\.json is 1,048,577 bytes\)/);
  });

  it('refuses a resource with no definition, or more than one', () => {
    expect(() => definitionText({}, [], asText)).toThrow(/exactly one of Definition, DefinitionString and DefinitionS3Location; this one has none/);
    expect(() => definitionText({ Definition: {}, DefinitionString: '{}' }, [], asText)).toThrow(/this one has Definition, DefinitionString/);
  });
});
