/** An error the CLI prints as one clear line (no stack) before exiting with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
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

/** Validates an option's value with a protocol schema, naming the option in the message. */
export function checkedOption<T>(
  option: string,
  schema: { safeParse(value: unknown): { success: boolean; data?: T } },
  value: unknown,
): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new CliError(`${option}: invalid value "${String(value)}"`, 2);
  return parsed.data as T;
}
