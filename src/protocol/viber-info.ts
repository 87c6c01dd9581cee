import { z } from 'zod';
import { McpServerHealthSchema } from './mcp-server-health.ts';
import { EffectiveModelSchema } from './model-settings.ts';

/** Skill availability as reported by a daemon (protocol document, ViberSkillInfo). */
export const SkillStatusSchema = z.enum(['AVAILABLE', 'NOT_AVAILABLE', 'UNKNOWN']);
export type SkillStatus = z.infer<typeof SkillStatusSchema>;

export const ViberSkillInfoSchema = z.object({
  id: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
  description: z.string().max(4000),
  available: z.boolean(),
  status: SkillStatusSchema,
  healthSummary: z.string().max(2000).optional(),
});
export type ViberSkillInfo = z.infer<typeof ViberSkillInfoSchema>;

/** The latest check of a viber's skills (docs/skills.md), in each heartbeat: it is done again on
 * `config:push`, so it may be newer than the list in ViberInfo. Each skill by its ViberSkillInfo id. */
export const SkillsHealthSchema = z.object({
  checkedAt: z.iso.datetime(),
  available: z.number().int().min(0),
  notAvailable: z.number().int().min(0),
  unknown: z.number().int().min(0),
  skills: z.array(ViberSkillInfoSchema.pick({ id: true, status: true, healthSummary: true })).max(1000),
});
export type SkillsHealth = z.infer<typeof SkillsHealthSchema>;

/** A capability this viber was asked for but cannot offer (`viber start --desktop` with no X tools). */
export const UnavailableCapabilitySchema = z.object({
  name: z.string().min(1).max(100),
  reason: z.string().max(2000),
});
export type UnavailableCapability = z.infer<typeof UnavailableCapabilitySchema>;

/** What a daemon says about itself in `connected`. `runningTasks` lists every task it still owns:
 * running, or finished with events the gateway has not acknowledged yet. */
export const ViberInfoSchema = z.object({
  id: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
  version: z.string().min(1).max(100),
  platform: z.string().min(1).max(100),
  capabilities: z.array(z.string().max(100)).max(100),
  /** Capabilities asked for (a flag) that are not in `capabilities`, each with why. */
  unavailableCapabilities: z.array(UnavailableCapabilitySchema).max(100).optional(),
  runningTasks: z.array(z.string().max(200)).max(10_000),
  skills: z.array(ViberSkillInfoSchema).max(1000).optional(),
  /** The viber's MCP servers (docs/mcp.md); absent from daemons that predate them. */
  mcpServers: z.array(McpServerHealthSchema).max(200).optional(),
  /** The model settings it uses and where each came from (docs/settings.md); absent from older daemons. */
  model: EffectiveModelSchema.optional(),
});
export type ViberInfo = z.infer<typeof ViberInfoSchema>;

export const ConfigValidationSchema = z.object({
  category: z.enum(['llm_keys', 'oauth', 'env_secrets', 'skills', 'binary_deps', 'sandbox']),
  status: z.enum(['verified', 'failed', 'unchecked']),
  message: z.string().max(2000).optional(),
  checkedAt: z.iso.datetime(),
});
export type ConfigValidation = z.infer<typeof ConfigValidationSchema>;

export const ConfigStateSchema = z.object({
  /** Hash of the daemon's current configuration. */
  configVersion: z.string().max(200),
  lastConfigPullAt: z.iso.datetime(),
  validations: z.array(ConfigValidationSchema).max(200),
});
export type ConfigState = z.infer<typeof ConfigStateSchema>;

/** Health a daemon reports in each heartbeat. */
export const ViberStatusSchema = z.object({
  state: z.enum(['idle', 'busy']),
  runningTasks: z.number().int().min(0),
  uptimeSeconds: z.number().min(0),
  memoryRssBytes: z.number().int().min(0).optional(),
  loadAverage: z.array(z.number()).max(3).optional(),
  /** The skills' health now; absent from daemons without skills or that predate them. */
  skills: SkillsHealthSchema.optional(),
  /** The MCP servers' health now (newer than the list in ViberInfo). */
  mcpServers: z.array(McpServerHealthSchema).max(200).optional(),
  /** The model settings it uses now (newer than ViberInfo's after a config push). */
  model: EffectiveModelSchema.optional(),
});
export type ViberStatus = z.infer<typeof ViberStatusSchema>;

/** Presence the gateway derives: a connected viber with running tasks is busy. */
export const ViberPresenceSchema = z.enum(['online', 'offline', 'busy']);
export type ViberPresence = z.infer<typeof ViberPresenceSchema>;
