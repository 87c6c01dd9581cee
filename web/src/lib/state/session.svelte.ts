/**
 * Whether this browser is signed in. The session itself is an HttpOnly cookie the page cannot
 * read: the board learns it expired when the gateway answers 401, and then offers to sign in again.
 */
class SessionState {
  status = $state<'signed-in' | 'expired'>('signed-in');
  message = $state('');

  expired(message?: string): void {
    this.status = 'expired';
    this.message = message ?? 'Your session has ended.';
  }

  signedIn(): void {
    this.status = 'signed-in';
    this.message = '';
  }
}

export const session = new SessionState();

/** Where the sign-in page should send the browser back to. */
export function loginHref(next: string): string {
  return next && next !== '/' ? `/login?next=${encodeURIComponent(next)}` : '/login';
}
