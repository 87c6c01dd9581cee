import type { Logger } from '../core/logger.ts';
import type { DaemonMessage, GatewayCommand, GatewayMessage } from '../protocol/index.ts';
import type { RecentIds } from './command-dedupe.ts';
import type { ConfigCheckResult } from './config-validation.ts';
import type { DelegationBroker } from './delegation-broker.ts';
import { type DesktopViewRequest, refuseDesktopView } from './desktop-view/desktop-view-bridge.ts';
import type { PortsRequest } from './ports/viber-ports.ts';
import type { RuntimeResult, TaskRuntime } from './task-runtime.ts';

export interface CommandRouterOptions {
  runtime: TaskRuntime;
  /** Recently handled commandIds: a redelivered command is acknowledged, not repeated. */
  handled: RecentIds;
  send(message: DaemonMessage): void;
  checkConfig(): Promise<ConfigCheckResult>;
  /** Prepares environment bindings; absent: environment commands are refused. */
  environments?: { request(bindingId: string, generation: number): void };
  /** The tmux bridge (src/daemon/terminal); without one, terminal:* is answered `not_supported`. */
  terminals?: (message: TerminalRequest) => void;
  /** Live desktop views (`--vnc`); without them, an open is answered with why. */
  desktopViews?: (message: DesktopViewRequest) => void;
  /** Delegation (docs/delegation.md): answers to `task:delegate`, and children's ends. */
  delegation?: Pick<DelegationBroker, 'answer' | 'childEnded'>;
  /** Listing and proxying the viber's ports (docs/ports.md); without it, a list is empty and a request fails. */
  ports?: (message: PortsRequest) => void;
  logger: Logger;
}

type TerminalRequest = Extract<GatewayMessage, { type: `terminal:${string}` }>;

/**
 * Acts on the gateway messages the connection passes up (everything but welcome, ping and error).
 * Every command is acknowledged, duplicates included, and acted on at most once (DESIGN.md, rule 4).
 */
export function createCommandRouter(options: CommandRouterOptions): (message: GatewayMessage) => void {
  const { runtime, send, logger } = options;

  const act = (command: GatewayCommand): RuntimeResult => {
    switch (command.type) {
      case 'task:submit':
        if (runtime.has(command.taskId)) {
          logger.info({ taskId: command.taskId }, 'task:submit for a task this viber already has; ignored');
        } else {
          runtime.submit(command);
        }
        return { ok: true };
      case 'task:stop':
        return runtime.stop(command.taskId, 'stopped by operator');
      case 'task:message':
        return runtime.send(command.taskId, {
          id: command.messageId,
          text: command.message,
          injectionMode: command.injectionMode,
        });
      case 'task:approval':
        return runtime.answerApproval(command.taskId, command.approvalId, command.approved, command.reason);
      case 'task:child-ended':
        if (!options.delegation) {
          return { ok: false, code: 'bad_request', message: 'this viber does not delegate tasks' };
        }
        return options.delegation.childEnded(command);
      case 'environment:prepare':
      case 'environment:sync':
        if (!options.environments) {
          return {
            ok: false,
            code: 'bad_request',
            message: `${command.type}: environments are not enabled on this viber`,
          };
        }
        options.environments.request(command.bindingId, command.generation);
        return { ok: true };
    }
  };

  const handleCommand = (command: GatewayCommand): void => {
    const { commandId } = command;
    try {
      if (!options.handled.add(commandId)) {
        logger.debug({ commandId, type: command.type }, 'duplicate command; acknowledged again');
        return;
      }
      const result = act(command);
      if (!result.ok) send({ type: 'error', code: result.code, message: result.message, commandId });
    } catch (error) {
      logger.error({ err: error, commandId, type: command.type }, 'command failed');
      send({ type: 'error', code: 'internal', message: `${command.type} failed on the viber`, commandId });
    } finally {
      send({ type: 'command:ack', commandId });
    }
  };

  const answerConfigPush = async (): Promise<void> => {
    try {
      const { configVersion, validations } = await options.checkConfig();
      send({ type: 'config:ack', configVersion, validations });
    } catch (error) {
      logger.error({ err: error }, 'config validation failed');
      send({ type: 'error', code: 'internal', message: 'config validation failed on the viber' });
    }
  };

  return (message) => {
    switch (message.type) {
      case 'task:ack':
        runtime.acknowledge(message.taskId, message.seq);
        return;
      case 'task:submit':
      case 'task:stop':
      case 'task:message':
      case 'task:approval':
      case 'task:child-ended':
      case 'environment:prepare':
      case 'environment:sync':
        handleCommand(message);
        return;
      case 'task:delegated':
      case 'task:delegate-refused':
        options.delegation?.answer(message);
        return;
      case 'config:push':
        void answerConfigPush();
        return;
      case 'config:update':
        logger.warn('config:update is deprecated and ignored; the gateway should send config:push');
        return;
      case 'welcome':
      case 'ping':
      case 'error':
        return;
      case 'desktop:open':
      case 'desktop:input':
      case 'desktop:close':
        if (options.desktopViews) options.desktopViews(message);
        else refuseDesktopView(message, send);
        return;
      case 'ports:list':
      case 'port:request':
      case 'port:body':
      case 'port:end':
      case 'port:credit':
      case 'port:cancel':
        if (options.ports) options.ports(message);
        else refusePorts(message, send);
        return;
      default:
        if (options.terminals) options.terminals(message);
        else answerTerminal(message, send);
    }
  };
}

/** A daemon without the ports service answers a list with why, and fails every request. */
function refusePorts(message: PortsRequest, send: (message: DaemonMessage) => void): void {
  const reason = 'this viber does not relay ports';
  if (message.type === 'ports:list')
    send({ type: 'ports:listed', requestId: message.requestId, ports: [], unavailable: reason });
  else if (message.type === 'port:request')
    send({ type: 'port:failed', exchangeId: message.exchangeId, failure: 'error', message: reason });
}

/** A daemon started without terminals (or without tmux) refuses every request clearly. */
function answerTerminal(message: TerminalRequest, send: (message: DaemonMessage) => void): void {
  send({
    type: 'terminal:error',
    ...('target' in message ? { target: message.target } : {}),
    ...('requestId' in message && message.requestId !== undefined ? { requestId: message.requestId } : {}),
    ...('appId' in message && message.appId !== undefined ? { appId: message.appId } : {}),
    code: 'not_supported',
    message: `${message.type} is not supported by this viber yet`,
  });
}
