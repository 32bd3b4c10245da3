import * as React from 'react';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';

import { ApiError } from '../request';
import { ErrorLine } from '../panel/Section';
import { IComparison, IMetricHistory, getMetricHistory } from './api';
import { VegaLiteChart } from '../panel/VegaLiteChart';
import { historySpec } from './MetricChart';
import { formatValue } from './RunsTable';

/**
 * Two runs side by side: the hyperparameters that differ first (highlighted), then the ones that agree;
 * then every metric with how it moved from the first run to the second, and, where the source keeps it,
 * the history of one metric for both runs.
 */
export function RunComparison(props: {
  comparison: IComparison;
  source: string;
  experimentId: string;
  rendermime: IRenderMimeRegistry | null | undefined;
  trans: TranslationBundle;
  onClose: () => void;
}): JSX.Element {
  const { comparison, trans } = props;
  const differing = new Set(comparison.differing);
  const paramNames = Object.keys(comparison.params).sort(
    (a, b) => Number(differing.has(b)) - Number(differing.has(a)) || a.localeCompare(b)
  );
  const metricNames = Object.keys(comparison.metrics).sort();
  const [historyMetric, setHistoryMetric] = React.useState<string>(metricNames[0] ?? '');
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
          return { name: run.name, history };
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

  const delta = (name: string): string => {
    const value = comparison.metric_deltas?.[name];
    if (value === null || value === undefined) {
      return '—';
    }
    return value === 0 ? '=' : `${value > 0 ? '▲ +' : '▼ '}${formatValue(value)}`;
  };
  const code = comparison.code;
  const data = comparison.data;
  const changes: string[] = [];
  if (code?.commit_range && !code.commit_range.same) {
    changes.push(trans.__('Code: commit %1 → %2', code.commit_range.from.slice(0, 7), code.commit_range.to.slice(0, 7)));
  }
  code?.diffs.forEach((entry, i) => {
    const summary = entry.summary;
    if (summary && summary.file_count > 0) {
      changes.push(
        trans.__('%1: uncommitted changes in %2 files (+%3 −%4): %5', comparison.runs[i]?.name ?? entry.run_id,
          summary.file_count, summary.added, summary.removed, summary.files.map(f => f.path).slice(0, 8).join(', '))
      );
    }
  });
  if (code && code.differing.includes('path')) {
    changes.push(trans.__('Code: different notebook or script'));
  }
  data?.differing.forEach(name => {
    const uris = (data.datasets[name] ?? []).map(d => (d ? `${d.uri ?? d.source ?? ''}${d.digest ? ` #${d.digest}` : ''}` : '—'));
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
                <td className="jp-StudioCollab-number">{delta(name)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {hasHistory && metricNames.length > 0 && (
        <div className="jp-StudioCollab-history">
          <label>
            {trans.__('History of')}{' '}
            <select value={historyMetric} onChange={e => setHistoryMetric(e.target.value)}>
              {metricNames.map(name => (
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
