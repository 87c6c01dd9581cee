/**
 * An AbortController for one connection that also aborts when the caller's signal does;
 * `dispose` ends the connection and unlinks it, so a long-lived signal does not collect listeners.
 */
export function linkedController(parent: AbortSignal | undefined): AbortController & { dispose(): void } {
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) onAbort();
  else parent?.addEventListener('abort', onAbort, { once: true });
  return Object.assign(controller, {
    dispose() {
      parent?.removeEventListener('abort', onAbort);
      controller.abort();
    },
  });
}
