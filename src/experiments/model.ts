import { IStateDB } from '@jupyterlab/statedb';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { followJob } from '../api';
import { politePoll } from '../polling';
import { ApiError } from '../request';
import {
  IComparison,
  IOverview,
  IRestoreResult,
  IRun,
  IRunPage,
  compareRuns,
  getOverview,
  getRuns,
  orderClause,
  restoreRun
} from './api';

export const PAGE_SIZE = 50;
/** The server's cap on one comparison (MAX_COMPARE in studio_collab/experiments/service.py). */
export const MAX_COMPARE = 10;
export const MIN_COMPARE = 2;

export interface ISortState {
  kind: 'metrics' | 'params' | 'attributes';
  key: string;
  descending: boolean;
}

/** A column of the runs table beyond the fixed ones: a metric or a hyperparameter, by key. */
export interface IRunColumn {
  kind: 'metrics' | 'params';
  key: string;
}

export interface IBest {
  key: string;
  descending: boolean;
}

/** Where the column choices are kept across reloads: JupyterLab's state database, one entry for all experiments. */
export const COLUMNS_STATE_KEY = 'studio-collab:experiment-columns';

export const DEFAULT_SORT: ISortState = { kind: 'attributes', key: 'start_time', descending: true };
const HIGHER_IS_BETTER = /acc|auc|f1|precision|recall|score|r2|map|ndcg|iou|dice/i;
const LOWER_IS_BETTER = /loss|err|rmse|mae|mse|mape|perplexity/i;

function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError('error', String(err), 0);
}

/** A first guess at "best": a metric that reads as a score (higher) or an error (lower); the user can change it. */
export function guessBest(keys: string[]): IBest | null {
  const score = keys.find(k => HIGHER_IS_BETTER.test(k) && !LOWER_IS_BETTER.test(k));
  if (score) {
    return { key: score, descending: true };
  }
  const error = keys.find(k => LOWER_IS_BETTER.test(k));
  if (error) {
    return { key: error, descending: false };
  }
  return keys.length ? { key: keys[0], descending: true } : null;
}

/**
 * Whether a higher value of a metric is better: the user's "best by" choice decides for its metric; other
 * metrics by their name (a score is better higher, an error or loss lower); null when the name says nothing.
 */
export function higherIsBetter(metric: string, best: IBest | null): boolean | null {
  if (best && best.key === metric) {
    return best.descending;
  }
  if (LOWER_IS_BETTER.test(metric)) {
    return false;
  }
  return HIGHER_IS_BETTER.test(metric) ? true : null;
}

/**
 * The state of the Experiments views and the polls that feed it: the overview of sources and experiments,
 * the chosen experiment's runs (pages from the server, first page re-polled while it is the only one),
 * order, best, filter, selection, comparison and the restore in flight. The views only render it.
 */
