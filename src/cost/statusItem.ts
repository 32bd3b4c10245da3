import { TranslationBundle } from '@jupyterlab/translation';
import { Poll } from '@lumino/polling';
import { Widget } from '@lumino/widgets';

import { politePoll } from '../polling';
import { getCost, getIdle, ICostAnswer, IIdleAnswer } from './api';
import { money } from './format';

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
    private readonly _onClick: () => void
  ) {
    super({ node: document.createElement('button') });
    this.addClass('jp-StudioCollab-costStatus');
    this.addClass('jp-mod-highlighted');
    this.node.setAttribute('type', 'button');
    this.node.title = _trans.__('My Studio spend per hour and when idle shutdown stops this app. Click for Cost.');
    this.node.addEventListener('click', () => this._onClick());
    this._poll = politePoll('cost-status', 60, async () => {
      const [cost, idle] = await Promise.all([
        getCost('mine').catch(() => null),
        getIdle().catch(() => null)
      ]);
      this._cost = cost;
      this._idle = idle;
      this._render();
    });
    // The countdown moves every minute even between polls.
    this._tick = window.setInterval(() => this._render(), 30_000);
  }

  /** Whether there is anything to show; the status bar hides the item otherwise. */
  get hasContent(): boolean {
    return this.node.textContent !== '';
  }

  dispose(): void {
    this._poll.dispose();
    window.clearInterval(this._tick);
    super.dispose();
  }

  private _render(): void {
    const text = statusText(this._cost, this._idle, this._trans);
    this.node.textContent = text;
    this.node.setAttribute('aria-label', text ? this._trans.__('Studio cost: %1', text) : '');
    this.setHidden(text === '');
  }

  private _poll: Poll;
  private _tick: number;
  private _cost: ICostAnswer | null = null;
  private _idle: IIdleAnswer | null = null;
}
