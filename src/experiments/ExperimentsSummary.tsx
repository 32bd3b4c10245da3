import * as React from 'react';

import { ErrorLine, Unavailable } from '../panel/Section';
import { ISectionProps } from '../panel/context';
import { ApiError } from '../request';
import { getOverview, getRuns, IExperimentRef, IRun, orderClause } from './api';
import { guessBest } from './ExperimentsSection';

const SAMPLE = 20;

interface ISummary {
  experiments: number;
  experiment: IExperimentRef | null;
  best: IRun | null;
  metric: string | null;
}

/** What the sidebar shows of Experiments: where the runs are and the best run of the latest experiment. */
export function ExperimentsSummary(props: ISectionProps & { onOpen: () => void }): JSX.Element {
  const { trans } = props;
  const feature = props.status.features.experiments;
  const [summary, setSummary] = React.useState<ISummary | null>(null);
  const [error, setError] = React.useState<ApiError | null>(null);

  React.useEffect(() => {
    if (!feature.available) {
      return;
    }
    let cancelled = false;
    (async () => {
      const overview = await getOverview();
      const experiment = overview.experiments[0] ?? null;
      let best: IRun | null = null;
      let metric: string | null = null;
      if (experiment) {
        const latest = await getRuns(experiment.source, experiment.id, {
          orderBy: orderClause('attributes', 'start_time', true),
          bestBy: null,
          filter: '',
          limit: SAMPLE
        });
        const names = new Set<string>();
        latest.runs.forEach(r => Object.keys(r.metrics).forEach(k => names.add(k)));
        const keys = [...names].sort();
        const guess = guessBest(keys);
        if (guess) {
          const ordered = await getRuns(experiment.source, experiment.id, {
            orderBy: orderClause('metrics', guess.key, guess.descending),
            bestBy: null,
            filter: '',
            limit: 1
          });
          best = ordered.runs[0] ?? null;
          metric = guess.key;
        } else {
          best = latest.runs[0] ?? null;
        }
      }
      if (!cancelled) {
        setSummary({ experiments: overview.experiments.length, experiment, best, metric });
        setError(null);
      }
    })().catch(err => {
      if (!cancelled) {
        setError(err instanceof ApiError ? err : new ApiError('error', String(err), 0));
      }
    });
    return () => {
      cancelled = true;
    };
  }, [feature.available]);

  const open = (
    <button className="jp-Button jp-mod-styled jp-mod-accept jp-StudioCollab-openExperiments" onClick={props.onOpen}>
      {trans.__('Open Experiments')}
    </button>
  );
  if (!feature.available) {
    return <Unavailable reason={feature.reason} fallback={trans.__('Experiments are not available here.')} />;
  }
  const value = summary?.best && summary.metric ? summary.best.metrics[summary.metric] : null;
  return (
    <div className="jp-StudioCollab-experimentsSummary">
      {error && <ErrorLine code={error.code} message={error.message} />}
      {!summary && !error && <p className="jp-StudioCollab-loading">{trans.__('Loading…')}</p>}
      {summary && (
        <>
          <p className="jp-StudioCollab-summaryLine">
            {trans._n('%1 experiment', '%1 experiments', summary.experiments)}
            {summary.experiment && <> · {trans.__('latest: %1', summary.experiment.name)}</>}
          </p>
          {summary.best && (
            <p className="jp-StudioCollab-summaryLine jp-StudioCollab-bestSummary" title={summary.best.name}>
              <span aria-hidden="true">★ </span>
              {summary.metric && value !== null && value !== undefined
                ? trans.__('Best run: %1 (%2 = %3)', summary.best.name, summary.metric, formatMetric(value))
                : trans.__('Latest run: %1', summary.best.name)}
            </p>
          )}
        </>
      )}
      {open}
    </div>
  );
}

function formatMetric(value: number): string {
  return Math.abs(value) >= 1000 || Number.isInteger(value) ? String(value) : value.toPrecision(4);
}
