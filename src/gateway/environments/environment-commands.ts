import { newId } from '../../core/ids.ts';
import type { BindingRecord, NewCommand } from '../store/index.ts';

/** Hands commands already in the durable outbox to connected vibers (the outbox redelivers the
 * rest on `connected`). */
export type CommandSender = (commands: NewCommand[]) => void;

/**
 * `environment:prepare` / `environment:sync` for the outbox. No secret value is in it: the viber
 * pulls the specification over its token, so the outbox never holds a secret.
 */
export function prepareCommand(
  binding: BindingRecord,
  type: 'environment:prepare' | 'environment:sync',
): NewCommand {
  const commandId = newId('command');
  return {
    commandId,
    viberId: binding.viberId,
    taskId: null,
    type,
    message: JSON.stringify({
      type,
      commandId,
      bindingId: binding.id,
      environmentId: binding.environmentId,
      generation: binding.generation,
    }),
    createdAt: new Date().toISOString(),
  };
}
