/// <reference lib="dom" />
// The small stats box: refreshed twice a second while visible, idle otherwise.
import { formatStats, type StatsSample } from './stats-format';

export class StatsOverlay {
  private timer?: ReturnType<typeof setInterval>;

  constructor(
    private readonly box: HTMLElement,
    private readonly button: HTMLButtonElement,
    private readonly sample: () => StatsSample,
  ) {
    button.addEventListener('click', () => this.show(this.box.hidden !== false));
  }

  show(visible: boolean): void {
    this.box.hidden = !visible;
    this.button.setAttribute('aria-pressed', String(visible));
    clearInterval(this.timer);
    if (visible) {
      this.render();
      this.timer = setInterval(() => this.render(), 500);
    }
  }

  toggle(): void {
    this.show(this.box.hidden !== false);
  }

  private render(): void {
    const rows = formatStats(this.sample());
    const list = document.createElement('dl');
    for (const [label, value] of rows) {
      const dt = document.createElement('dt');
      dt.textContent = label;
      const dd = document.createElement('dd');
      dd.textContent = value;
      dd.dataset.stat = label.toLowerCase();
      list.append(dt, dd);
    }
    this.box.replaceChildren(list);
  }
}
