import { newId } from '../core/ids.ts';

/** Id of a gateway -> daemon command (`cmd_...`). */
export const newCommandId = (): string => newId('command');
