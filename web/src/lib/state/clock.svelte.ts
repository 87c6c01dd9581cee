/** "Now" for relative times ("3 min ago"), advanced every 20 s: display only, nothing is fetched. */
class Clock {
  now = $state(Date.now());

  constructor() {
    if (typeof window !== 'undefined') setInterval(() => (this.now = Date.now()), 20_000);
  }
}

export const clock = new Clock();
