import { OpenViberError } from '../../core/errors.ts';
import type { ErrorCode } from '../../protocol/index.ts';
import type { DelegationRefusalReason } from '../metrics/gateway-metrics.ts';

/**
 * A `task:delegate` the gateway refuses (docs/delegation.md): the code and message the model is
 * told, and the reason `openviber_delegations_total` counts it under (a fixed set).
 */
export class DelegationRefusal extends OpenViberError {
  readonly reason: DelegationRefusalReason;

  constructor(reason: DelegationRefusalReason, code: ErrorCode, message: string) {
    super(code, message, code === 'not_found' ? 404 : code === 'forbidden' ? 403 : 409);
    this.reason = reason;
  }
}
