import * as React from 'react';
import { Clipboard, Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';

import { ApiError } from '../request';
import { ErrorLine, Unavailable } from '../panel/Section';
import { ISectionProps } from '../panel/context';
import { IRun, openMlflowUi } from './api';
import { VegaLiteChart } from '../panel/VegaLiteChart';
import { acrossRunsSpec } from './MetricChart';
import { ExperimentsModel, IRunColumn, ISortState, MAX_COMPARE, MIN_COMPARE, PAGE_SIZE, higherIsBetter } from './model';
import { RunComparison } from './RunComparison';
import { RunDetails } from './RunDetails';
import { RunsTable } from './RunsTable';

const MAX_METRIC_COLUMNS = 6;

function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError('error', String(err), 0);
}

/** The filter field: what is typed stays here until Enter hands it to the model. */
function RunFilter(props: { model: ExperimentsModel; trans: TranslationBundle }): JSX.Element {
  const { model, trans } = props;
  const [draft, setDraft] = React.useState(model.filter);
  return (
    <form
      className="jp-StudioCollab-filter"
      onSubmit={e => {
        e.preventDefault();
        model.setFilter(draft);
      }}
    >
      <input
        className="jp-mod-styled"
        value={draft}
        onChange={e => setDraft(e.target.value)}
        placeholder={
          model.source === 'mlflow' ? trans.__("Filter, e.g. params.lr = '0.01'") : trans.__('Filter by name')
        }
        aria-label={trans.__('Filter runs')}
      />
    </form>
  );
}

/** The selection and what it allows: an explicit hint until two runs are picked, then Compare. */
export function compareHint(count: number, trans: TranslationBundle): string {
  if (count < MIN_COMPARE) {
    return trans.__('Select %1 or more runs to compare — %2 of %1 selected', MIN_COMPARE, count);
  }
  return trans._n('%1 run selected (up to %2)', '%1 runs selected (up to %2)', count, MAX_COMPARE);
}

function CompareBar(props: { model: ExperimentsModel; trans: TranslationBundle }): JSX.Element {
  const { model, trans } = props;
  const count = model.selected.length;
  return (
    <div className="jp-StudioCollab-compareBar">
      <span className="jp-StudioCollab-compareHint" role="status">
        {compareHint(count, trans)}
      </span>
      <button
        className="jp-mod-styled jp-mod-accept"
        disabled={count < MIN_COMPARE}
        title={
          count < MIN_COMPARE ? compareHint(count, trans) : trans.__('Show what differs between the selected runs')
        }
        onClick={() => void model.compare()}
      >
        {trans.__('Compare')}
      </button>
      {count > 0 && (
        <button className="jp-mod-styled jp-mod-reject" onClick={() => model.clearSelection()}>
          {trans.__('Clear')}
        </button>
      )}
      {model.compareError && <ErrorLine code={model.compareError.code} message={model.compareError.message} />}
    </div>
  );
}

const sameColumn = (a: IRunColumn, b: IRunColumn) => a.kind === b.kind && a.key === b.key;

/**
 * "Columns": every metric and param key of the runs loaded, each a checkbox; a column checked joins the
 * table at its end, one unchecked leaves it. A <details> so it opens from the keyboard and stays in the flow
 * of the tab (it wraps rather than widening the panel).
 */
function ColumnChooser(props: { model: ExperimentsModel; shown: IRunColumn[]; trans: TranslationBundle }): JSX.Element {
  const { model, shown, trans } = props;
  const toggle = (column: IRunColumn) =>
    model.setColumns(
      shown.some(c => sameColumn(c, column)) ? shown.filter(c => !sameColumn(c, column)) : [...shown, column]
    );
  const group = (kind: IRunColumn['kind'], keys: string[], legend: string) =>
    keys.length > 0 && (
      <fieldset className="jp-StudioCollab-columnGroup">
        <legend>{legend}</legend>
        {keys.map(key => (
          <label key={key} className="jp-StudioCollab-columnChoice">
            <input
              type="checkbox"
              checked={shown.some(c => sameColumn(c, { kind, key }))}
              onChange={() => toggle({ kind, key })}
            />
            {key}
          </label>
        ))}
      </fieldset>
    );
  return (
    <details className="jp-StudioCollab-columns">
      <summary
        className="jp-Button jp-mod-styled jp-mod-reject"
        title={trans.__('Choose the metric and param columns')}
      >
        {trans.__('Columns')}
      </summary>
      {group('metrics', model.metricKeys, trans.__('Metrics'))}
      {group('params', model.paramKeys, trans.__('Params'))}
    </details>
  );
}

export { guessBest } from './model';

/** The Experiments views (rows E1-E5): MLflow, training jobs and legacy Experiments in one table. */
export function ExperimentsSection(props: ISectionProps & { model: ExperimentsModel }): JSX.Element {
  const { model } = props;
  const feature = props.status.features.experiments;

  React.useEffect(() => {
    model.pollIntervalSeconds = props.pollIntervalSeconds;
    if (feature.available) {
      model.start();
    }
  }, [feature.available, props.pollIntervalSeconds]);

  return <UseSignal signal={model.changed}>{() => <ExperimentsView {...props} />}</UseSignal>;
}

