// The OpenViber wire protocol: every message, body and event, defined once.
export * from './board-events.ts';
export * from './daemon-messages.ts';
export * from './environment.ts';
export * from './environment-rest.ts';
export * from './errors.ts';
export * from './frames.ts';
export * from './gateway-messages.ts';
export * from './ids.ts';
export * from './limits.ts';
export * from './rest.ts';
export * from './task.ts';
export * from './terminal.ts';
export * from './ui-data-parts.ts';
export * from './version.ts';
export * from './viber-info.ts';
