// The viber daemon: started by `viber start` and `viber up`.
export { Backoff, type BackoffOptions } from '../client/backoff.ts';
export {
  type ConfigCheckResult,
  checkConfig,
  configVersionOf,
  REQUIRED_BINARIES,
} from './config-validation.ts';
export { type DaemonOptions, type RunningDaemon, startDaemon } from './daemon.ts';
export { DEFAULT_OUTBOX_LIMITS, type OutboxLimits } from './outbox.ts';
export type { SessionRecord } from './session-log.ts';
export {
  type ControllerState,
  type DisconnectInfo,
  ViberController,
  type ViberControllerEvents,
} from './viber-controller.ts';
export { DAEMON_VERSION } from './viber-info.ts';
