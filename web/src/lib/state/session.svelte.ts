import type { OperatorScope, SessionView } from '#lib/protocol.ts';

/**
 * Whether this browser is signed in, and as whom. The session itself is an HttpOnly cookie the
 * page cannot read: the board learns it expired when the gateway answers 401, and then offers to
 * sign in again. `view` is `GET /api/session`: the paired device this browser is, its role and
 * scopes; the board hides what the device may not do (the gateway refuses it anyway).
 */
class SessionState {
  status = $state<'signed-in' | 'expired'>('signed-in');
  message = $state('');
  view = $state<SessionView | null>(null);
  /** Why this browser has no device key (src/lib/state/device-key.ts), or '' when it has one. */
  keyless = $state('');
  #loading: Promise<void> | undefined;

  expired(message?: string): void {
    this.status = 'expired';
    this.message = message ?? 'Your session has ended.';
    this.view = null;
    this.#loading = undefined;
  }

  /** Signed out on purpose: the next sign-in may be another device. */
  signedOut(): void {
    this.view = null;
    this.#loading = undefined;
  }

  signedIn(view?: SessionView): void {
    this.status = 'signed-in';
    this.message = '';
    if (view) this.view = view;
  }

  /** Reads who this browser is, once per sign-in (a 401 marks the session expired on its own). */
  load(fetchView: () => Promise<SessionView>): Promise<void> {
    if (this.view) return Promise.resolve();
    this.#loading ??= fetchView()
      .then((view) => {
        this.view = view;
      })
      .catch(() => {
        this.#loading = undefined;
      });
    return this.#loading;
  }

  /**
   * Whether this device holds the scope. Until the session is read, yes: the page does not flash
   * its buttons away and back, and the gateway refuses what the device may not do.
   */
  can(scope: OperatorScope): boolean {
    return !this.view || this.view.scopes.includes(scope);
  }

  /** Like `can`, but no until the session is read: for what only a few devices may see. */
  holds(scope: OperatorScope): boolean {
    return !!this.view && this.view.scopes.includes(scope);
  }
}

export const session = new SessionState();

/** Where the sign-in page should send the browser back to. */
export function loginHref(next: string): string {
  return next && next !== '/' ? `/login?next=${encodeURIComponent(next)}` : '/login';
}
