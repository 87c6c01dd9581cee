import type { z } from 'zod';
import type { GatewayClientError } from '../client/index.ts';

/** An error the CLI prints as one clear line (no stack) before exiting with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/**
 * A failed gateway call as the CLI's one line, for every command in one place (main.ts). An HTTP
 * answer names its status and the gateway's code (`gateway answered 404: task x not found
 * (not_found)`); a request the client refused before sending it is a bad argument (exit 2); no
 * answer at all says so as the client found it (`cannot reach the gateway at ...`).
 */
export function cliErrorOf(error: GatewayClientError): CliError {
  if (error.status > 0)
    return new CliError(`gateway answered ${error.status}: ${error.message} (${error.code})`);
  if (error.code === 'validation_failed') return new CliError(error.message, 2);
  if (error.code === 'unreachable') return new CliError(error.message);
  return new CliError(`${error.message} (${error.code})`);
}

/** Parses an integer option, with a message that names the option. */
export function parseIntegerOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < min || number > max) {
      throw new CliError(`${name} must be a whole number from ${min} to ${max}, got "${value}"`, 2);
    }
    return number;
  };
}

/** How `--model` is written, shown when one is not. */
export const MODEL_EXAMPLE = 'for example openai/gpt-4.1, anthropic/claude-sonnet-4-5 or custom/llama3.1';

/**
 * Validates an option's value with a protocol schema, naming the option in the message and saying
 * what would do: the values of an enum, else the schema's own words, then `example` if given.
 */
export function checkedOption<T>(option: string, schema: z.ZodType<T>, value: unknown, example?: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const values = (schema as { options?: unknown }).options;
  const message = parsed.error.issues[0]?.message ?? '';
  const why = Array.isArray(values)
    ? `: use one of ${values.join(', ')}`
    : message && !/^Invalid/i.test(message)
      ? `: ${message}`
      : '';
  throw new CliError(`${option}: invalid value "${String(value)}"${why}${example ? ` (${example})` : ''}`, 2);
}
