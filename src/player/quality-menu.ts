/// <reference lib="dom" />
// The quality button and its menu: Auto plus each rendition, best first.
import type { QualityChoice } from './quality-levels';

export interface QualitySource {
  qualityLabel(): string;
  selectedQuality(): number;
  setQuality(index: number): void;
}

export class QualityMenu {
  private choices: QualityChoice[] = [];

  constructor(
    private readonly button: HTMLButtonElement,
    private readonly menu: HTMLElement,
    private readonly source: QualitySource,
  ) {
    button.addEventListener('click', (event) => {
      event.stopPropagation();
      this.toggle(this.menu.hidden !== false);
    });
    document.addEventListener('click', () => this.toggle(false));
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.toggle(false);
    });
  }

  setChoices(choices: QualityChoice[]): void {
    this.choices = choices;
    this.button.hidden = choices.length === 0;
    this.render();
  }

  /** Refresh the label (the automatic choice changes as bandwidth does). */
  refresh(): void {
    if (!this.button.hidden) this.button.textContent = this.source.qualityLabel() || 'Quality';
  }

  private toggle(open: boolean): void {
    if (open) this.render();
    this.menu.hidden = !open;
    this.button.setAttribute('aria-expanded', String(open));
  }

  private render(): void {
    this.refresh();
    const selected = this.source.selectedQuality();
    this.menu.replaceChildren(
      ...this.choices.map((choice) => {
        const item = document.createElement('button');
        item.type = 'button';
        item.setAttribute('role', 'menuitemradio');
        item.setAttribute('aria-checked', String(choice.index === selected));
        item.dataset.level = String(choice.index);
        item.textContent = choice.label;
        item.addEventListener('click', (event) => {
          event.stopPropagation();
          this.source.setQuality(choice.index);
          this.toggle(false);
          this.refresh();
        });
        return item;
      }),
    );
  }
}
