import { styleText } from 'node:util';
import type { Command } from 'commander';
import { sandboxCapabilities } from '../../agent/command-sandbox.ts';
import { startAgentTask } from '../../agent/index.ts';
import { loadConfig } from '../../core/config.ts';
import { resolveHome } from '../../core/home.ts';
import { newId } from '../../core/ids.ts';
import { createLogger } from '../../core/logger.ts';
import { AutonomyModeSchema, ModelRefSchema } from '../../protocol/index.ts';
import { TerminalApprovals } from '../approval-prompt.ts';
import { ChunkRenderer } from '../chunk-renderer.ts';
import { checkedOption, MODEL_EXAMPLE, parseIntegerOption } from '../cli-error.ts';

interface RunFlags {
  model?: string;
  mode?: string;
  cwd?: string;
  maxSteps?: number;
}

/** `viber run "goal"`: one task in this terminal, no gateway, streaming text and tool activity. */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .argument('<goal...>', 'what to do')
    .description('run one task here, without a gateway, streaming its work to the terminal')
    .option('--model <provider/model>', 'model, e.g. openai/gpt-4.1 or custom/llama3.1')
    .option('--mode <mode>', 'autonomy: always-ask, agent-decides or always-execute')
    .option('--cwd <dir>', 'working directory of the task (default: the current directory)')
    .option('--max-steps <n>', 'most model calls in one run', parseIntegerOption('--max-steps', 1, 1000))
    .action(async (goalWords: string[], flags: RunFlags) => {
      // The terminal shows the task itself; routine log lines would only interleave with it.
      process.env.OPENVIBER_LOG_LEVEL ??= 'warn';
      const home = resolveHome();
      const options = {
        cwd: flags.cwd ?? process.cwd(),
        ...(flags.model
          ? { model: checkedOption('--model', ModelRefSchema, flags.model, MODEL_EXAMPLE) }
          : {}),
        ...(flags.mode ? { mode: checkedOption('--mode', AutonomyModeSchema, flags.mode) } : {}),
        ...(flags.maxSteps ? { maxSteps: flags.maxSteps } : {}),
      };
      const renderer = new ChunkRenderer();
      const approvals = new TerminalApprovals((approvalId, approved, reason) => {
        task.answerApproval(approvalId, approved, reason);
      });
      renderer.onApprovalRequest = (approvalId) => {
        if (approvals.interactive) return approvals.ask(approvalId);
        // After this chunk is handled, as an answer from the terminal would come.
        queueMicrotask(() =>
          task.answerApproval(
            approvalId,
            false,
            'no terminal to ask for approval; use --mode always-execute to allow',
          ),
        );
      };
      renderer.waiting();
      const task = startAgentTask(
        { taskId: newId('task'), goal: goalWords.join(' '), options },
        {
          onChunk: (chunk) => renderer.render(chunk),
          onProgress: () => {},
        },
        {
          home,
          config: loadConfig(home),
          env: process.env,
          logger: createLogger('run'),
          sandbox: await sandboxCapabilities(),
        },
      );
      let interrupted = false;
      process.on('SIGINT', () => {
        if (interrupted) process.exit(130);
        interrupted = true;
        task.stop('interrupted from the terminal');
      });
      const outcome = await task.done;
      renderer.finish();
      approvals.close();
      if (outcome.status === 'completed') return;
      const detail = outcome.status === 'error' ? outcome.error : outcome.reason;
      // An error the stream already showed is not printed a second time.
      if (!(outcome.status === 'error' && renderer.showedError(detail))) {
        process.stderr.write(
          `${styleText(outcome.status === 'error' ? 'red' : 'yellow', outcome.status)}: ${detail}\n`,
        );
      }
      process.exitCode = outcome.status === 'stopped' ? 130 : 1;
    });
}
