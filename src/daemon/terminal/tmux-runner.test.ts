import { describe, expect, it } from 'vitest';
import { serverEnvironment } from './tmux-runner.ts';

describe('the environment of the daemon tmux server', () => {
  it('keeps what a shell needs and drops credentials and the outer tmux', () => {
    expect(
      serverEnvironment({
        PATH: '/bin',
        HOME: '/home/v',
        OPENAI_API_KEY: 'sk',
        OPENVIBER_VIBER_TOKEN: 'ovv',
        OPENVIBER_MASTER_KEY: 'mk',
        DB_PASSWORD: 'pw',
        TMUX: '/tmp/tmux-0/default,1,0',
        TMUX_PANE: '%1',
      }),
    ).toEqual({ PATH: '/bin', HOME: '/home/v' });
  });
});
