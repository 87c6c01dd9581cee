// The wire protocol's types, from the one place they are defined (src/protocol). Type-only: the
// schemas themselves reach the bundle only through the client (client.ts), which checks answers
// with them; nothing of the gateway's code does.
export type * from '../../../src/protocol/index.ts';
