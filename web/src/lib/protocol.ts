// The wire protocol's types, from the one place they are defined (src/protocol). Type-only:
// nothing of the gateway's code lands in the board's bundle.
export type * from '../../../src/protocol/index.ts';
