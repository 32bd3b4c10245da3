import * as React from 'react';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';

import { ApiError } from '../request';
import { ErrorLine } from '../panel/Section';
import { IComparison, IMetricHistory, getMetricHistory } from './api';
import { VegaLiteChart } from '../panel/VegaLiteChart';
import { historySpec } from './MetricChart';
import { formatValue } from './RunsTable';

/** A run's name as a chart shows it: two runs of the same name get their short ids, so their lines never merge. */
export function uniqueRunLabel(runs: { id: string; name: string }[], run: { id: string; name: string }): string {
  return runs.filter(r => r.name === run.name).length > 1 ? `${run.name} (${run.id.slice(0, 7)})` : run.name;
}

/** How a metric moved from the first run to the last: the signed change and whether that is better or worse. */
export function metricChange(
  delta: number | null | undefined,
  higherIsBetter: boolean | null
): { text: string; verdict: 'better' | 'worse' | 'same' | null } {
  if (delta === null || delta === undefined) {
    return { text: '—', verdict: null };
  }
  if (delta === 0) {
    return { text: '=', verdict: 'same' };
  }
  const text = `${delta > 0 ? '▲ +' : '▼ '}${formatValue(delta)}`;
  return { text, verdict: higherIsBetter === null ? null : delta > 0 === higherIsBetter ? 'better' : 'worse' };
}

/**
 * The selected runs side by side, only what differs: the hyperparameters and metrics whose values are not
 * the same in every run (the ones that agree are counted, and shown on request); each metric's change from
 * the first run to the last, coloured better or worse by the metric's direction; where the source keeps it,
 * the history of one metric for every run, the lines named by run.
 */
