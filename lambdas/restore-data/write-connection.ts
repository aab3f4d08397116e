/**
 * Write Connection: the endpoint the hosts of the environment use, written to its connection
 * parameter (PutParameter, Overwrite; a String, as the definition's reconfigure document
 * reads it). Hosts switch only when they are reconfigured, batch by batch, after this.
 * The same task writes the previous endpoint back when a repoint is undone. Idempotent.
 */
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { ssm } from '../shared/aws/ssm';

export interface WriteConnectionInput {
  readonly parameter: string;
  readonly endpoint: string;
}

export const handler = async (event: WriteConnectionInput): Promise<{ written: string }> => writeConnection(event);

export async function writeConnection(event: WriteConnectionInput): Promise<{ written: string }> {
  await ssm.send(new PutParameterCommand({ Name: event.parameter, Value: event.endpoint, Type: 'String', Overwrite: true }));
  return { written: event.endpoint };
}
