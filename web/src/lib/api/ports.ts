import type { EnvironmentPortsResponse, OpenPortResponse, ViberPortsResponse } from '#lib/protocol.ts';
import { gateway } from './gateway.ts';

/** Ports (`ports.*` in src/protocol/port-api.ts; docs/ports.md). */

export function listViberPorts(viberId: string): Promise<ViberPortsResponse> {
  return gateway.call('ports.list', { params: { id: viberId } });
}

export function listEnvironmentPorts(environmentId: string): Promise<EnvironmentPortsResponse> {
  return gateway.call('ports.environmentList', { params: { id: environmentId } });
}

/** A fresh link to the port (it works for an hour); the token in it is the whole credential. */
export function openPort(viberId: string, port: number): Promise<OpenPortResponse> {
  return gateway.call('ports.open', { params: { id: viberId, port }, body: {} });
}
