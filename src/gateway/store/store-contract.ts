import { describe } from 'vitest';
import { bindingsContract } from './contract/bindings-contract.ts';
import { channelsContract } from './contract/channels-contract.ts';
import type { OpenStore } from './contract/contract-harness.ts';
import { devicesContract } from './contract/devices-contract.ts';
import { environmentsContract } from './contract/environments-contract.ts';
import { idempotencyContract } from './contract/idempotency-contract.ts';
import { jobsContract } from './contract/jobs-contract.ts';
import { outboxContract } from './contract/outbox-contract.ts';
import { pagesContract } from './contract/pages-contract.ts';
import { sessionsContract } from './contract/sessions-contract.ts';
import { settingsContract } from './contract/settings-contract.ts';
import { taskLogContract } from './contract/task-log-contract.ts';
import { taskTreeContract } from './contract/task-tree-contract.ts';
import { tasksContract } from './contract/tasks-contract.ts';
import { vibersContract } from './contract/vibers-contract.ts';

export type { OpenedStore, OpenStore } from './contract/contract-harness.ts';

/**
 * The one description of what a GatewayStore does, run against every implementation (SQLite
 * today, PostgreSQL later): each method's observable behaviour, the transaction boundary shared
 * by all concepts (a change and the commands it queues commit together, or neither does), and
 * the change feed (what each commit tells, and that a rollback tells nothing). `open` gives a
 * fresh, empty store whose commits go to the sink it is given.
 */
export function describeStoreContract(name: string, open: OpenStore): void {
  describe(`${name}: the GatewayStore contract`, () => {
    vibersContract(open);
    tasksContract(open);
    taskTreeContract(open);
    taskLogContract(open);
    outboxContract(open);
    idempotencyContract(open);
    sessionsContract(open);
    environmentsContract(open);
    bindingsContract(open);
    devicesContract(open);
    pagesContract(open);
    settingsContract(open);
    jobsContract(open);
    channelsContract(open);
  });
}
