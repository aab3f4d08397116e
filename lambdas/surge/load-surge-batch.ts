/** Load Surge Batch: a surge batch's new hosts, as the batch the provision pipeline sets up, installs and puts in service. */
import type { BatchTaskInput } from '../domain/contract/payloads';
import { describeHosts } from '../shared/polling';
import { surgeBatch } from './surge-hosts';

export const handler = async (event: BatchTaskInput): Promise<BatchTaskInput['batch']> => {
  const batch = await surgeBatch(event);
  return { ...batch, label: describeHosts(batch.hosts) };
};