function ExperimentsView(props: ISectionProps & { model: ExperimentsModel }): JSX.Element {
  const { trans, model } = props;
  const feature = props.status.features.experiments;
  const { overview, overviewError, sort, best, page, runs, selected, comparison } = model;
  const source = model.source;
  const experimentId = model.experimentId;
  const metricKeys = model.metricKeys;

  const restore = async (run: IRun) => {
    try {
      const result = await model.restore(run);
      Notification.success(trans.__('Restored %1 in %2', run.name, result.path), { autoClose: 8000 });
      await props.app.commands.execute('filebrowser:go-to-path', { path: result.path });
      if (result.opened) {
        await props.app.commands.execute('docmanager:open', { path: result.opened });
      }
    } catch (err) {
      Notification.error(trans.__('Cannot restore %1: %2', run.name, asApiError(err).message));
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
      Notification.success(
        trans.__('Copied: paste it into a notebook cell to track runs to %1', overview.tracking.uri),
        {
          autoClose: 4000
        }
      );
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
  // The user's pick for this experiment (keys the loaded runs still have), else the metrics above.
  const present = (c: IRunColumn) => (c.kind === 'metrics' ? metricKeys : model.paramKeys).includes(c.key);
  const columns = (model.columnChoice ?? shownMetrics.map(key => ({ kind: 'metrics' as const, key }))).filter(present);
  const timeOrdered = model.timeOrdered;
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
            <button
              className="jp-mod-styled jp-mod-reject"
              onClick={copySnippet}
              title={trans.__(
                'Copies a code snippet: paste it into a notebook cell to track its runs to %1',
                tracking.uri
              )}
            >
              {trans.__('Copy tracking code')}
            </button>
          </>
        )}
      </div>
      <label className="jp-StudioCollab-field">
        {trans.__('Experiment')}
        <select
          value={model.choice}
          onChange={e => model.chooseExperiment(e.target.value)}
          aria-label={trans.__('Experiment')}
        >
          {!model.choice && <option value="">{trans.__('Choose an experiment')}</option>}
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
                  model.sortBy(kind as ISortState['kind'], rest.join('.'));
                }}
              >
                <option value="attributes.start_time">{trans.__('Start time')}</option>
                <option value="attributes.run_name">{trans.__('Run name')}</option>
                {metricKeys.map(k => (
                  <option key={`m${k}`} value={`metrics.${k}`}>
                    {trans.__('metric: %1', k)}
                  </option>
                ))}
                {model.paramKeys.map(k => (
                  <option key={`p${k}`} value={`params.${k}`}>
                    {trans.__('param: %1', k)}
                  </option>
                ))}
              </select>
            </label>
            <button
              className="jp-mod-styled jp-mod-reject"
              aria-label={
                sort.descending
                  ? trans.__('Descending; switch to ascending')
                  : trans.__('Ascending; switch to descending')
              }
              onClick={() => model.flipSortDirection()}
            >
              {sort.descending ? trans.__('▼ descending') : trans.__('▲ ascending')}
            </button>
            {metricKeys.length > 0 && (
              <label className="jp-StudioCollab-field">
                {trans.__('Best by')}
                <select
                  aria-label={trans.__('Best by')}
                  value={best ? `${best.key}\n${best.descending}` : ''}
                  onChange={e => {
                    const [key, descending] = e.target.value.split('\n');
                    model.setBest({ key, descending: descending === 'true' });
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
          <RunFilter key={model.choice} model={model} trans={trans} />
          {runs.length > 0 && <ColumnChooser model={model} shown={columns} trans={trans} />}
          {model.runsError && <ErrorLine code={model.runsError.code} message={model.runsError.message} />}
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
              columns={columns}
              sort={sort}
              bestRunId={page?.best_run_id ?? null}
              timeOrdered={timeOrdered}
              selected={selected}
              expanded={model.expanded}
              isTrainingJobs={isTrainingJobs}
              trans={trans}
              onSort={(kind, key) => model.sortBy(kind, key)}
              onToggleSelect={id => model.toggleSelected(id)}
              onToggleExpand={id => model.toggleExpanded(id)}
              restoring={model.restoring}
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
            <button
              className="jp-mod-styled jp-mod-reject"
              disabled={model.loadingMore}
              onClick={() => void model.loadMore()}
            >
              {model.loadingMore ? trans.__('Loading…') : trans.__('Load %1 more', PAGE_SIZE)}
            </button>
          )}
          <CompareBar model={model} trans={trans} />
          {comparison && (
            <RunComparison
              comparison={comparison}
              source={source}
              experimentId={experimentId}
              rendermime={props.rendermime}
              trans={trans}
              onClose={() => model.closeComparison()}
              higherIsBetter={metric => higherIsBetter(metric, best)}
            />
          )}
          {metricKeys.length > 0 && (
            <div className="jp-StudioCollab-chart">
              <label className="jp-StudioCollab-field">
                {trans.__('Chart')}
                <select
                  aria-label={trans.__('Metric to chart')}
                  value={model.chartMetric}
                  onChange={e => model.setChartMetric(e.target.value)}
                >
                  {metricKeys.map(k => (
                    <option key={k} value={k}>
                      {k}
                    </option>
                  ))}
                </select>
              </label>
              <button
                className="jp-mod-styled jp-mod-reject"
                aria-expanded={model.chartShown}
                title={trans.__('Draw the chosen metric across the runs shown')}
                onClick={() => model.setChartShown(!model.chartShown)}
              >
                {model.chartShown ? trans.__('Hide chart') : trans.__('Show chart')}
              </button>
              {model.chartShown && model.chartMetric && (
                <VegaLiteChart
                  rendermime={props.rendermime}
                  spec={acrossRunsSpec(runs, model.chartMetric, trans)}
                  label={trans.__('%1 across the runs shown', model.chartMetric)}
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
