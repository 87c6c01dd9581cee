/** One line of `viber doctor`: what was checked, how it went, and what to do about it. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  /** One line: what was found. */
  detail: string;
  /** What to do when it is not ok. */
  hint?: string;
  /** What `--fix` changed, each as one line. */
  fixed?: string[];
}

export const ok = (name: string, detail: string): CheckResult => ({ name, status: 'ok', detail });
export const warn = (name: string, detail: string, hint?: string): CheckResult => ({
  name,
  status: 'warn',
  detail,
  ...(hint ? { hint } : {}),
});
export const fail = (name: string, detail: string, hint?: string): CheckResult => ({
  name,
  status: 'fail',
  detail,
  ...(hint ? { hint } : {}),
});
