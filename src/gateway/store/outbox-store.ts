/** A gateway -> daemon command waiting in the durable outbox until the daemon acknowledges it. */
export interface CommandRecord {
  /** Outbox order: commands go out in the order they were created. */
  seq: number;
  commandId: string;
  viberId: string;
  taskId: string | null;
  type: string;
  /** The wire message, JSON text. */
  message: string;
  createdAt: string;
}

export type NewCommand = Omit<CommandRecord, 'seq'>;

/** What a `decide` callback sees about a task's outstanding outbox commands. */
export interface TaskOutboxView {
  /** Command types still waiting for the daemon's acknowledgement. */
  types: ReadonlySet<string>;
}

/**
 * The durable command outbox (DESIGN.md, rule 4). Commands are queued by the task and environment
 * methods, in the transaction of the change that caused them; they leave only here.
 */
export interface OutboxStore {
  /** The viber's outstanding commands with seq > afterSeq, in creation order. */
  listCommands(viberId: string, afterSeq: number, limit: number): Promise<CommandRecord[]>;
  /** Commands of every viber still waiting for their daemon's acknowledgement (`/metrics`). */
  countCommands(): Promise<number>;
  /** Removes an acknowledged command (a `task:message` ack marks the message delivered). */
  acknowledgeCommand(viberId: string, commandId: string, at: string): Promise<CommandRecord | null>;
}
