import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { getStatus, IAvailability, IStatus } from '../api';
import { IPollContext, SharedPoll } from '../polling';
import { ApiError } from '../request';

/**
 * What every section of the panel shares: the server's status (polled once for all of them), whether the
 * sidebar panel is visible (its views' polls pause while it is hidden), the poll interval from the settings,
 * and a generation that the toolbar's Refresh bumps so each section loads anew. Feature models make their
 * polls here (`poll`), so Refresh reaches every route a view shows.
 */
export class PanelModel implements IPollContext {
  constructor() {
    this._statusPoll = this.poll('status', getStatus);
    this._statusPoll.changed.connect(() => this._changed.emit());
  }

  get status(): IStatus | null {
    return this._statusPoll.value;
  }

  get error(): ApiError | null {
    return this._statusPoll.error;
  }

  /** A feature's availability as the server lists it; a feature the server does not list is not available. */
  feature(name: string): IAvailability {
    const features: Record<string, IAvailability> | undefined = this.status?.features;
    return features?.[name] ?? { available: false, reason: null };
  }

  /** Bumped by refresh(): sections key their content on it, so a refresh re-runs every loader. */
  get generation(): number {
    return this._generation;
  }

  get pollIntervalSeconds(): number {
    return this._pollIntervalSeconds;
  }

  set pollIntervalSeconds(value: number) {
    if (value === this._pollIntervalSeconds) {
      return;
    }
    this._pollIntervalSeconds = value;
    this._changed.emit();
  }

  /** Whether the sidebar panel is shown (set by the panel widget on show and hide). */
  get visible(): boolean {
    return this._visible;
  }

  set visible(value: boolean) {
    if (value === this._visible) {
      return;
    }
    this._visible = value;
    this._changed.emit();
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** One shared poll of a route, refreshed by the toolbar's Refresh while someone shows it. */
  poll<T>(name: string, fetch: () => Promise<T>): SharedPoll<T> {
    const poll = new SharedPoll<T>(name, fetch, this);
    this._polls.push(poll);
    return poll;
  }

  /** The panel's need of the status: every 6 poll intervals while the sidebar is visible; idempotent. */
  start(): void {
    this._panelNeed ??= this._statusPoll.need({ seconds: c => c.pollIntervalSeconds * 6, whilePanelVisible: true });
  }

  /** A view outside the sidebar (the Experiments tab) needs the status while it is open. */
  needStatus(): IDisposable {
    return this._statusPoll.need({ seconds: c => c.pollIntervalSeconds * 6, whilePanelVisible: false });
  }

  async refresh(): Promise<void> {
    this._generation += 1;
    this._changed.emit();
    await Promise.all(this._polls.filter(p => p.active || p === this._statusPoll).map(p => p.refresh()));
  }

  dispose(): void {
    for (const poll of this._polls) {
      poll.dispose();
    }
    this._polls = [];
    Signal.clearData(this);
  }

  private _statusPoll: SharedPoll<IStatus>;
  private _polls: SharedPoll<any>[] = [];
  private _panelNeed: IDisposable | null = null;
  private _generation = 0;
  private _pollIntervalSeconds = 10;
  private _visible = false;
  private _changed = new Signal<this, void>(this);
}
