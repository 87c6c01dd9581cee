import { OpenViberError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type {
  BindingLogsResponse,
  BindingView,
  CreateBindingBody,
  CreateTaskBody,
  DaemonMessage,
} from '../../protocol/index.ts';
import type { BindingRecord, EnvironmentsStore, FullEnvironment, VibersStore } from '../store/index.ts';
import type { ViberConnection } from '../vibers/viber-connection.ts';
import { type CommandSender, prepareCommand } from './environment-commands.ts';
import { RedactorCache } from './environment-secrets.ts';
import type { EnvironmentService } from './environment-service.ts';
import { toBindingView, toLogLine } from './environment-views.ts';
import type { SecretBox } from './secret-box.ts';

/** Log lines kept per binding (older ones are dropped). */
const LOG_LINES_KEPT = 5000;
const MAX_LOG_PAGE = 2000;

type StatusMessage = Extract<DaemonMessage, { type: 'environment:status' }>;
type LogMessage = Extract<DaemonMessage, { type: 'environment:log' }>;

export interface BindingServiceDeps {
  store: EnvironmentsStore & Pick<VibersStore, 'getViber'>;
  environments: EnvironmentService;
  box: SecretBox;
  send: CommandSender;
  isOnline(viberId: string): boolean;
  log: Logger;
}

/** Map to Viber, prepare, the viber's reports, and which viber runs a task in an environment. */
export class BindingService {
  readonly #deps: BindingServiceDeps;
  readonly #redactors: RedactorCache;

  constructor(deps: BindingServiceDeps) {
    this.#deps = deps;
    this.#redactors = new RedactorCache(deps.box);
  }

  /** Creates the binding of (environment, viber), or prepares an existing one again. */
  async map(idOrName: string, body: CreateBindingBody): Promise<BindingView> {
    const full = await this.#deps.environments.require(idOrName);
    const viber = await this.#deps.store.getViber(body.viberId);
    if (!viber || viber.revokedAt)
      throw new OpenViberError('not_found', `viber ${body.viberId} not found`, 404);
    const strategy = body.strategy ?? (full.environment.type === 'local' ? 'existing' : 'clone');
    const path = strategy === 'existing' ? (body.path ?? full.environment.localPath) : null;
    if (strategy === 'existing' && !path) {
      throw new OpenViberError(
        'validation_failed',
        'path: required for the existing strategy (the path on the viber)',
        400,
      );
    }
    if (strategy === 'clone' && full.environment.type === 'local') {
      throw new OpenViberError(
        'validation_failed',
        'strategy: a local environment uses an existing path, not clone',
        400,
      );
    }
    const queued: Array<ReturnType<typeof prepareCommand>> = [];
    const binding = await this.#deps.store.upsertBinding(full.environment.id, viber.id, (existing) => {
      const now = new Date().toISOString();
      const next: BindingRecord = {
        id: existing?.id ?? newId('binding'),
        environmentId: full.environment.id,
        viberId: viber.id,
        strategy,
        path,
        resolvedWorkingDir: existing?.resolvedWorkingDir ?? null,
        status: 'pending',
        generation: (existing?.generation ?? 0) + 1,
        lastPrepareAt: existing?.lastPrepareAt ?? null,
        lastError: null,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      };
      const command = prepareCommand(next, 'environment:prepare');
      queued.push(command);
      return { binding: next, command };
    });
    this.#deps.send(queued);
    this.#deps.log.info(
      {
        environmentId: binding.environmentId,
        bindingId: binding.id,
        viberId: viber.id,
        online: this.#deps.isOnline(viber.id),
      },
      'environment mapped; prepare queued',
    );
    return toBindingView(binding);
  }

  /** Prepares a binding again (after an error, or to pick up changes on the remote). */
  async prepare(idOrName: string, bindingId: string): Promise<BindingView> {
    const binding = await this.#requireBinding(idOrName, bindingId);
    return this.map(binding.environmentId, {
      viberId: binding.viberId,
      strategy: binding.strategy,
      ...(binding.path ? { path: binding.path } : {}),
    });
  }

  async list(idOrName: string): Promise<BindingView[]> {
    return (await this.#deps.environments.require(idOrName)).bindings.map(toBindingView);
  }

  async logs(
    idOrName: string,
    bindingId: string,
    after: number,
    limit: number,
  ): Promise<BindingLogsResponse> {
    const binding = await this.#requireBinding(idOrName, bindingId);
    const lines = await this.#deps.store.readBindingLogs(binding.id, after, Math.min(limit, MAX_LOG_PAGE));
    return { binding: toBindingView(binding), lines: lines.map(toLogLine) };
  }

  /** POST /api/tasks with options.environmentId: the task goes to a viber where it is ready. */
  async resolveTask(body: CreateTaskBody): Promise<CreateTaskBody> {
    const requested = body.options?.environmentId;
    if (!requested) return body;
    const full = await this.#deps.environments.require(requested);
    const name = full.environment.name;
    if (full.bindings.length === 0) {
      throw new OpenViberError(
        'conflict',
        `environment ${name} is not mapped to any viber: map it first`,
        409,
      );
    }
    const candidates = full.bindings.filter((binding) => !body.viberId || binding.viberId === body.viberId);
    if (candidates.length === 0) {
      throw new OpenViberError('conflict', `environment ${name} is not mapped to viber ${body.viberId}`, 409);
    }
    const ready = candidates.filter((binding) => binding.status === 'ready');
    if (ready.length === 0) {
      const states = candidates.map((binding) => `${binding.viberId}: ${binding.status}`).join(', ');
      throw new OpenViberError(
        'conflict',
        `environment ${name} is not ready on any viber yet (${states})`,
        409,
      );
    }
    const chosen = ready.find((binding) => this.#deps.isOnline(binding.viberId)) ?? ready[0]!;
    return {
      ...body,
      viberId: chosen.viberId,
      options: { ...body.options, environmentId: full.environment.id },
    };
  }

  /** `environment:status` from a viber: applied when it is about the binding's current generation. */
  async handleStatus(connection: ViberConnection, message: StatusMessage): Promise<void> {
    const full = await this.#ownedEnvironment(connection, message.bindingId);
    if (!full) return;
    const redactor = this.#redactors.for(full);
    const updated = await this.#deps.store.updateBinding(message.bindingId, (binding) => {
      if (message.generation !== binding.generation) return null;
      const now = new Date().toISOString();
      const next: BindingRecord = { ...binding, updatedAt: now };
      if (message.status === 'preparing')
        Object.assign(next, { status: 'preparing', lastPrepareAt: now, lastError: null });
      if (message.status === 'ready') {
        Object.assign(next, {
          status: 'ready',
          lastError: null,
          resolvedWorkingDir: message.resolvedWorkingDir ?? null,
        });
      }
      if (message.status === 'error') {
        Object.assign(next, {
          status: 'error',
          lastError: redactor.redact(message.error ?? 'preparation failed'),
        });
      }
      return { binding: next };
    });
    connection.log.info(
      { bindingId: message.bindingId, generation: message.generation, status: updated?.status },
      `environment binding ${message.status}`,
    );
  }

  async handleLog(connection: ViberConnection, message: LogMessage): Promise<void> {
    const full = await this.#ownedEnvironment(connection, message.bindingId);
    if (!full) return;
    await this.#deps.store.appendBindingLog(
      {
        bindingId: message.bindingId,
        generation: message.generation,
        stream: message.stream,
        line: this.#redactors.for(full).redact(message.line),
        at: new Date().toISOString(),
      },
      LOG_LINES_KEPT,
    );
  }

  async #ownedEnvironment(connection: ViberConnection, bindingId: string): Promise<FullEnvironment | null> {
    const binding = await this.#deps.store.getBinding(bindingId);
    if (!binding || binding.viberId !== connection.viberId) {
      connection.send({
        type: 'error',
        code: binding ? 'forbidden' : 'not_found',
        message: binding ? `binding ${bindingId} belongs to another viber` : `binding ${bindingId} not found`,
      });
      return null;
    }
    return this.#deps.store.getEnvironment(binding.environmentId);
  }

  async #requireBinding(idOrName: string, bindingId: string): Promise<BindingRecord> {
    const full = await this.#deps.environments.require(idOrName);
    const binding = full.bindings.find(
      (candidate) => candidate.id === bindingId || candidate.viberId === bindingId,
    );
    if (!binding)
      throw new OpenViberError('not_found', `binding ${bindingId} of environment ${idOrName} not found`, 404);
    return binding;
  }
}
