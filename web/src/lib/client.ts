// The one typed client of the gateway (src/client), the same the CLI uses: routes called by name,
// answers checked against the route table, the task stream, board events and terminals. Unlike
// the protocol's types it is code in the bundle; it imports only src/protocol, zod and
// eventsource-parser (src/client/client-imports.test.ts checks), so it runs in a browser as is.
export * from '../../../src/client/index.ts';