export class ExperimentsModel {
  constructor(options: { pollIntervalSeconds: number; stateDB?: IStateDB | null }) {
    this._pollIntervalSeconds = options.pollIntervalSeconds;
    this._stateDB = options.stateDB ?? null;
    void this._restoreColumns();
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get overview(): IOverview | null {
    return this._overview;
  }
  get overviewError(): ApiError | null {
    return this._overviewError;
  }
  get choice(): string {
    return this._choice;
  }
  get source(): string {
    const slash = this._choice.indexOf('/');
    return slash > 0 ? this._choice.slice(0, slash) : '';
  }
  get experimentId(): string {
    const slash = this._choice.indexOf('/');
    return slash > 0 ? this._choice.slice(slash + 1) : '';
  }
  get sort(): ISortState {
    return this._sort;
  }
  get best(): IBest | null {
    return this._best;
  }
  get filter(): string {
    return this._filter;
  }
  get page(): IRunPage | null {
    return this._page;
  }
  get runs(): IRun[] {
    return this._page?.runs ?? [];
  }
  get runsError(): ApiError | null {
    return this._runsError;
  }
  get loadingMore(): boolean {
    return this._loadingMore;
  }
  get selected(): string[] {
    return this._selected;
  }
  get expanded(): string | null {
    return this._expanded;
  }
  get comparison(): IComparison | null {
    return this._comparison;
  }
  get compareError(): ApiError | null {
    return this._compareError;
  }
  get chartMetric(): string {
    return this._chartMetric;
  }
  /**
   * Whether the across-runs chart is drawn. Only once the user asks: the first chart loads and compiles
   * JupyterLab's Vega renderer (~160 ms of main thread), which would otherwise land on the tab's opening.
   */
  get chartShown(): boolean {
    return this._chartShown;
  }
  get restoring(): string | null {
    return this._restoring;
  }
  /** Every metric name of the runs loaded, sorted. */
  get metricKeys(): string[] {
    return this._metricKeys;
  }
  get paramKeys(): string[] {
    return this._paramKeys;
  }
  /** The metric and param columns the user chose for the chosen experiment; null until they choose. */
  get columnChoice(): IRunColumn[] | null {
    return this._columns.get(this._choice) ?? null;
  }
  /** Start-time order, newest first, unfiltered: the "ago" column counts iterations back. */
  get timeOrdered(): boolean {
    const sort = this._sort;
    return sort.kind === 'attributes' && sort.key === 'start_time' && sort.descending && !this._filter;
  }
  /** Milliseconds from asking for the chosen experiment's first page to having it (for the budget). */
  get firstPageMs(): number | null {
    return this._firstPageMs;
  }

  set pollIntervalSeconds(value: number) {
    if (value !== this._pollIntervalSeconds) {
      this._pollIntervalSeconds = value;
      if (this._overviewPoll) {
        this._startOverviewPoll();
        this._startRunsPoll();
      }
    }
  }

  /** Starts the polls; idempotent. */
  start(): void {
    if (!this._overviewPoll) {
      this._startOverviewPoll();
    }
  }

  dispose(): void {
    this._disposed = true;
    this._overviewPoll?.dispose();
    this._runsPoll?.dispose();
    this._overviewPoll = this._runsPoll = null;
    Signal.clearData(this);
  }

  chooseExperiment(value: string): void {
    this._choice = value;
    this._sort = DEFAULT_SORT;
    this._best = null;
    this._filter = '';
    this._page = null;
    this._selected = [];
    this._expanded = null;
    this._comparison = null;
    this._setKeys([]);
    this._startRunsPoll();
    this._changed.emit();
  }

  /** Sorts by a column: the same column again flips the direction; a metric sorted by is what "best" follows. */
  sortBy(kind: ISortState['kind'], key: string): void {
    const same = this._sort.kind === kind && this._sort.key === key;
    const descending = same ? !this._sort.descending : kind !== 'attributes' || key === 'start_time';
    this._sort = { kind, key, descending };
    if (kind === 'metrics') {
      this._best = { key, descending };
    }
    this._reload();
  }

  /** Keeps the user's columns for the chosen experiment, across reloads when the state database is there. */
  setColumns(columns: IRunColumn[]): void {
    this._columns.set(this._choice, columns);
    this._changed.emit();
    const saved: ReadonlyPartialJSONObject = Object.fromEntries(
      [...this._columns].map(([choice, chosen]) => [choice, chosen.map(({ kind, key }) => ({ kind, key }))])
    );
    void this._stateDB?.save(COLUMNS_STATE_KEY, saved);
  }

  flipSortDirection(): void {
    this._sort = { ...this._sort, descending: !this._sort.descending };
    this._reload();
  }

  setBest(best: IBest): void {
    this._best = best;
    this._reload();
  }

  setFilter(filter: string): void {
    this._filter = filter.trim();
    this._reload();
  }

  setChartMetric(metric: string): void {
    this._chartMetric = metric;
    this._changed.emit();
  }

  setChartShown(shown: boolean): void {
    this._chartShown = shown;
    this._changed.emit();
  }

  toggleExpanded(runId: string): void {
    this._expanded = this._expanded === runId ? null : runId;
    this._changed.emit();
  }

  /** Adds or removes a run from the selection; past the server's cap the oldest pick makes room. */
  toggleSelected(runId: string): void {
    const current = this._selected;
    this._selected = current.includes(runId)
      ? current.filter(id => id !== runId)
      : [...current.slice(-(MAX_COMPARE - 1)), runId];
    this._changed.emit();
  }

  clearSelection(): void {
    this._selected = [];
    this._changed.emit();
  }

  closeComparison(): void {
    this._comparison = null;
    this._changed.emit();
  }

  async compare(): Promise<void> {
    if (this._selected.length < MIN_COMPARE) {
      return;
    }
    try {
      this._comparison = await compareRuns(this.source, this._selected);
      this._compareError = null;
    } catch (err) {
      this._compareError = asApiError(err);
    }
    this._changed.emit();
  }

  async loadMore(): Promise<void> {
    const page = this._page;
    if (!page?.next_page_token || this._loadingMore) {
      return;
    }
    const asked = this._generation;
    this._loadingMore = true;
    this._changed.emit();
    try {
      const next = await getRuns(this.source, this.experimentId, { ...this._query(), pageToken: page.next_page_token });
      if (asked === this._generation) {
        this._pagedBeyondFirst = true;
        this._page = { ...next, runs: [...page.runs, ...next.runs], best_run_id: page.best_run_id };
        this._updateKeys();
      }
    } catch (err) {
      this._runsError = asApiError(err);
    } finally {
      this._loadingMore = false;
      this._changed.emit();
    }
  }

  /** Runs the restore job of a run; resolves to its result, or throws an ApiError with the job's error. */
  async restore(run: IRun): Promise<IRestoreResult> {
    this._restoring = run.id;
    this._changed.emit();
    try {
      const started = await restoreRun(this.source, run.id);
      const job = await followJob<IRestoreResult>(started.id, () => undefined);
      if (job.state === 'succeeded' && job.result) {
        return job.result;
      }
      throw new ApiError(job.error?.code ?? 'restore_failed', job.error?.message ?? job.state, 0);
    } finally {
      this._restoring = null;
      this._changed.emit();
    }
  }

  private _query() {
    const best = this._best;
    return {
      orderBy: orderClause(this._sort.kind, this._sort.key, this._sort.descending),
      bestBy: best ? orderClause('metrics', best.key, best.descending) : null,
      filter: this._filter,
      limit: PAGE_SIZE
    };
  }

  /** A new order, best or filter: the first page again, and the selection kept (runs are named by id). */
  private _reload(): void {
    this._startRunsPoll();
    this._changed.emit();
  }

  private _startOverviewPoll(): void {
    this._overviewPoll?.dispose();
    this._overviewPoll = politePoll('experiments', this._pollIntervalSeconds * 3, async () => {
      try {
        const answer = await getOverview();
        this._overview = answer;
        this._overviewError = null;
        if (!this._choice && answer.experiments[0]) {
          this._choice = `${answer.experiments[0].source}/${answer.experiments[0].id}`;
          this._startRunsPoll();
        }
        this._changed.emit();
      } catch (err) {
        this._overviewError = asApiError(err);
        this._changed.emit();
        throw err;
      }
    });
  }

  // The first page, on every change of experiment or order, and again on each poll while only it is shown.
  private _startRunsPoll(): void {
    this._runsPoll?.dispose();
    this._runsPoll = null;
    this._generation += 1;
    this._pagedBeyondFirst = false;
    if (!this.source) {
      return;
    }
    const generation = this._generation;
    const source = this.source;
    const experimentId = this.experimentId;
    const started = performance.now();
    this._firstPageMs = null;
    this._runsPoll = politePoll('experiment-runs', this._pollIntervalSeconds, async () => {
      if (this._pagedBeyondFirst) {
        return; // polling would drop the pages the user loaded
      }
      try {
        const query = this._query();
        const page = await getRuns(source, experimentId, query);
        if (generation !== this._generation) {
          return;
        }
        this._page = page;
        this._runsError = null;
        this._firstPageMs = this._firstPageMs ?? performance.now() - started;
        this._updateKeys();
        this._changed.emit();
        if (!query.bestBy && this._best) {
          // "Best" was only guessed from the metrics this page shows: ask again at once, so the best run is
          // starred now and not a poll later.
          const starred = await getRuns(source, experimentId, this._query());
          if (generation === this._generation && !this._pagedBeyondFirst) {
            this._page = starred;
            this._updateKeys();
            this._changed.emit();
          }
        }
      } catch (err) {
        if (generation === this._generation) {
          this._runsError = asApiError(err);
          this._changed.emit();
        }
        throw err;
      }
    });
  }

  private _updateKeys(): void {
    const metrics = new Set<string>();
    const params = new Set<string>();
    for (const run of this.runs) {
      Object.keys(run.metrics).forEach(k => metrics.add(k));
      Object.keys(run.params).forEach(k => params.add(k));
    }
    this._setKeys([...metrics].sort(), [...params].sort());
  }

  private _setKeys(metricKeys: string[], paramKeys: string[] = []): void {
    this._metricKeys = metricKeys;
    this._paramKeys = paramKeys;
    if (!metricKeys.length) {
      return;
    }
    if (!this._best) {
      this._best = guessBest(metricKeys);
    }
    if (!this._chartMetric || !metricKeys.includes(this._chartMetric)) {
      this._chartMetric = this._best && metricKeys.includes(this._best.key) ? this._best.key : metricKeys[0];
    }
  }

  /** Reads the saved column choices; a choice made before they arrive wins over the saved one. */
  private async _restoreColumns(): Promise<void> {
    if (!this._stateDB) {
      return;
    }
    let saved: ReadonlyPartialJSONObject | undefined;
    try {
      saved = (await this._stateDB.fetch(COLUMNS_STATE_KEY)) as ReadonlyPartialJSONObject | undefined;
    } catch {
      return; // a broken saved entry only costs the saved choice, never the tab
    }
    if (this._disposed || !saved) {
      return;
    }
    for (const [choice, columns] of Object.entries(saved)) {
      if (!this._columns.has(choice) && Array.isArray(columns)) {
        this._columns.set(
          choice,
          (columns as IRunColumn[]).filter(
            c => (c?.kind === 'metrics' || c?.kind === 'params') && typeof c.key === 'string'
          )
        );
      }
    }
    this._changed.emit();
  }

  private _stateDB: IStateDB | null;
  private _disposed = false;
  private _pollIntervalSeconds: number;
  private _overviewPoll: Poll | null = null;
  private _runsPoll: Poll | null = null;
  private _generation = 0;
  private _pagedBeyondFirst = false;
  private _overview: IOverview | null = null;
  private _overviewError: ApiError | null = null;
  private _choice = '';
  private _sort: ISortState = DEFAULT_SORT;
  private _best: IBest | null = null;
  private _filter = '';
  private _page: IRunPage | null = null;
  private _runsError: ApiError | null = null;
  private _loadingMore = false;
  private _selected: string[] = [];
  private _expanded: string | null = null;
  private _comparison: IComparison | null = null;
  private _compareError: ApiError | null = null;
  private _chartMetric = '';
  private _chartShown = false;
  private _restoring: string | null = null;
  private _metricKeys: string[] = [];
  private _columns = new Map<string, IRunColumn[]>();
  private _paramKeys: string[] = [];
  private _firstPageMs: number | null = null;
  private _changed = new Signal<this, void>(this);
}
