import type { AgentFollowUp } from './agent-task.ts';

/** What runs next: one user turn, made of one or more operator messages. */
export interface NextTurn {
  text: string;
  messages: AgentFollowUp[];
}

type Entry = { kind: 'followup'; message: AgentFollowUp } | { kind: 'collect'; messages: AgentFollowUp[] };

/**
 * Follow-up messages of a running task, held per injection mode (protocol document, section 5):
 * - `steer`: taken before anything else; the runner also ends the current run at the next step
 *   boundary when one is waiting (see hasSteer).
 * - `followup`: each message becomes its own turn, in arrival order, after the current run.
 * - `collect`: every collect message that arrives while a batch is waiting joins that batch; the
 *   batch becomes one turn at the position of its first message.
 * A message id seen before is ignored, so a redelivered message never runs twice.
 */
export class InjectionQueue {
  private readonly seen = new Set<string>();
  private readonly steering: AgentFollowUp[] = [];
  private readonly entries: Entry[] = [];

  /** False when the message id was already taken. */
  add(message: AgentFollowUp): boolean {
    if (this.seen.has(message.id)) return false;
    this.seen.add(message.id);
    if (message.injectionMode === 'steer') {
      this.steering.push(message);
      return true;
    }
    if (message.injectionMode === 'collect') {
      const batch = this.entries.find((entry) => entry.kind === 'collect');
      if (batch?.kind === 'collect') batch.messages.push(message);
      else this.entries.push({ kind: 'collect', messages: [message] });
      return true;
    }
    this.entries.push({ kind: 'followup', message });
    return true;
  }

  hasSteer(): boolean {
    return this.steering.length > 0;
  }

  isEmpty(): boolean {
    return this.steering.length === 0 && this.entries.length === 0;
  }

  /** Removes and returns the next turn, or undefined when nothing waits. */
  takeNext(): NextTurn | undefined {
    if (this.steering.length > 0) return merge(this.steering.splice(0));
    const entry = this.entries.shift();
    if (!entry) return undefined;
    return entry.kind === 'followup' ? merge([entry.message]) : merge(entry.messages);
  }
}

function merge(messages: AgentFollowUp[]): NextTurn {
  return { text: messages.map((message) => message.text).join('\n\n'), messages };
}
