import { OpenViberError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type {
  CreateEnvironmentBody,
  EnvironmentValidationResponse,
  EnvironmentView,
  UpdateEnvironmentBody,
} from '../../protocol/index.ts';
import type {
  EnvironmentPageKey,
  EnvironmentQuery,
  EnvironmentRecord,
  EnvironmentsStore,
  FullEnvironment,
  NewCommand,
  Page,
  SecretRecord,
  TasksStore,
} from '../store/index.ts';
import { type CommandSender, prepareCommand } from './environment-commands.ts';
import {
  assertFields,
  assertScriptSyntax,
  checkRepository,
  checkScriptSyntax,
  fieldProblems,
} from './environment-validation.ts';
import { repoParts, toEnvironmentView } from './environment-views.ts';
import type { SecretBox } from './secret-box.ts';

/** Fields whose change means the viber must prepare the environment again. */
const SPEC_FIELDS = [
  'type',
  'repoUrl',
  'repoBranch',
  'localPath',
  'containerImage',
  'workingDir',
  'setupScript',
  'setupTimeoutSeconds',
  'networkAccess',
  'persistVolume',
] as const satisfies ReadonlyArray<keyof EnvironmentRecord>;

export interface EnvironmentServiceDeps {
  store: EnvironmentsStore & Pick<TasksStore, 'countLiveTasksOfEnvironment'>;
  box: SecretBox;
  send: CommandSender;
  log: Logger;
}

/** Create, read, update, delete and dry-run validate environments (section 6.1). */
export class EnvironmentService {
  readonly #deps: EnvironmentServiceDeps;

  constructor(deps: EnvironmentServiceDeps) {
    this.#deps = deps;
  }

  async create(body: CreateEnvironmentBody): Promise<EnvironmentView> {
    assertFields(
      {
        type: body.type,
        repoUrl: body.repoUrl ?? null,
        localPath: body.localPath ?? null,
        mcpServers: body.mcpServers,
      },
      Object.keys(body.variables),
      Object.keys(body.secrets),
    );
    await assertScriptSyntax(body.setupScript);
    const now = new Date().toISOString();
    const id = newId('environment');
    const environment: EnvironmentRecord = {
      id,
      userId: null,
      name: body.name,
      description: body.description,
      type: body.type,
      repoUrl: body.repoUrl ?? null,
      ...repoParts(body.repoUrl ?? null),
      repoBranch: body.repoBranch ?? null,
      localPath: body.localPath ?? null,
      containerImage: body.containerImage ?? null,
      workingDir: emptyToNull(body.workingDir),
      setupScript: emptyToNull(body.setupScript),
      setupTimeoutSeconds: body.setupTimeoutSeconds,
      networkAccess: body.networkAccess,
      persistVolume: body.persistVolume,
      metadata: body.metadata,
      mcpServers: body.mcpServers,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    await this.#assertOneMasterKey(null, new Set(), Object.keys(body.secrets));
    const secrets = Object.entries(body.secrets).map(([key, value]) => this.#seal(id, key, value, now));
    const variables = Object.entries(body.variables).map(([key, value]) => ({ key, value }));
    await this.#deps.store.createEnvironment({ environment, variables, secrets });
    this.#deps.log.info(
      { environmentId: id, name: body.name, secrets: secrets.length },
      'environment created',
    );
    return this.view(id);
  }

  /** A page of environments by name (EnvironmentsStore.environmentPage), as views. */
  async page(query: EnvironmentQuery): Promise<Page<EnvironmentView, EnvironmentPageKey>> {
    const page = await this.#deps.store.environmentPage(query);
    return { items: page.items.map((full) => toEnvironmentView(full, this.#deps.box)), next: page.next };
  }

  async view(idOrName: string): Promise<EnvironmentView> {
    return toEnvironmentView(await this.require(idOrName), this.#deps.box);
  }

  /** By id, else by name: the CLI and board take either. */
  async require(idOrName: string): Promise<FullEnvironment> {
    const full =
      (await this.#deps.store.getEnvironment(idOrName)) ??
      (await this.#deps.store.findEnvironmentByName(idOrName));
    if (!full) throw new OpenViberError('not_found', `environment ${idOrName} not found`, 404);
    return full;
  }

  async update(idOrName: string, body: UpdateEnvironmentBody): Promise<EnvironmentView> {
    const { id } = (await this.require(idOrName)).environment;
    const merged = await this.require(id);
    await assertScriptSyntax(
      body.setupScript === undefined ? merged.environment.setupScript : body.setupScript,
    );
    const now = new Date().toISOString();
    const written = Object.entries(body.secrets ?? {});
    await this.#assertOneMasterKey(
      id,
      new Set(written.map(([key]) => key)),
      written.filter(([, value]) => value !== null).map(([key]) => key),
    );
    const setSecrets: SecretRecord[] = [];
    const deleteSecrets: string[] = [];
    for (const [key, value] of written) {
      if (value === null) deleteSecrets.push(key);
      else setSecrets.push(this.#seal(id, key, value, now));
    }
    const queued: NewCommand[] = [];
    const updated = await this.#deps.store.updateEnvironment(id, (current) => {
      const environment = applyUpdate(current.environment, body, now);
      const variables = body.variables
        ? Object.entries(body.variables).map(([key, value]) => ({ key, value }))
        : current.variables;
      const secretKeys = new Set(current.secrets.map((secret) => secret.key));
      for (const key of deleteSecrets) secretKeys.delete(key);
      for (const secret of setSecrets) secretKeys.add(secret.key);
      assertFields(
        environment,
        variables.map((variable) => variable.key),
        [...secretKeys],
      );
      const changed =
        SPEC_FIELDS.some((field) => environment[field] !== current.environment[field]) ||
        body.variables !== undefined ||
        setSecrets.length + deleteSecrets.length > 0;
      if (!changed) return { environment };
      // The viber prepares again from the new version; a ready binding is stale until then.
      const bindings = current.bindings.map((binding) => ({
        ...binding,
        generation: binding.generation + 1,
        status: binding.status === 'ready' ? ('stale' as const) : ('pending' as const),
        updatedAt: now,
      }));
      const commands = bindings.map((binding) => prepareCommand(binding, 'environment:sync'));
      queued.push(...commands);
      return { environment, variables, setSecrets, deleteSecrets, bindings, commands };
    });
    if (!updated) throw new OpenViberError('not_found', `environment ${idOrName} not found`, 404);
    this.#deps.send(queued);
    this.#deps.log.info(
      { environmentId: id, version: updated.environment.version, synced: queued.length },
      'environment updated',
    );
    return toEnvironmentView(updated, this.#deps.box);
  }

  async delete(idOrName: string): Promise<{ id: string; deletedAt: string }> {
    const { id } = (await this.require(idOrName)).environment;
    const live = await this.#deps.store.countLiveTasksOfEnvironment(id);
    if (live > 0) {
      throw new OpenViberError(
        'conflict',
        `environment ${idOrName} has ${live} unfinished tasks; stop them first`,
        409,
      );
    }
    await this.#deps.store.deleteEnvironment(id);
    this.#deps.log.info({ environmentId: id }, 'environment deleted');
    return { id, deletedAt: new Date().toISOString() };
  }

  /** The form's dry run: fields, `bash -n`, and the repository reached from the gateway. */
  async validate(body: CreateEnvironmentBody): Promise<EnvironmentValidationResponse> {
    const fields = {
      type: body.type,
      repoUrl: body.repoUrl ?? null,
      localPath: body.localPath ?? null,
      mcpServers: body.mcpServers,
    };
    const problems = fieldProblems(fields, Object.keys(body.variables), Object.keys(body.secrets));
    const [syntax, repository] = await Promise.all([
      checkScriptSyntax(body.setupScript),
      body.type === 'github'
        ? checkRepository(body.repoUrl ?? null, body.repoBranch ?? null)
        : Promise.resolve({
            name: 'repository' as const,
            status: 'skipped' as const,
            message: `a ${body.type} environment has no remote`,
          }),
    ]);
    const checks = [
      problems.length > 0
        ? { name: 'fields' as const, status: 'failed' as const, message: problems.join('; ') }
        : { name: 'fields' as const, status: 'ok' as const, message: 'all fields are valid' },
      syntax,
      repository,
    ];
    return { ok: checks.every((check) => check.status !== 'failed'), checks };
  }

  /**
   * Refuses to write secret values while the store holds secrets sealed under another master key
   * than the gateway's (a key that was replaced, mistyped or not restored): the new values would
   * be sealed under this key and become unreadable once the right one is back, leaving the
   * environment half-usable under either key. The store only ever holds secrets under one key;
   * a write that replaces or deletes every secret of the other key (`touched`) is therefore
   * allowed: that is how an operator who lost the old key sets the secrets again. A missing key is
   * refused by SecretBox.encrypt with its own reason. The key cannot change while the gateway
   * runs, so secrets of another key can only disappear meanwhile: checking before the write is
   * enough.
   */
  async #assertOneMasterKey(
    environmentId: string | null,
    touched: ReadonlySet<string>,
    setting: readonly string[],
  ): Promise<void> {
    const keyId = this.#deps.box.keyId;
    if (setting.length === 0 || keyId === null) return;
    const foreign = (await this.#deps.store.listEnvironments()).flatMap((full) =>
      full.secrets
        .filter((secret) => secret.kmsKeyId !== keyId)
        .filter((secret) => full.environment.id !== environmentId || !touched.has(secret.key))
        .map((secret) => ({ name: `${full.environment.name}/${secret.key}`, keyId: secret.kmsKeyId })),
    );
    if (foreign.length === 0) return;
    const names = foreign.slice(0, 5).map((secret) => secret.name);
    if (foreign.length > names.length) names.push(`and ${foreign.length - names.length} more`);
    const one = foreign.length === 1;
    throw new OpenViberError(
      'conflict',
      `cannot store secret ${setting.join(', ')}: ${foreign.length} stored secret${one ? '' : 's'} (${names.join(', ')}) ${one ? 'was' : 'were'} encrypted with master key ${[...new Set(foreign.map((secret) => secret.keyId))].join(', ')}, but the gateway has ${keyId}; restore that key (OPENVIBER_MASTER_KEY or gateway/master-key) and restart the gateway, or replace or delete those secrets first`,
      409,
    );
  }

  #seal(environmentId: string, key: string, value: string, now: string): SecretRecord {
    return { key, ...this.#deps.box.encrypt(environmentId, key, value), createdAt: now, updatedAt: now };
  }
}

function applyUpdate(
  current: EnvironmentRecord,
  body: UpdateEnvironmentBody,
  now: string,
): EnvironmentRecord {
  const pick = <T>(given: T | null | undefined, old: T | null): T | null =>
    given === undefined ? old : given;
  const repoUrl = pick(body.repoUrl, current.repoUrl);
  return {
    ...current,
    name: body.name ?? current.name,
    description: body.description ?? current.description,
    type: body.type ?? current.type,
    repoUrl,
    ...repoParts(repoUrl),
    repoBranch: pick(body.repoBranch, current.repoBranch),
    localPath: pick(body.localPath, current.localPath),
    containerImage: pick(body.containerImage, current.containerImage),
    workingDir: emptyToNull(pick(body.workingDir, current.workingDir)),
    setupScript: emptyToNull(pick(body.setupScript, current.setupScript)),
    setupTimeoutSeconds: body.setupTimeoutSeconds ?? current.setupTimeoutSeconds,
    networkAccess: body.networkAccess ?? current.networkAccess,
    persistVolume: body.persistVolume ?? current.persistVolume,
    metadata: body.metadata ?? current.metadata,
    // Tasks read an environment's MCP servers when they start: no preparation needed (not a SPEC_FIELD).
    mcpServers: body.mcpServers ?? current.mcpServers,
    version: current.version + 1,
    updatedAt: now,
  };
}

const emptyToNull = (value: string | null | undefined): string | null => (value?.trim() ? value : null);
