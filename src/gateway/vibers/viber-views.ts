import type { ViberPresence, ViberView } from '../../protocol/index.ts';
import type { ViberRecord } from '../store/index.ts';

/** A viber record as the REST API and the board show it (schema in src/protocol/rest.ts). */
export function toViberView(viber: ViberRecord, presence: ViberPresence): ViberView {
  return {
    id: viber.id,
    name: viber.name,
    presence,
    info: viber.info,
    status: viber.status,
    configState: viber.configState,
    createdAt: viber.createdAt,
    connectedAt: viber.connectedAt,
    lastHeartbeatAt: viber.lastHeartbeatAt,
  };
}
