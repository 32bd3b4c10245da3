import * as React from 'react';
import { Clipboard, Notification } from '@jupyterlab/apputils';

import { politePoll } from '../polling';
import { ApiError } from '../request';
import { ErrorLine, Unavailable } from '../panel/Section';
import { ISectionProps } from '../panel/context';
import {
  IComparison,
  IOverview,
  IRun,
  IRunPage,
  compareRuns,
  getOverview,
  getRuns,
  openMlflowUi,
  IRestoreResult,
  orderClause,
  restoreRun
} from './api';
import { followJob } from '../api';
import { VegaLiteChart } from '../panel/VegaLiteChart';
import { acrossRunsSpec } from './MetricChart';
import { RunComparison } from './RunComparison';
import { RunDetails } from './RunDetails';
import { ISortState, RunsTable } from './RunsTable';

const PAGE_SIZE = 50;
const MAX_METRIC_COLUMNS = 6;
const DEFAULT_SORT: ISortState = { kind: 'attributes', key: 'start_time', descending: true };
const HIGHER_IS_BETTER = /acc|auc|f1|precision|recall|score|r2|map|ndcg|iou|dice/i;
const LOWER_IS_BETTER = /loss|err|rmse|mae|mse|mape|perplexity/i;

interface IBest {
  key: string;
  descending: boolean;
}

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

