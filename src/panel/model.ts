import { ISignal, Signal } from '@lumino/signaling';
import { Poll } from '@lumino/polling';

import { getStatus, IStatus } from '../api';
import { politePoll } from '../polling';
import { ApiError } from '../request';

/**
 * What every section of the panel shares: the server's status (polled once for all of them), the poll
 * interval from the settings, and a generation that the toolbar's Refresh bumps so each section loads anew.
 */
export class PanelModel {
  get status(): IStatus | null {
    return this._status;
  }

  get error(): ApiError | null {
    return this._error;
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
    this._startPolling();
    this._changed.emit();
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Starts polling the status; idempotent. */
  start(): void {
    if (!this._poll) {
      this._startPolling();
    }
  }

  async refresh(): Promise<void> {
    this._generation += 1;
    this._changed.emit();
    await this._poll?.refresh();
  }

  dispose(): void {
    this._poll?.dispose();
    this._poll = null;
  }

  private _startPolling(): void {
    this._poll?.dispose();
    this._poll = politePoll('status', this._pollIntervalSeconds * 6, async () => {
      try {
        this._status = await getStatus();
        this._error = null;
        this._changed.emit();
      } catch (err) {
        this._error = err instanceof ApiError ? err : new ApiError('error', String(err), 0);
        this._changed.emit();
        throw err; // lets the poll back off
      }
    });
  }

  private _status: IStatus | null = null;
  private _error: ApiError | null = null;
  private _generation = 0;
  private _pollIntervalSeconds = 10;
  private _poll: Poll | null = null;
  private _changed = new Signal<this, void>(this);
}
