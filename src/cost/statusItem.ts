import { TranslationBundle } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { Widget } from '@lumino/widgets';

import { ICostAnswer, IIdleAnswer } from './api';
import { money } from './format';
import { CostModel } from './model';

/** The status bar is always visible: it needs my cost and the idle countdown every minute, panel shown or not. */
const STATUS_BAR_NEED = { seconds: () => 60, whilePanelVisible: false };

/** The text of the status-bar item: "$0.28/h · idle stop in 34 min", each half only when it is known. */
export function statusText(
  cost: ICostAnswer | null,
  idle: IIdleAnswer | null,
  trans: TranslationBundle,
  now: number = Date.now()
): string {
  const parts: string[] = [];
  if (cost?.available) {
    parts.push(trans.__('%1/h', money(cost.burn_rate_per_hour, cost.currency)));
  }
  if (idle?.shutdown_at) {
    // The server's clock decides: shift by the difference between its time and ours.
    const skew = idle.server_time ? now - Date.parse(idle.server_time) : 0;
    const minutes = Math.max(0, Math.round((Date.parse(idle.shutdown_at) + skew - now) / 60000));
    parts.push(trans._n('idle stop in %1 min', 'idle stop in %1 min', minutes));
  }
  return parts.join(' · ');
}

/**
 * My burn rate and the idle-stop countdown in JupyterLab's status bar; a click opens the panel's Cost
 * section. Hidden where cost is not available (outside Studio without prices).
 */
export class CostStatusItem extends Widget {
  constructor(
    private readonly _trans: TranslationBundle,
    private readonly _model: CostModel,
    private readonly _onClick: () => void
  ) {
    super({ node: document.createElement('button') });
    this.addClass('jp-StudioCollab-costStatus');
    this.addClass('jp-mod-highlighted');
    this.node.setAttribute('type', 'button');
    this.node.title = _trans.__('My Studio spend per hour and when idle shutdown stops this app. Click for Cost.');
    this.node.addEventListener('click', () => this._onClick());
    const cost = _model.cost('mine');
    cost.changed.connect(this._render, this);
    _model.idle.changed.connect(this._render, this);
    this._needs = [cost.need(STATUS_BAR_NEED), _model.idle.need(STATUS_BAR_NEED)];
    // The countdown moves every minute even between polls.
    this._tick = window.setInterval(() => this._render(), 30_000);
  }

  /** Whether there is anything to show; the status bar hides the item otherwise. */
  get hasContent(): boolean {
    return this.node.textContent !== '';
  }

  dispose(): void {
    for (const need of this._needs) {
      need.dispose();
    }
    this._model.cost('mine').changed.disconnect(this._render, this);
    this._model.idle.changed.disconnect(this._render, this);
    window.clearInterval(this._tick);
    super.dispose();
  }

  private _render(): void {
    const text = statusText(this._model.cost('mine').value, this._model.idle.value, this._trans);
    this.node.textContent = text;
    this.node.setAttribute('aria-label', text ? this._trans.__('Studio cost: %1', text) : '');
    this.setHidden(text === '');
  }

  private _needs: IDisposable[];
  private _tick: number;
}