/** The Experiments section (rows E1-E5): MLflow, training jobs and legacy Experiments in one table. */
export function ExperimentsSection(props: ISectionProps): JSX.Element {
  const { trans } = props;
  const feature = props.status.features.experiments;
  const [overview, setOverview] = React.useState<IOverview | null>(null);
  const [overviewError, setOverviewError] = React.useState<ApiError | null>(null);
  const [choice, setChoice] = React.useState<string>('');
  const [sort, setSort] = React.useState<ISortState>(DEFAULT_SORT);
  const [best, setBest] = React.useState<IBest | null>(null);
  const [filterDraft, setFilterDraft] = React.useState('');
  const [filter, setFilter] = React.useState('');
  const [page, setPage] = React.useState<IRunPage | null>(null);
  const [runsError, setRunsError] = React.useState<ApiError | null>(null);
  const [loadingMore, setLoadingMore] = React.useState(false);
  const [selected, setSelected] = React.useState<string[]>([]);
  const [expanded, setExpanded] = React.useState<string | null>(null);
  const [comparison, setComparison] = React.useState<IComparison | null>(null);
  const [chartMetric, setChartMetric] = React.useState<string>('');
  const [restoring, setRestoring] = React.useState<string | null>(null);

  React.useEffect(() => {
    if (!feature.available) {
      return;
    }
    const poll = politePoll('experiments', props.pollIntervalSeconds * 3, async () => {
      try {
        const answer = await getOverview();
        setOverview(answer);
        setOverviewError(null);
        setChoice(current => current || (answer.experiments[0] ? `${answer.experiments[0].source}/${answer.experiments[0].id}` : ''));
      } catch (err) {
        setOverviewError(asApiError(err));
        throw err;
      }
    });
    return () => poll.dispose();
  }, [feature.available, props.pollIntervalSeconds]);

  const slash = choice.indexOf('/');
  const source = slash > 0 ? choice.slice(0, slash) : '';
  const experimentId = slash > 0 ? choice.slice(slash + 1) : '';
  const orderBy = orderClause(sort.kind, sort.key, sort.descending);
  const bestBy = best ? orderClause('metrics', best.key, best.descending) : null;
  const pagedBeyondFirst = React.useRef(false);

  // The first page, on every change of experiment or order, and again on each poll while only it is shown.
  React.useEffect(() => {
    if (!source) {
      return;
    }
    pagedBeyondFirst.current = false;
    const poll = politePoll('experiment-runs', props.pollIntervalSeconds, async () => {
      if (pagedBeyondFirst.current) {
        return; // polling would drop the pages the user loaded
      }
      try {
        setPage(await getRuns(source, experimentId, { orderBy, bestBy, filter, limit: PAGE_SIZE }));
        setRunsError(null);
      } catch (err) {
        setRunsError(asApiError(err));
        throw err;
      }
    });
    return () => poll.dispose();
  }, [source, experimentId, orderBy, bestBy, filter, props.pollIntervalSeconds]);

  const runs = page?.runs ?? [];
  const metricKeys = React.useMemo(() => {
    const keys = new Set<string>();
    runs.forEach(r => Object.keys(r.metrics).forEach(k => keys.add(k)));
    return [...keys].sort();
  }, [runs]);
  const paramKeys = React.useMemo(() => {
    const keys = new Set<string>();
    runs.forEach(r => Object.keys(r.params).forEach(k => keys.add(k)));
    return [...keys].sort();
  }, [runs]);

  React.useEffect(() => {
    if (!best && metricKeys.length) {
      setBest(guessBest(metricKeys));
    }
    if ((!chartMetric || !metricKeys.includes(chartMetric)) && metricKeys.length) {
      setChartMetric(best && metricKeys.includes(best.key) ? best.key : metricKeys[0]);
    }
  }, [metricKeys.join('\n')]);

  const chooseExperiment = (value: string) => {
    setChoice(value);
    setSort(DEFAULT_SORT);
    setBest(null);
    setFilter('');
    setFilterDraft('');
    setPage(null);
    setSelected([]);
    setExpanded(null);
    setComparison(null);
  };

  const onSort = (kind: ISortState['kind'], key: string) => {
    const same = sort.kind === kind && sort.key === key;
    const descending = same ? !sort.descending : kind !== 'attributes' || key === 'start_time';
    setSort({ kind, key, descending });
    if (kind === 'metrics') {
      setBest({ key, descending }); // the metric just sorted by is the one the star follows
    }
  };

  const loadMore = async () => {
    if (!page?.next_page_token) {
      return;
    }
    setLoadingMore(true);
    try {
      const next = await getRuns(source, experimentId, {
        orderBy,
        bestBy,
        filter,
        limit: PAGE_SIZE,
        pageToken: page.next_page_token
      });
      pagedBeyondFirst.current = true;
      setPage({ ...next, runs: [...page.runs, ...next.runs], best_run_id: page.best_run_id });
    } catch (err) {
      setRunsError(asApiError(err));
    } finally {
      setLoadingMore(false);
    }
  };

  const toggleSelect = (runId: string) =>
    setSelected(current =>
      current.includes(runId) ? current.filter(id => id !== runId) : [...current.slice(-1), runId]
    );

  const compare = async () => {
    try {
      setComparison(await compareRuns(source, selected));
    } catch (err) {
      const e = asApiError(err);
      Notification.error(trans.__('Cannot compare: %1', e.message));
    }
  };

  const restore = async (run: IRun) => {
    setRestoring(run.id);
    try {
      const started = await restoreRun(source, run.id);
      const job = await followJob<IRestoreResult>(started.id, () => undefined);
      if (job.state === 'succeeded' && job.result) {
        const result = job.result;
        Notification.success(trans.__('Restored %1 in %2', run.name, result.path), { autoClose: 8000 });
        await props.app.commands.execute('filebrowser:go-to-path', { path: result.path });
        if (result.opened) {
          await props.app.commands.execute('docmanager:open', { path: result.opened });
        }
      } else if (job.error) {
        Notification.error(trans.__('Cannot restore %1: %2', run.name, job.error.message));
      }
    } catch (err) {
      Notification.error(trans.__('Cannot restore %1: %2', run.name, asApiError(err).message));
    } finally {
      setRestoring(null);
    }
  };

  const openUi = async (expId: string | null, runId: string | null) => {
    // The tab opens during the click (a tab opened after an await is a blocked pop-up), then gets the link.
    const tab = window.open('about:blank', '_blank');
    if (tab) {
      tab.opener = null;
    }
    try {
      const link = await openMlflowUi(expId, runId);
      if (tab) {
        tab.location.href = link.url;
      } else {
        window.open(link.url, '_blank', 'noopener,noreferrer');
      }
    } catch (err) {
      tab?.close();
      Notification.error(trans.__('Cannot open the MLflow UI: %1', asApiError(err).message));
    }
  };

  const copySnippet = () => {
    if (overview?.tracking) {
      Clipboard.copyToSystem(overview.tracking.snippet);
      Notification.success(trans.__('Copied: paste it into a notebook cell to track runs to %1', overview.tracking.uri), {
        autoClose: 4000
      });
    }
  };

  if (!feature.available) {
    return <Unavailable reason={feature.reason} fallback={trans.__('Experiments are not available here.')} />;
  }
  if (!overview) {
    return overviewError ? (
      <ErrorLine code={overviewError.code} message={overviewError.message} />
    ) : (
      <p>{trans.__('Loading experiments…')}</p>
    );
  }
  const sourceTitle = (name: string) => overview.sources.find(s => s.name === name)?.title ?? name;
  const groups = overview.sources.filter(s => s.available);
  const tracking = overview.tracking;
  const isTrainingJobs = source === 'training-jobs';
  const shownMetrics = metricKeys
    .filter(k => k === sort.key || k === best?.key)
    .concat(metricKeys.filter(k => k !== sort.key && k !== best?.key))
    .slice(0, MAX_METRIC_COLUMNS);
  const timeOrdered = sort.kind === 'attributes' && sort.key === 'start_time' && sort.descending && !filter;
  // A run opens in the MLflow UI when it lives on this space's tracking server.
  const mlflowRunOf = (run: IRun): { experimentId: string; runId: string } | null => {
    if (source === 'mlflow') {
      return { experimentId, runId: run.id };
    }
    const link = run.details?.mlflow;
    if (tracking && link?.experiment_id && link.run_id && link.resource_arn === tracking.uri) {
      return { experimentId: link.experiment_id, runId: link.run_id };
    }
    return null;
  };
  return (
    <div className="jp-StudioCollab-experiments">
      {overview.sources
        .filter(s => !s.available)
        .map(s => (
          <p key={s.name} className="jp-StudioCollab-sourceDown">
            <strong>{s.title}:</strong> {s.reason}
          </p>
        ))}
      <div className="jp-StudioCollab-toolbar">
        {tracking && (
          <>
            <button
              className="jp-mod-styled jp-mod-accept"
              onClick={() => void openUi(source === 'mlflow' ? experimentId : null, null)}
              title={tracking.uri}
            >
              {trans.__('Open MLflow UI')}
            </button>
            <button className="jp-mod-styled jp-mod-reject" onClick={copySnippet} title={tracking.snippet}>
              {trans.__('Start tracking')}
            </button>
          </>
        )}
      </div>
      <label className="jp-StudioCollab-field">
        {trans.__('Experiment')}
        <select value={choice} onChange={e => chooseExperiment(e.target.value)} aria-label={trans.__('Experiment')}>
          {!choice && <option value="">{trans.__('Choose an experiment')}</option>}
          {groups.map(group => (
            <optgroup key={group.name} label={group.title}>
              {overview.experiments
                .filter(e => e.source === group.name)
                .map(e => (
                  <option key={`${e.source}/${e.id}`} value={`${e.source}/${e.id}`}>
                    {e.name}
                  </option>
                ))}
            </optgroup>
          ))}
        </select>
      </label>
      {source && (
        <>
          <div className="jp-StudioCollab-runControls">
            <label className="jp-StudioCollab-field">
              {trans.__('Sort by')}
              <select
                aria-label={trans.__('Sort by')}
                value={`${sort.kind}.${sort.key}`}
                onChange={e => {
                  const [kind, ...rest] = e.target.value.split('.');
                  onSort(kind as ISortState['kind'], rest.join('.'));
                }}
              >
                <option value="attributes.start_time">{trans.__('Start time')}</option>
                <option value="attributes.run_name">{trans.__('Run name')}</option>
                {metricKeys.map(k => (
                  <option key={`m${k}`} value={`metrics.${k}`}>
                    {trans.__('metric: %1', k)}
                  </option>
                ))}
                {paramKeys.map(k => (
                  <option key={`p${k}`} value={`params.${k}`}>
                    {trans.__('param: %1', k)}
                  </option>
                ))}
              </select>
            </label>
            <button
              className="jp-mod-styled jp-mod-reject"
              aria-label={sort.descending ? trans.__('Descending; switch to ascending') : trans.__('Ascending; switch to descending')}
              onClick={() => setSort({ ...sort, descending: !sort.descending })}
            >
              {sort.descending ? '▼' : '▲'}
            </button>
            {metricKeys.length > 0 && (
              <label className="jp-StudioCollab-field">
                {trans.__('Best by')}
                <select
                  aria-label={trans.__('Best by')}
                  value={best ? `${best.key}\n${best.descending}` : ''}
                  onChange={e => {
                    const [key, descending] = e.target.value.split('\n');
                    setBest({ key, descending: descending === 'true' });
                  }}
                >
                  {metricKeys.map(k => (
                    <React.Fragment key={k}>
                      <option value={`${k}\ntrue`}>{trans.__('highest %1', k)}</option>
                      <option value={`${k}\nfalse`}>{trans.__('lowest %1', k)}</option>
                    </React.Fragment>
                  ))}
                </select>
              </label>
            )}
          </div>
          <form
            className="jp-StudioCollab-filter"
            onSubmit={e => {
              e.preventDefault();
              setFilter(filterDraft.trim());
            }}
          >
            <input
              className="jp-mod-styled"
              value={filterDraft}
              onChange={e => setFilterDraft(e.target.value)}
              placeholder={
                source === 'mlflow' ? trans.__("Filter, e.g. params.lr = '0.01'") : trans.__('Filter by name')
              }
              aria-label={trans.__('Filter runs')}
            />
          </form>
          {runsError && <ErrorLine code={runsError.code} message={runsError.message} />}
          {page && !page.available && (
            <p className="jp-StudioCollab-sourceDown">
              <strong>{sourceTitle(source)}:</strong> {page.reason}
            </p>
          )}
          {page?.note && <p className="jp-StudioCollab-note">{page.note}</p>}
          {page && page.available && runs.length === 0 && <p>{trans.__('No runs yet.')}</p>}
          {runs.length > 0 && (
            <RunsTable
              runs={runs}
              metricKeys={shownMetrics}
              sort={sort}
              bestRunId={page?.best_run_id ?? null}
              timeOrdered={timeOrdered}
              selected={selected}
              expanded={expanded}
              isTrainingJobs={isTrainingJobs}
              trans={trans}
              onSort={onSort}
              onToggleSelect={toggleSelect}
              onToggleExpand={id => setExpanded(expanded === id ? null : id)}
              restoring={restoring}
              onRestore={source === 'mlflow' ? (run: IRun) => void restore(run) : undefined}
              renderDetails={(run: IRun) => (
                <RunDetails
                  run={run}
                  trans={trans}
                  mlflowRun={mlflowRunOf(run)}
                  onOpenMlflowRun={(expId, runId) => void openUi(expId, runId)}
                />
              )}
            />
          )}
          {page?.next_page_token && (
            <button className="jp-mod-styled jp-mod-reject" disabled={loadingMore} onClick={() => void loadMore()}>
              {loadingMore ? trans.__('Loading…') : trans.__('Load %1 more', PAGE_SIZE)}
            </button>
          )}
          <div className="jp-StudioCollab-compareBar">
            <span>{trans.__('%1 of 2 runs selected', selected.length)}</span>
            <button className="jp-mod-styled jp-mod-accept" disabled={selected.length !== 2} onClick={() => void compare()}>
              {trans.__('Compare')}
            </button>
            {selected.length > 0 && (
              <button className="jp-mod-styled jp-mod-reject" onClick={() => setSelected([])}>
                {trans.__('Clear')}
              </button>
            )}
          </div>
          {comparison && (
            <RunComparison
              comparison={comparison}
              source={source}
              experimentId={experimentId}
              rendermime={props.rendermime}
              trans={trans}
              onClose={() => setComparison(null)}
            />
          )}
          {metricKeys.length > 0 && (
            <div className="jp-StudioCollab-chart">
              <label className="jp-StudioCollab-field">
                {trans.__('Chart')}
                <select aria-label={trans.__('Metric to chart')} value={chartMetric} onChange={e => setChartMetric(e.target.value)}>
                  {metricKeys.map(k => (
                    <option key={k} value={k}>
                      {k}
                    </option>
                  ))}
                </select>
              </label>
              {chartMetric && (
                <VegaLiteChart
                  rendermime={props.rendermime}
                  spec={acrossRunsSpec(runs, chartMetric, trans)}
                  label={trans.__('%1 across the runs shown', chartMetric)}
                  trans={trans}
                />
              )}
            </div>
          )}
        </>
      )}
    </div>
  );
}
