/**
 * DynamoDB's item API in the simulated account, for tables keyed by a string attribute `pk`
 * (the plan table).
 */
import type { Operation } from './common';
import { validation } from '../aws-errors';

/** DynamoDB's item API, for tables keyed by a string attribute `pk` (the plan table). */
const MAX_ITEM_BYTES = 400 * 1024;

export const dynamodb: Record<string, Operation> = {
  BatchWriteItem(account, input) {
    const requests = Object.entries(input.RequestItems ?? {}) as Array<[string, Array<{ PutRequest?: { Item: Record<string, Record<string, string>> } }>]>;
    const count = requests.reduce((n, [, r]) => n + r.length, 0);
    if (count < 1 || count > 25) throw validation(`Too many items requested for the BatchWriteItem call (received ${count}, at most 25)`);
    for (const [table, writes] of requests) {
      const items = account.table(table);
      for (const write of writes) {
        const item = write.PutRequest?.Item;
        if (!item?.pk?.S) throw validation('the simulator supports PutRequest items keyed by pk (S)');
        if (Buffer.byteLength(JSON.stringify(item)) > MAX_ITEM_BYTES) throw validation('Item size has exceeded the maximum allowed size');
        items.set(item.pk.S, structuredClone(item));
      }
    }
    return { UnprocessedItems: {} };
  },
  GetItem(account, input) {
    const item = account.table(input.TableName).get(input.Key?.pk?.S);
    return item ? { Item: structuredClone(item) } : {};
  },
  BatchGetItem(account, input) {
    const requests = Object.entries(input.RequestItems ?? {}) as Array<[string, { Keys: Array<{ pk: { S: string } }> }]>;
    const count = requests.reduce((n, [, r]) => n + r.Keys.length, 0);
    if (count < 1 || count > 100) throw validation(`Too many items requested for the BatchGetItem call (received ${count}, at most 100)`);
    const responses: Record<string, unknown[]> = {};
    for (const [table, { Keys }] of requests) {
      const items = account.table(table);
      responses[table] = Keys.map((k) => items.get(k.pk.S)).filter(Boolean).map((item) => structuredClone(item));
    }
    return { Responses: responses, UnprocessedKeys: {} };
  },
};
