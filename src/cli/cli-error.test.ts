import { describe, expect, it } from 'vitest';
import { GatewayClientError } from '../client/index.ts';
import { AutonomyModeSchema, ModelRefSchema } from '../protocol/index.ts';
import { CliError, checkedOption, cliErrorOf, MODEL_EXAMPLE } from './cli-error.ts';

// Every failed gateway call becomes one line in main.ts; the e2e tests assert these shapes.

describe('cliErrorOf', () => {
  it("names an HTTP answer's status and the gateway's code, exit 1", () => {
    const error = cliErrorOf(
      new GatewayClientError('not_found', 'task task_x not found', { status: 404, route: 'tasks.get' }),
    );
    expect(error.message).toBe('gateway answered 404: task task_x not found (not_found)');
    expect(error.exitCode).toBe(1);
  });

  it('keeps the reason when there was no answer at all', () => {
    const error = cliErrorOf(
      new GatewayClientError('unreachable', 'cannot reach the gateway at http://127.0.0.1:1: fetch failed'),
    );
    expect(error.message).toBe('cannot reach the gateway at http://127.0.0.1:1: fetch failed');
    expect(error.exitCode).toBe(1);
  });

  it('treats a request the client refused to send as a bad argument, exit 2', () => {
    const error = cliErrorOf(
      new GatewayClientError('validation_failed', 'tasks.get params: id: Too small', { route: 'tasks.get' }),
    );
    expect(error).toMatchObject({ message: 'tasks.get params: id: Too small', exitCode: 2 });
  });

  it("says a terminal's refusal with its code", () => {
    const error = cliErrorOf(new GatewayClientError('viber_offline', 'viber viber_x is offline'));
    expect(error).toMatchObject({ message: 'viber viber_x is offline (viber_offline)', exitCode: 1 });
  });
});

describe('checkedOption', () => {
  const refusal = (read: () => unknown): CliError => {
    try {
      read();
    } catch (error) {
      if (error instanceof CliError) return error;
      throw error;
    }
    throw new Error('accepted');
  };

  it("lists an enum's values", () => {
    expect(refusal(() => checkedOption('--mode', AutonomyModeSchema, 'yolo'))).toMatchObject({
      message: '--mode: invalid value "yolo": use one of always-ask, agent-decides, always-execute',
      exitCode: 2,
    });
  });

  it('says how a model is written, with an example', () => {
    const error = refusal(() => checkedOption('--model', ModelRefSchema, 'gpt-4', MODEL_EXAMPLE));
    expect(error.message).toBe(
      '--model: invalid value "gpt-4": must be <provider>/<model> with provider openai, anthropic or custom (for example openai/gpt-4.1, anthropic/claude-sonnet-4-5 or custom/llama3.1)',
    );
    expect(checkedOption('--model', ModelRefSchema, 'openai/gpt-4', MODEL_EXAMPLE)).toBe('openai/gpt-4');
  });
});
