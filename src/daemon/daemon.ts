import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { StartAgentTask } from '../agent/agent-task.ts';
import { type SandboxCapabilities, sandboxCapabilities } from '../agent/command-sandbox.ts';
import { knownCredentials } from '../agent/credentials.ts';
import { McpConnectionManager } from '../agent/mcp/index.ts';
import { checkViberSkills } from '../agent/skills/viber-skills.ts';
import { closeChromium } from '../agent/tools/browser/index.ts';
import { Backoff, type BackoffOptions } from '../client/backoff.ts';
import type { DeviceIdentity } from '../client/device-identity.ts';
import { type ConfigFile, configPath, loadConfig } from '../core/config.ts';
import { loadOrCreateDeviceKey } from '../core/device-key.ts';
import { OpenViberError } from '../core/errors.ts';
import { ensureDir, type OpenViberHome, sessionsDir } from '../core/home.ts';
import { createLogger, type Logger } from '../core/logger.ts';
import { createRedactor } from '../core/redaction.ts';
import type { ConfigValidation, ViberInfo } from '../protocol/index.ts';
import { RecentIds } from './command-dedupe.ts';
import { createCommandRouter } from './command-router.ts';
import { type ConfigCheckResult, checkConfig } from './config-validation.ts';
import { openDaemonDb } from './daemon-db.ts';
import { DelegationBroker } from './delegation-broker.ts';
import { DesktopViewBridge } from './desktop-view/desktop-view-bridge.ts';
import { daemonKeyPath, saveDaemonCredentials } from './device-credentials.ts';
import { DurableBatch } from './durable-batch.ts';
import { EnvironmentManager, pullViberConfig } from './environment/index.ts';
import { GatewayModelSettings } from './gateway-model-settings.ts';
import { pullModelSettings } from './model-settings-pull.ts';
import { Outbox, type OutboxLimits } from './outbox.ts';
import { ViberPorts } from './ports/viber-ports.ts';
import { SessionLog } from './session-log.ts';
import { TaskJournal } from './task-journal.ts';
import { TaskRuntime } from './task-runtime.ts';
import { defaultSocketPath, startTerminals, type TerminalOptions } from './terminal/start-terminals.ts';
import { gatewayUrls, ViberController } from './viber-controller.ts';
import { buildViberInfo, buildViberStatus, DAEMON_VERSION, type RequestedCapability } from './viber-info.ts';

export interface DaemonOptions {
  home: OpenViberHome;
  /** The gateway's daemon endpoint, `ws://host:port/ws`. */
  serverUrl: string;
  viberId: string;
  /**
   * The device token for the connect handshake: a viber token (`viber vibers add`) or the one
   * this machine collected when it was paired (`viber login`). Absent: the daemon asks to be
   * paired and waits for an operator (the controller emits 'pairing').
   */
  token?: string;
  /** The device key that signs the handshake; default `<home>/daemon/device.json`, made if missing. */
  identity?: DeviceIdentity;
  /**
   * Keeps a token the gateway issued (first connect after approval, or after a rotation); by
   * default written with the server and viber id to `<home>/daemon/credentials.json` (0600).
   */
  saveToken?: (token: string) => void;
  /** Shown on the board; defaults to the host name. */
  name?: string;
  /** Defaults to config.json of the home; config:push re-reads config.json when it exists. */
  config?: ConfigFile;
  env?: NodeJS.ProcessEnv;
  startAgentTask: StartAgentTask;
  /** Until the gateway's `welcome` sets it (default: config, then 30 s). */
  heartbeatIntervalMs?: number;
  reconnect?: BackoffOptions;
  outbox?: OutboxLimits;
  /** How long close() lets stopped tasks report their end to the gateway (default 5 s). */
  shutdownGraceMs?: number;
  /** How long suspend() lets each running task finish its current step (default 10 s). */
  suspendGraceMs?: number;
  /** Probes what the machine can enforce around commands (tests pass their own). */
  sandbox?: () => Promise<SandboxCapabilities>;
  /** The tmux bridge and the tasks' own tmux sessions (docs/terminals.md); on unless disabled. */
  terminals?: TerminalOptions;
  /** The skills shipped with OpenViber (BUNDLED_SKILLS_DIR), reported with the home's (docs/skills.md). */
  bundledSkillsDir?: string;
  /** Capabilities a flag asked for (`viber start --desktop`), available or with the reason they are not. */
  capabilities?: readonly RequestedCapability[];
  /** The VNC server of the live desktop view (`viber start --desktop --vnc`, docs/desktop.md). */
  desktopView?: { socketPath: string };
  logger?: Logger;
}

