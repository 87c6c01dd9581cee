import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { styleText } from 'node:util';
import type { Command } from 'commander';
import type { GatewayClient, RouteInput } from '../../client/index.ts';
import { resolveHome } from '../../core/home.ts';
import {
  BindingStrategySchema,
  type BindingView,
  EnvironmentTypeSchema,
  type EnvironmentView,
  EnvVarNameSchema,
} from '../../protocol/index.ts';
import { CliError, checkedOption, parseIntegerOption } from '../cli-error.ts';
import { addClientOptions, type ClientFlags, clientFromFlags } from '../gateway-client.ts';
import { addPageOptions, type PageFlags, printRows, readListPages } from '../list-pages.ts';
import { bindingLine, describeEnvironment, environmentLine } from './env-lines.ts';

type CreateBody = RouteInput<'environments.create'>['body'];
type UpdateBody = RouteInput<'environments.update'>['body'];
/** The fields both `env create` and `env set` take from the same options. */
type SpecFields = Partial<Omit<CreateBody, 'name' | 'variables' | 'secrets' | 'metadata'>>;

interface SpecFlags extends ClientFlags {
  description?: string;
  type?: string;
  repo?: string;
  branch?: string;
  path?: string;
  image?: string;
  workdir?: string;
  setup?: string;
  setupFile?: string;
  setupTimeout?: number;
  network?: boolean;
  persist?: boolean;
  var: string[];
  secret: string[];
  unsetVar: string[];
  unsetSecret: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

function print(flags: ClientFlags, value: unknown, human: () => string): void {
  process.stdout.write(flags.json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

/** `KEY=VALUE`, or for a secret just `KEY`: the value then comes from this shell's variable, so it
 * never appears in the command line (shell history, process list). */
function parseAssignment(option: string, text: string, fromEnv: boolean): [string, string] {
  const index = text.indexOf('=');
  const key = index === -1 ? text : text.slice(0, index);
  checkedOption(`${option} ${key}`, EnvVarNameSchema, key);
  if (index !== -1) return [key, text.slice(index + 1)];
  const value = fromEnv ? process.env[key] : undefined;
  if (value === undefined)
    throw new CliError(`${option} ${key}: give KEY=VALUE${fromEnv ? `, or export ${key} first` : ''}`, 2);
  return [key, value];
}

function specBody(flags: SpecFlags): SpecFields {
  if (flags.setup !== undefined && flags.setupFile)
    throw new CliError('give --setup or --setup-file, not both', 2);
  let setupScript = flags.setup;
  if (flags.setupFile) {
    try {
      setupScript = readFileSync(flags.setupFile, 'utf8');
    } catch (error) {
      throw new CliError(`--setup-file: cannot read ${flags.setupFile}: ${(error as Error).message}`, 2);
    }
  }
  // Options not given stay undefined, which JSON leaves out: `env set` changes exactly the rest.
  return {
    description: flags.description,
    type: flags.type === undefined ? undefined : checkedOption('--type', EnvironmentTypeSchema, flags.type),
    repoUrl: flags.repo,
    repoBranch: flags.branch,
    localPath: flags.path,
    containerImage: flags.image,
    workingDir: flags.workdir,
    setupScript,
    setupTimeoutSeconds: flags.setupTimeout,
    networkAccess: flags.network === false ? false : undefined,
    persistVolume: flags.persist === false ? false : undefined,
  };
}

function addSpecOptions(command: Command): Command {
  return command
    .option('--description <text>', 'what the environment is for')
    .option('--type <type>', 'github (any git remote), local (a path on the viber) or manual')
    .option('--repo <url>', 'git remote: https://, ssh://, file://, user@host:path or a bare repository path')
    .option('--branch <name>', 'branch to check out')
    .option('--path <path>', 'local path on the viber (type local)')
    .option('--image <image>', 'container image (used when the viber has docker or podman)')
    .option('--workdir <dir>', 'working directory inside the code, relative')
    .option('--setup <script>', 'setup script (bash)')
    .option('--setup-file <file>', 'read the setup script from a file')
    .option('--setup-timeout <seconds>', 'setup timeout', parseIntegerOption('--setup-timeout', 1, 3600))
    .option('--no-network', "run the agent's commands without network access")
    .option('--no-persist', 'give every task a fresh copy of the working directory')
    .option('--var <KEY=VALUE>', 'plain variable (repeatable)', collect, [])
    .option(
      '--secret <KEY[=VALUE]>',
      'secret variable; KEY alone reads $KEY from this shell (repeatable)',
      collect,
      [],
    );
}

/** The binding to act on: the one on --viber, else the only one. */
function pickBinding(env: EnvironmentView, viberId: string | undefined): BindingView {
  const candidates = env.bindings.filter((binding) => !viberId || binding.viberId === viberId);
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) {
    throw new CliError(
      `environment ${env.name} is not mapped${viberId ? ` to ${viberId}` : ''}: run viber env map ${env.name} --viber <id>`,
    );
  }
  throw new CliError(`environment ${env.name} is mapped to ${candidates.length} vibers: pass --viber`, 2);
}

/** Prints the preparation log as it grows, until the binding's current generation is ready or failed. */
async function followPreparation(
  client: GatewayClient,
  env: EnvironmentView,
  start: BindingView,
): Promise<BindingView> {
  let cursor = 0;
  for (;;) {
    const page = await client.call('environments.bindings.logs', {
      params: { id: env.id, bindingId: start.id },
      query: { after: cursor },
    });
    for (const line of page.lines) {
      if (line.generation < start.generation) continue;
      const prefix =
        line.stream === 'system'
          ? styleText('cyan', '›')
          : styleText('dim', line.stream === 'stderr' ? '!' : '|');
      process.stderr.write(`${prefix} ${line.line}\n`);
    }
    cursor = page.lines.at(-1)?.seq ?? cursor;
    const { binding } = page;
    const settled =
      binding.generation === start.generation && (binding.status === 'ready' || binding.status === 'error');
    if (settled && page.lines.length === 0) return binding;
    if (page.lines.length === 0) await new Promise((resolve) => setTimeout(resolve, 400));
  }
}

async function reportPrepared(
  client: GatewayClient,
  env: EnvironmentView,
  binding: BindingView,
  flags: ClientFlags & { follow?: boolean },
) {
  if (flags.follow === false) return print(flags, binding, () => bindingLine(binding));
  process.stderr.write(
    styleText('dim', `preparing ${env.name} on ${binding.viberId} (binding ${binding.id})…\n`),
  );
  const done = await followPreparation(client, env, binding);
  print(flags, done, () => bindingLine(done));
  if (done.status === 'error') process.exitCode = 1;
}

export function registerEnvCommands(program: Command): void {
  const env = program
    .command('env')
    .description('environments: reusable execution contexts prepared on vibers');

  addClientOptions(addSpecOptions(env.command('create').argument('<name>')))
    .description('create an environment (secrets are stored encrypted and never shown again)')
    .action(async (name: string, flags: SpecFlags) => {
      const body: CreateBody = {
        name,
        type: 'github',
        ...specBody(flags),
        variables: Object.fromEntries(flags.var.map((item) => parseAssignment('--var', item, false))),
        secrets: Object.fromEntries(flags.secret.map((item) => parseAssignment('--secret', item, true))),
      };
      const client = clientFromFlags(flags, resolveHome());
      const created = await client.call('environments.create', { body, idempotencyKey: randomUUID() });
      print(flags, created, () => environmentLine(created));
    });

  addPageOptions(addClientOptions(env.command('list')))
    .description('list environments by name with their status, a page at a time')
    .option('--name <text>', 'only environments whose name contains this')
    .action(async (flags: ClientFlags & PageFlags & { name?: string }) => {
      const client = clientFromFlags(flags, resolveHome());
      const read = await readListPages(
        flags,
        (page) =>
          client.call('environments.list', { query: { ...(flags.name ? { q: flags.name } : {}), ...page } }),
        (page) => page.environments,
      );
      printRows(read, flags.json, environmentLine, 'no environments yet');
    });

  addClientOptions(env.command('show').argument('<environment>', 'id or name'))
    .description('show an environment, its variables, masked secrets and bindings')
    .action(async (name: string, flags: ClientFlags) => {
      const shown = await clientFromFlags(flags, resolveHome()).call('environments.get', {
        params: { id: name },
      });
      print(flags, shown, () => describeEnvironment(shown));
    });

  addClientOptions(addSpecOptions(env.command('set').argument('<environment>', 'id or name')))
    .description('change an environment; mapped vibers prepare it again')
    .option('--unset-var <KEY>', 'remove a variable (repeatable)', collect, [])
    .option('--unset-secret <KEY>', 'remove a secret (repeatable)', collect, [])
    .action(async (name: string, flags: SpecFlags) => {
      const client = clientFromFlags(flags, resolveHome());
      const body: UpdateBody = specBody(flags);
      if (flags.var.length || flags.unsetVar.length) {
        const current = await client.call('environments.get', { params: { id: name } });
        const variables = Object.fromEntries(
          current.variables.map((variable) => [variable.key, variable.value]),
        );
        for (const key of flags.unsetVar) delete variables[key];
        Object.assign(
          variables,
          Object.fromEntries(flags.var.map((item) => parseAssignment('--var', item, false))),
        );
        body.variables = variables;
      }
      if (flags.secret.length || flags.unsetSecret.length) {
        body.secrets = {
          ...Object.fromEntries(flags.unsetSecret.map((key) => [key, null])),
          ...Object.fromEntries(flags.secret.map((item) => parseAssignment('--secret', item, true))),
        };
      }
      if (Object.values(body).every((value) => value === undefined))
        throw new CliError('nothing to change: give at least one option', 2);
      const updated = await client.call('environments.update', { params: { id: name }, body });
      print(flags, updated, () => describeEnvironment(updated));
    });

  addClientOptions(env.command('map').argument('<environment>', 'id or name'))
    .description('map an environment to a viber and prepare it there (clone, setup, health check)')
    .option('--viber <id>', 'the viber to prepare it on (optional when only one is registered)')
    .option('--strategy <strategy>', 'clone (default) or existing')
    .option('--path <path>', 'for existing: the path on the viber')
    .option('--no-follow', 'do not wait for the preparation')
    .action(
      async (
        name: string,
        flags: ClientFlags & { viber?: string; strategy?: string; path?: string; follow?: boolean },
      ) => {
        const client = clientFromFlags(flags, resolveHome());
        const environment = await client.call('environments.get', { params: { id: name } });
        const body = {
          viberId: flags.viber ?? (await theOnlyViber(client)),
          ...(flags.strategy
            ? { strategy: checkedOption('--strategy', BindingStrategySchema, flags.strategy) }
            : {}),
          ...(flags.path ? { path: flags.path } : {}),
        };
        const binding = await client.call('environments.bindings.create', {
          params: { id: environment.id },
          body,
          idempotencyKey: randomUUID(),
        });
        await reportPrepared(client, environment, binding, flags);
      },
    );

  addClientOptions(env.command('prepare').argument('<environment>', 'id or name'))
    .description('prepare a mapped environment again, showing progress')
    .option('--viber <id>', 'which binding (when mapped to several vibers)')
    .option('--no-follow', 'do not wait for the preparation')
    .action(async (name: string, flags: ClientFlags & { viber?: string; follow?: boolean }) => {
      const client = clientFromFlags(flags, resolveHome());
      const environment = await client.call('environments.get', { params: { id: name } });
      const target = pickBinding(environment, flags.viber);
      const binding = await client.call('environments.bindings.prepare', {
        params: { id: environment.id, bindingId: target.id },
        idempotencyKey: randomUUID(),
      });
      await reportPrepared(client, environment, binding, flags);
    });

  addClientOptions(env.command('logs').argument('<environment>', 'id or name'))
    .description('print the preparation log (redacted of every secret)')
    .option('--viber <id>', 'which binding (when mapped to several vibers)')
    .option('--follow', 'keep following until the preparation ends')
    .action(async (name: string, flags: ClientFlags & { viber?: string; follow?: boolean }) => {
      const client = clientFromFlags(flags, resolveHome());
      const environment = await client.call('environments.get', { params: { id: name } });
      const binding = pickBinding(environment, flags.viber);
      if (flags.follow) return void (await followPreparation(client, environment, binding));
      const page = await client.call('environments.bindings.logs', {
        params: { id: environment.id, bindingId: binding.id },
        query: { limit: 2000 },
      });
      print(
        flags,
        page,
        () =>
          page.lines.map((line) => `#${line.generation} ${line.stream.padEnd(6)} ${line.line}`).join('\n') ||
          'no log lines',
      );
    });
}

/** The viber `env map` prepares on without `--viber`: the only one registered, else which to pass. */
async function theOnlyViber(client: GatewayClient): Promise<string> {
  const { vibers } = await client.call('vibers.list', { query: { limit: 2 } });
  if (vibers.length === 1) return vibers[0]!.id;
  throw new CliError(
    vibers.length === 0
      ? 'no viber is registered to map it to: start one (viber up, or viber vibers add NAME)'
      : 'several vibers are registered: pass --viber <id> (viber vibers list shows them)',
    2,
  );
}
