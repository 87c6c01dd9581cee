import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_OPERATOR_TOKEN, TestGateway } from '../../test/support/in-process/test-gateway.ts';
import { createGatewayClient } from './gateway-client.ts';
import { readAllPages } from './pages.ts';

// readAllPages follows a list route's cursors to its end, against a real gateway.

describe('readAllPages', () => {
  let harness: TestGateway;
  const ids: string[] = [];
  beforeAll(async () => {
    harness = await TestGateway.start();
    for (let index = 0; index < 7; index++)
      ids.push((await harness.gateway.registerViber(`viber-${index}`)).id);
  });
  afterAll(async () => {
    await harness.cleanup();
  });

  it('reads every row of a list, page after page, from the start or after a cursor', async () => {
    const client = createGatewayClient({ baseUrl: harness.gateway.url, token: TEST_OPERATOR_TOKEN });
    const cursors: (string | undefined)[] = [];
    const read = await readAllPages(
      (cursor) => {
        cursors.push(cursor);
        return client.call('vibers.list', { query: { limit: 3, cursor } });
      },
      (page) => page.vibers,
    );
    expect(read.map((viber) => viber.id)).toEqual(ids);
    expect(cursors).toHaveLength(3);
    expect(cursors[0]).toBeUndefined();
    const rest = await readAllPages(
      (cursor) => client.call('vibers.list', { query: { limit: 3, cursor } }),
      (page) => page.vibers,
      cursors[1],
    );
    expect(rest.map((viber) => viber.id)).toEqual(ids.slice(3));
  });
});
