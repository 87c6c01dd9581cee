export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'openviber.theme';

/** Light, dark or the system's choice; only this preference is kept in the browser. */
class Theme {
  choice = $state<ThemeChoice>('system');

  load(): void {
    const stored = localStorage.getItem(KEY);
    this.choice = stored === 'light' || stored === 'dark' ? stored : 'system';
    this.#apply();
  }

  set(choice: ThemeChoice): void {
    this.choice = choice;
    if (choice === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
    this.#apply();
  }

  cycle(): void {
    this.set(this.choice === 'system' ? 'light' : this.choice === 'light' ? 'dark' : 'system');
  }

  #apply(): void {
    if (this.choice === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = this.choice;
  }
}

export const theme = new Theme();
