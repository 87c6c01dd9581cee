import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  BoardEventSchema,
  CreateSessionBodySchema,
  LoginCodeResponseSchema,
  SessionViewSchema,
} from './board-events.ts';
import { DaemonMessageSchema } from './daemon-messages.ts';
import {
  BindingLogsResponseSchema,
  BindingViewSchema,
  CreateBindingBodySchema,
  CreateEnvironmentBodySchema,
  EnvironmentValidationResponseSchema,
  EnvironmentViewSchema,
  UpdateEnvironmentBodySchema,
  ViberConfigPullSchema,
} from './environment-rest.ts';
import { ErrorBodySchema } from './errors.ts';
import { GatewayMessageSchema } from './gateway-messages.ts';
import {
  ApprovalBodySchema,
  CreateTaskBodySchema,
  HealthResponseSchema,
  RegisterViberBodySchema,
  RegisterViberResponseSchema,
  TaskDetailResponseSchema,
  TaskMessageBodySchema,
  TaskViewSchema,
  ViberViewSchema,
} from './rest.ts';
import { ArtifactPartSchema, PlanSchema, TaskReportSchema } from './ui-data-parts.ts';
import { PROTOCOL_VERSION } from './version.ts';

export const PROTOCOL_SCHEMA_PATH = fileURLToPath(
  new URL('../../schema/openviber-protocol.schema.json', import.meta.url),
);

/** Every wire shape as one JSON Schema document (draft 2020-12), generated from the zod schemas. */
export function buildProtocolJsonSchema(): Record<string, unknown> {
  const registry = {
    DaemonMessage: DaemonMessageSchema,
    GatewayMessage: GatewayMessageSchema,
    ErrorBody: ErrorBodySchema,
    HealthResponse: HealthResponseSchema,
    RegisterViberBody: RegisterViberBodySchema,
    RegisterViberResponse: RegisterViberResponseSchema,
    ViberView: ViberViewSchema,
    CreateTaskBody: CreateTaskBodySchema,
    TaskMessageBody: TaskMessageBodySchema,
    ApprovalBody: ApprovalBodySchema,
    TaskView: TaskViewSchema,
    TaskDetailResponse: TaskDetailResponseSchema,
    CreateEnvironmentBody: CreateEnvironmentBodySchema,
    UpdateEnvironmentBody: UpdateEnvironmentBodySchema,
    EnvironmentView: EnvironmentViewSchema,
    EnvironmentValidationResponse: EnvironmentValidationResponseSchema,
    CreateBindingBody: CreateBindingBodySchema,
    BindingView: BindingViewSchema,
    BindingLogsResponse: BindingLogsResponseSchema,
    ViberConfigPull: ViberConfigPullSchema,
    PlanPart: PlanSchema,
    ArtifactPart: ArtifactPartSchema,
    TaskReport: TaskReportSchema,
    BoardEvent: BoardEventSchema,
    CreateSessionBody: CreateSessionBodySchema,
    SessionView: SessionViewSchema,
    LoginCodeResponse: LoginCodeResponseSchema,
  };
  const definitions = Object.fromEntries(
    Object.entries(registry).map(([name, schema]) => [
      name,
      z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }),
    ]),
  );
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'OpenViber protocol',
    description: `OpenViber wire protocol version ${PROTOCOL_VERSION}: daemon<->gateway WebSocket messages and REST bodies.`,
    $defs: definitions,
  };
}