export function RunComparison(props: {
  comparison: IComparison;
  source: string;
  experimentId: string;
  rendermime: IRenderMimeRegistry | null | undefined;
  trans: TranslationBundle;
  onClose: () => void;
  /** Whether a higher value of the metric is better (null: the name does not say). */
  higherIsBetter: (metric: string) => boolean | null;
}): JSX.Element {
  const { comparison, trans } = props;
  const [showSame, setShowSame] = React.useState(false);
  const differing = new Set(comparison.differing);
  const allParams = Object.keys(comparison.params).sort(
    (a, b) => Number(differing.has(b)) - Number(differing.has(a)) || a.localeCompare(b)
  );
  const allMetrics = Object.keys(comparison.metrics).sort();
  const metricsDiffering = new Set(
    comparison.differing_metrics ?? allMetrics.filter(k => new Set(comparison.metrics[k]).size > 1)
  );
  const paramNames = showSame ? allParams : allParams.filter(k => differing.has(k));
  const metricNames = showSame ? allMetrics : allMetrics.filter(k => metricsDiffering.has(k));
  const sameCount = allParams.length - differing.size + allMetrics.length - metricsDiffering.size;
  const runNames = comparison.runs.map(run => run.name);
  const [historyMetric, setHistoryMetric] = React.useState<string>(metricNames[0] ?? allMetrics[0] ?? '');
  const [histories, setHistories] = React.useState<{ name: string; history: IMetricHistory }[] | null>(null);
  const [historyError, setHistoryError] = React.useState<ApiError | null>(null);
  const hasHistory = props.source === 'mlflow';

  React.useEffect(() => {
    if (!hasHistory || !historyMetric) {
      return;
    }
    let cancelled = false;
    setHistoryError(null);
    Promise.all(
      comparison.runs.map(async run => {
        try {
          const history = await getMetricHistory(props.source, props.experimentId, run.id, historyMetric);
          return { name: uniqueRunLabel(comparison.runs, run), history };
        } catch (err) {
          if (err instanceof ApiError && err.status === 404) {
            return null; // this run never logged the metric: the other line still tells the story
          }
          throw err;
        }
      })
    ).then(
      found => !cancelled && setHistories(found.filter((h): h is { name: string; history: IMetricHistory } => !!h)),
      err => !cancelled && setHistoryError(err instanceof ApiError ? err : new ApiError('error', String(err), 0))
    );
    return () => {
      cancelled = true;
    };
  }, [historyMetric, comparison]);

  const change = (name: string): JSX.Element => {
    const { text, verdict } = metricChange(comparison.metric_deltas?.[name], props.higherIsBetter(name));
    const word = verdict === 'better' ? trans.__('better') : verdict === 'worse' ? trans.__('worse') : '';
    return (
      <td
        className={`jp-StudioCollab-number${verdict === 'better' || verdict === 'worse' ? ` jp-StudioCollab-${verdict}` : ''}`}
        title={word ? trans.__('%1 from %2 to %3', word, runNames[0], runNames[runNames.length - 1]) : undefined}
      >
        {text}
        {word && <span className="jp-StudioCollab-visuallyHidden"> ({word})</span>}
      </td>
    );
  };
  const code = comparison.code;
  const data = comparison.data;
  const changes: string[] = [];
  if (code?.commit_range && !code.commit_range.same) {
    changes.push(
      trans.__('Code: commit %1 → %2', code.commit_range.from.slice(0, 7), code.commit_range.to.slice(0, 7))
    );
  }
  code?.diffs.forEach((entry, i) => {
    const summary = entry.summary;
    if (summary && summary.file_count > 0) {
      changes.push(
        trans.__(
          '%1: uncommitted changes in %2 files (+%3 −%4): %5',
          comparison.runs[i]?.name ?? entry.run_id,
          summary.file_count,
          summary.added,
          summary.removed,
          summary.files
            .map(f => f.path)
            .slice(0, 8)
            .join(', ')
        )
      );
    }
  });
  if (code && code.differing.includes('path')) {
    changes.push(trans.__('Code: different notebook or script'));
  }
  data?.differing.forEach(name => {
    const uris = (data.datasets[name] ?? []).map(d =>
      d ? `${d.uri ?? d.source ?? ''}${d.digest ? ` #${d.digest}` : ''}` : '—'
    );
    changes.push(trans.__('Data %1: %2', name, uris.join(' → ')));
  });
  return (
    <div className="jp-StudioCollab-compare" aria-label={trans.__('Run comparison')}>
      <div className="jp-StudioCollab-compareTitle">
        <h4>{trans.__('Comparison')}</h4>
        <button className="jp-mod-styled jp-mod-reject" onClick={props.onClose}>
          {trans.__('Close')}
        </button>
      </div>
      {changes.length > 0 && (
        <ul className="jp-StudioCollab-whatChanged" aria-label={trans.__('What changed in code and data')}>
          {changes.map(line => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
      <p className="jp-StudioCollab-sameNote">
        {sameCount === 0
          ? trans.__('Every hyperparameter and metric differs.')
          : trans._n(
              '%1 hyperparameter or metric is the same in every run.',
              '%1 hyperparameters and metrics are the same in every run.',
              sameCount
            )}{' '}
        {sameCount > 0 && (
          <button className="jp-StudioCollab-linkButton" onClick={() => setShowSame(!showSame)}>
            {showSame ? trans.__('Hide them') : trans.__('Show them')}
          </button>
        )}
      </p>
      <div className="jp-StudioCollab-runsWrap">
        <table className="jp-StudioCollab-runs jp-StudioCollab-compareTable">
          <thead>
            <tr>
              <th>{trans.__('Hyperparameter')}</th>
              {comparison.runs.map(run => (
                <th key={run.id} title={run.name}>
                  {run.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {paramNames.map(name => (
              <tr key={name} className={differing.has(name) ? 'jp-StudioCollab-differs' : undefined}>
                <td>
                  {name}
                  {differing.has(name) && <span className="jp-StudioCollab-differsMark">{trans.__('differs')}</span>}
                </td>
                {comparison.params[name].map((value, i) => (
                  <td key={i}>{value ?? '—'}</td>
                ))}
              </tr>
            ))}
          </tbody>
          <thead>
            <tr>
              <th>{trans.__('Metric')}</th>
              {comparison.runs.map(run => (
                <th key={run.id} title={run.name}>
                  {run.name}
                </th>
              ))}
              <th>{trans.__('Change')}</th>
            </tr>
          </thead>
          <tbody>
            {metricNames.map(name => (
              <tr key={name}>
                <td>{name}</td>
                {comparison.metrics[name].map((value, i) => (
                  <td key={i} className="jp-StudioCollab-number">
                    {formatValue(value)}
                  </td>
                ))}
                {change(name)}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {hasHistory && allMetrics.length > 0 && (
        <div className="jp-StudioCollab-history">
          <label>
            {trans.__('History of')}{' '}
            <select value={historyMetric} onChange={e => setHistoryMetric(e.target.value)}>
              {allMetrics.map(name => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </label>
          {historyError && <ErrorLine code={historyError.code} message={historyError.message} />}
          {histories && !historyError && (
            <VegaLiteChart
              rendermime={props.rendermime}
              spec={historySpec(histories, trans)}
              label={trans.__('%1 by step for the compared runs', historyMetric)}
              trans={trans}
            />
          )}
        </div>
      )}
    </div>
  );
}