export interface RunningDaemon {
  readonly viberId: string;
  /** Emits 'connected', 'disconnected' and 'fatal' (the gateway refused this viber). */
  readonly controller: ViberController;
  info(): ViberInfo;
  /** Resolves on the first connection; rejects when the gateway refuses this viber. */
  connected(): Promise<void>;
  /** Stops running tasks ('daemon shutting down'), lets their end reach the gateway, then closes. */
  close(): Promise<void>;
  /**
   * A graceful restart (`viber start` on SIGTERM): running tasks finish their current step (at
   * most `suspendGraceMs`, 10 s) and stay recorded as running, then everything closes; the next
   * start on the same home resumes them.
   */
  suspend(): Promise<void>;
}

const SHUTDOWN_REASON = 'daemon shutting down';

/**
 * Starts the viber daemon: the connection to the gateway, the task runtime behind it, the outbox
 * that makes delivery survive reconnects, and the session logs. Throws (OpenViberError) when
 * config.json is invalid; everything after start is retried or reported, never thrown.
 */
export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const { home, viberId } = options;
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger('daemon', { viberId });
  assertGatewayUrls(options.serverUrl);
  const name = (options.name ?? hostname()).trim().slice(0, 200) || 'viber';
  let config = options.config ?? loadConfig(home);
  const identity = options.identity ?? loadDaemonKey(home);
  ensureDir(home.workspace);
  const sessions = new SessionLog(ensureDir(sessionsDir(home)), logger);
  // The outbox is durable: a restarted daemon resends what the gateway has not acknowledged.
  const db = openDaemonDb(join(ensureDir(home.daemon), 'outbox.db'));
  const outbox = new Outbox(options.outbox, db);
  // The writes of one turn of the event loop commit together; the frames behind them wait for it.
  const batch = new DurableBatch(db, {
    send: (frames) => controller.sendFrames(frames),
    committed: (error) => {
      if (error) logger.error({ err: error }, 'the outbox could not be written');
      outbox.committed(error);
    },
  });
  const startedAt = Date.now();
  // The skills every task has: in `connected` and each heartbeat, checked again on config:push.
  const checkSkills = () => {
    const check = checkViberSkills({
      home,
      bundledDir: options.bundledSkillsDir,
      env,
      passNames: config.agent?.env,
    });
    for (const warning of check.warnings) logger.warn(warning);
    return check;
  };
  let skills = checkSkills();
  const terminals = await startTerminals({
    home,
    viberId,
    env,
    send: (message) => controller.send(message),
    binaryOutput: () => controller.negotiated('terminal-binary'),
    sendBinary: (frame) => controller.sendBinary(frame),
    // A gateway link that falls behind makes the bridge drop terminal backlog and resync panes
    // from their screens, so terminal output never piles up in front of task events.
    backlogBytes: () => controller.bufferedBytes,
    logger,
    ...options.terminals,
  });

  // The token redacted from what the agent sees: a new one joins it when the gateway issues it.
  const knownSecrets: Record<string, string> = options.token ? { 'viber token': options.token } : {};
  // The gateway's model settings (docs/settings.md): pulled on each connection and config:push;
  // their keys join what the agent's output is redacted of.
  const gatewayModel = new GatewayModelSettings({
    pull: () => pullModelSettings({ serverUrl: controller.url, viberId, token: controller.token ?? '' }),
    config: () => config,
    env,
    onKeys: (keys) => {
      for (const name of Object.keys(knownSecrets))
        if (name.startsWith('gateway ')) delete knownSecrets[name];
      Object.assign(knownSecrets, keys);
    },
    logger: logger.child({ component: 'model-settings' }),
  });
  const saveToken =
    options.saveToken ??
    ((token: string) => saveDaemonCredentials(home, { server: options.serverUrl, viberId, token }));
  // The viber's MCP servers (docs/mcp.md): started when a task first needs them, shared by every
  // task; a change of their state reaches the gateway in a heartbeat sent at once.
  let statusQueued = false;
  const mcp = new McpConnectionManager({
    servers: () => config.mcpServers ?? [],
    workspace: home.workspace,
    env,
    passNames: () => config.agent?.env ?? [],
    backoff: () => new Backoff(options.reconnect),
    redactor: () => createRedactor({ ...knownCredentials(home, env, config), ...knownSecrets }),
    logger: logger.child({ component: 'mcp' }),
    onChange: () => {
      if (statusQueued) return;
      statusQueued = true;
      setImmediate(() => {
        statusQueued = false;
        controller.reportStatus();
      });
    },
    clientInfo: { name: 'openviber', version: DAEMON_VERSION },
  });
  /** `mcpServers` for ViberInfo and ViberStatus: absent while the viber has none. */
  const mcpHealth = () => {
    const servers = mcp.health();
    return servers.length > 0 ? { mcpServers: servers } : {};
  };
  const controller: ViberController = new ViberController({
    serverUrl: options.serverUrl,
    viberId,
    ...(options.token ? { token: options.token } : {}),
    identity,
    name,
    onDeviceToken: (token) => {
      knownSecrets['device token'] = token;
      saveToken(token);
    },
    version: DAEMON_VERSION,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? config.daemon?.heartbeatIntervalMs,
    ...(options.reconnect ? { reconnect: options.reconnect } : {}),
    logger,
    getInfo: () => info(),
    getStatus: () => ({
      ...buildViberStatus(runtime.runningCount(), startedAt),
      ...(skills.skills.length > 0 ? { skills: skills.health } : {}),
      ...mcpHealth(),
      model: gatewayModel.effective(),
    }),
    getMetrics: () => runtime.metrics.snapshot(),
  });
  // Probed before the first task can arrive: no command ever runs without the sandbox it is owed.
  const sandbox = await (options.sandbox ?? sandboxCapabilities)();
  const environments = new EnvironmentManager({
    home,
    env,
    capabilities: async () => sandbox,
    passNames: () => config.agent?.env ?? [],
    pull: () => pullViberConfig({ serverUrl: controller.url, viberId, token: controller.token ?? '' }),
    send: (message) => controller.send(message),
    logger: logger.child({ component: 'environments' }),
  });
  // Delegation (docs/delegation.md): each task's delegate tool reaches the gateway through it.
  const delegation = new DelegationBroker({
    send: (message) => controller.send(message),
    // A child's end nobody waits for: a follow-up journaled like an operator's message.
    deliver: (taskId, followUp) => runtime.send(taskId, followUp),
    logger,
  });
  const runtime: TaskRuntime = new TaskRuntime({
    delegation: (taskId) => delegation.portFor(taskId),
    environments,
    home,
    env: terminals.taskEnv,
    getConfig: () => config,
    modelSource: () => gatewayModel.forTask(),
    sandbox,
    knownSecrets,
    mcp,
    startAgentTask: options.startAgentTask,
    outbox,
    journal: new TaskJournal(db),
    sessions,
    batch,
    publish: (entry) => batch.send(entry.frame),
    maxFrameBytes: () => controller.maxFrameBytes,
    logger,
  });
  const info = (): ViberInfo => ({
    ...buildViberInfo(viberId, name, runtime.ownedTaskIds(), options.capabilities),
    ...(skills.skills.length > 0 ? { skills: skills.skills } : {}),
    ...mcpHealth(),
    model: gatewayModel.effective(),
  });

  const desktopViews =
    options.desktopView &&
    new DesktopViewBridge(
      options.desktopView.socketPath,
      controller,
      logger.child({ component: 'desktop-view' }),
    );
  // The services the viber's work listens on, listed and proxied for the gateway (docs/ports.md).
  const ports = new ViberPorts({
    home,
    viberId,
    link: controller,
    tmuxSocket: options.terminals?.socketPath ?? defaultSocketPath(home, viberId),
    log: logger.child({ component: 'ports' }),
  });
  const route = createCommandRouter({
    runtime,
    handled: new RecentIds(10_000),
    // Behind the writes of the command it answers: a command is acknowledged once it is on disk.
    send: (message) => batch.send(JSON.stringify(message)),
    checkConfig: async () => {
      // config:push means "pull the latest config": the gateway's model settings, and config.json.
      await gatewayModel.refresh();
      let loadError: string | undefined;
      if (existsSync(configPath(home))) {
        try {
          config = loadConfig(home);
        } catch (error) {
          loadError = (error as Error).message;
        }
      }
      skills = checkSkills();
      controller.reportStatus(); // the new skills health in a heartbeat now, not in up to 30 s
      // The viber's MCP servers as now configured start; their health follows in a heartbeat.
      void mcp.checkAll();
      return withEnvironmentValidations(
        checkConfig({
          home,
          config,
          env,
          sandbox,
          skills: skills.validation,
          model: gatewayModel.forTask().resolve(),
          ...(loadError ? { loadError } : {}),
        }),
        environments.validations(),
      );
    },
    ...(terminals.bridge ? { terminals: (message) => terminals.bridge?.handle(message) } : {}),
    ...(desktopViews ? { desktopViews: (message) => desktopViews.handle(message) } : {}),
    ports: (message) => ports.handle(message),
    delegation,
    environments,
    logger,
  });
  controller.on('message', route);
  // The gateway forgets a connection's terminal viewers when it drops; so does the bridge.
  controller.on('disconnected', () => {
    terminals.bridge?.detachAll();
    desktopViews?.closeAll();
    ports.closeAll();
  });
  // Replays everything unacknowledged, in order, right after `connected` (DESIGN.md, rule 2).
  controller.on('connected', () => {
    // On disk first; what waited behind the batch is in the replay or was for the last connection.
    batch.commit({ send: false });
    for (const entry of outbox.pending()) controller.sendFrame(entry.frame);
    // Delegate requests the gateway did not answer go again (it starts one child per request).
    delegation.resendPending();
    // A preparation the gateway still waits for (this daemon restarted mid-way) starts again.
    void environments.resync();
    // Settings changed while this viber was away apply from its next task; the board hears at once.
    void gatewayModel.refresh().then(() => controller.reportStatus());
  });

  const firstConnection = new Promise<void>((resolve, reject) => {
    controller.once('connected', resolve);
    controller.once('fatal', (_reason, error) => reject(error));
  });
  // Nobody may be waiting on it; a refusal is still reported through 'fatal'.
  firstConnection.catch(() => undefined);

  // Tasks that were running when the previous process ended resume before the first connection,
  // so `connected` lists them as running and the gateway keeps them (DESIGN.md, rule 5).
  const resumed = runtime.resumeAll();
  if (resumed.length > 0) logger.info({ tasks: resumed }, 'resumed the tasks of the previous process');
  controller.start();
  logger.info({ name, serverUrl: options.serverUrl }, 'daemon started');

  let closing: Promise<void> | undefined;
  const release = async (): Promise<void> => {
    await mcp.close();
    batch.close();
    desktopViews?.closeAll();
    ports.closeAll();
    await terminals.close();
    await closeChromium();
    await controller.close();
    await sessions.flush();
    db.close();
    logger.info('daemon stopped');
  };
  const close = async (): Promise<void> => {
    const graceMs = options.shutdownGraceMs ?? 5_000;
    const deadline = Date.now() + graceMs;
    await runtime.stopAll(SHUTDOWN_REASON, graceMs);
    await environments.close();
    if (controller.isOpen) await runtime.waitForAcks(Math.max(0, deadline - Date.now()));
    await release();
  };
  const suspend = async (): Promise<void> => {
    await runtime.suspendAll(options.suspendGraceMs ?? 10_000);
    await environments.close();
    // Nothing waits for acks: what the gateway has not acknowledged is in outbox.db for the next start.
    await release();
  };

  return {
    viberId,
    controller,
    info,
    connected: () => firstConnection,
    close: () => {
      closing ??= close();
      return closing;
    },
    suspend: () => {
      closing ??= suspend();
      return closing;
    },
  };
}

