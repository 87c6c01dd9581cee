import { answerProbes } from './bench-child.ts';

/**
 * Loaded before `viber gateway` (`node --import bench/scale-probe.ts bin/viber.js gateway ...`):
 * the real command, answering the bench's probes over IPC (bench-child.ts) with its CPU time and,
 * after a full collection, its memory.
 */
answerProbes();
