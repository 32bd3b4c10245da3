import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { ApiError } from './request';

/**
 * A polite poll (row U4): backs off on errors, pauses while the page is hidden,
 * and can be refreshed at once after the user acts.
 */
export function politePoll(name: string, intervalSeconds: number, factory: () => Promise<void>): Poll {
  const interval = Math.max(1, intervalSeconds) * 1000;
  return new Poll({
    name: `studio-collab:${name}`,
    factory,
    frequency: { interval, backoff: true, max: interval * 12 },
    standby: 'when-hidden'
  });
}

/**
 * What decides how often the panel's polls run: whether the sidebar panel is visible (polls that only the
 * panel needs pause while it is hidden, as the setting promises) and the poll interval from the settings.
 */
export interface IPollContext {
  readonly visible: boolean;
  readonly pollIntervalSeconds: number;
  readonly changed: ISignal<unknown, void>;
}

/** One consumer's need of a route: at least every `seconds` (from the context), while the panel is visible or always. */
export interface INeed {
  seconds: (context: IPollContext) => number;
  /** true: only while the sidebar panel is visible (a view of it); false: always (status bar, notifications). */
  whilePanelVisible: boolean;
}

/**
 * One route, polled once for every view that shows it: each consumer declares a need, and the one `Poll`
 * runs at the shortest interval any active need asks for, standing by when none is active (or the browser
 * tab is hidden). Views render `value`; a user action calls `refresh()`.
 */
export class SharedPoll<T> implements IDisposable {
  constructor(
    readonly name: string,
    private readonly _fetch: () => Promise<T>,
    private readonly _context: IPollContext
  ) {
    _context.changed.connect(this._update, this);
  }

  get value(): T | null {
    return this._value;
  }

  get error(): ApiError | null {
    return this._error;
  }

  /** When the value arrived (browser clock, ms), or null before the first answer. */
  get receivedAt(): number | null {
    return this._receivedAt;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Declares a need; dispose it when the consumer goes. The first need starts the poll. */
  need(need: INeed): IDisposable {
    this._needs.add(need);
    this._update();
    return {
      isDisposed: false,
      dispose: () => {
        this._needs.delete(need);
        this._update();
      }
    };
  }

  /** Sets the value from an answer that carries it (e.g. POST idle/keep-alive answers GET idle's shape). */
  set(value: T): void {
    this._value = value;
    this._receivedAt = Date.now();
    this._error = null;
    this._changed.emit();
  }

  /** Whether a need is active now (the panel's Refresh asks only the routes someone shows). */
  get active(): boolean {
    return this._interval() !== null;
  }

  /** Fetches now (after a user action), whether or not a need is active. */
  async refresh(): Promise<void> {
    if (!this._poll) {
      await this._tick().catch(() => undefined); // the error is in `error`
      return;
    }
    this._forced = true;
    await this._poll.refresh();
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._context.changed.disconnect(this._update, this);
    this._poll?.dispose();
    this._poll = null;
    Signal.clearData(this);
  }

  /** The shortest interval an active need asks for (ms), or null when no need is active. */
  private _interval(): number | null {
    let seconds: number | null = null;
    for (const need of this._needs) {
      if (need.whilePanelVisible && !this._context.visible) {
        continue;
      }
      const s = Math.max(1, need.seconds(this._context));
      seconds = seconds === null ? s : Math.min(seconds, s);
    }
    return seconds === null ? null : seconds * 1000;
  }

  private _update(): void {
    if (this._disposed) {
      return;
    }
    const interval = this._interval();
    if (interval === null) {
      return; // the poll stands by (see _standby) at its last frequency
    }
    if (!this._poll) {
      this._poll = new Poll({
        name: `studio-collab:${this.name}`,
        factory: () => this._tick(),
        frequency: { interval, backoff: true, max: interval * 12 },
        standby: () => this._standby()
      });
      return;
    }
    const previous = this._poll.frequency.interval;
    this._poll.frequency = { interval, backoff: true, max: interval * 12 };
    // A shorter interval (the panel was shown, a view asking more often mounted, or the setting lowered) asks at
    // once when the value is older, else when it will be: the tick scheduled at the longer interval would wait.
    if (interval < previous) {
      const elapsed = Date.now() - this._askedAt;
      if (elapsed >= interval) {
        void this.refresh();
      } else {
        void this._poll.schedule({ interval: interval - elapsed });
      }
    }
  }

  private _standby(): boolean {
    if (this._forced) {
      this._forced = false;
      return false;
    }
    const interval = this._interval();
    if (interval === null || document.visibilityState === 'hidden') {
      return true;
    }
    // ticks scheduled at an earlier, shorter interval do not ask sooner than the active needs want
    return Date.now() - this._askedAt < interval * 0.9;
  }

  private async _tick(): Promise<void> {
    this._askedAt = Date.now();
    try {
      this._value = await this._fetch();
      this._receivedAt = Date.now();
      this._error = null;
      this._changed.emit();
    } catch (err) {
      this._error = err instanceof ApiError ? err : new ApiError('error', String(err), 0);
      this._changed.emit();
      throw err; // lets the poll back off
    }
  }

  private _needs = new Set<INeed>();
  private _poll: Poll | null = null;
  private _value: T | null = null;
  private _error: ApiError | null = null;
  private _askedAt = 0;
  private _receivedAt: number | null = null;
  private _forced = false;
  private _disposed = false;
  private _changed = new Signal<this, void>(this);
}