/** The daemon's device key; an unreadable key file is the one-line error it explains itself. */
function loadDaemonKey(home: OpenViberHome): DeviceIdentity {
  try {
    return loadOrCreateDeviceKey(daemonKeyPath(home));
  } catch (error) {
    throw new OpenViberError('bad_request', (error as Error).message);
  }
}

/** A URL that can never work is the caller's mistake: say so before any connection attempt. */
function assertGatewayUrls(serverUrl: string): void {
  for (const url of gatewayUrls(serverUrl)) assertGatewayUrl(url);
}

function assertGatewayUrl(serverUrl: string): void {
  let protocol: string;
  try {
    protocol = new URL(serverUrl).protocol;
  } catch {
    throw new OpenViberError(
      'bad_request',
      `gateway URL "${serverUrl}" is not a URL; expected ws://host:port/ws`,
    );
  }
  if (protocol !== 'ws:' && protocol !== 'wss:') {
    throw new OpenViberError('bad_request', `gateway URL "${serverUrl}" must start with ws:// or wss://`);
  }
}

/** config:ack carries the environment checks in place of the `unchecked` env_secrets entry. */
async function withEnvironmentValidations(
  base: Promise<ConfigCheckResult>,
  extra: Promise<ConfigValidation[]>,
): Promise<ConfigCheckResult> {
  const [result, validations] = await Promise.all([base, extra]);
  const own = result.validations.filter((validation) => validation.category !== 'env_secrets');
  return { ...result, validations: [...own, ...validations] };
}
