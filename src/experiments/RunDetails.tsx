import * as React from 'react';
import { Clipboard, Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import { IRun } from './api';
import { formatTime, formatValue } from './RunsTable';

/** Python that re-runs with this run's parameters (values as logged: MLflow keeps params as text). */
export function paramsSnippet(run: IRun): string {
  const entries = Object.entries(run.params).sort(([a], [b]) => a.localeCompare(b));
  const lines = entries.map(([key, value]) => `    ${JSON.stringify(key)}: ${JSON.stringify(value)},`);
  const where = run.code?.commit
    ? ` at commit ${run.code.commit.slice(0, 12)}${run.code.dirty ? ' (with its changes)' : ''}`
    : '';
  return [
    `# the parameters of run ${JSON.stringify(run.name)} (${run.id})${where}`,
    'params = {',
    ...lines,
    '}',
    'import mlflow',
    'with mlflow.start_run():',
    '    mlflow.log_params(params)',
    '    ...  # train with params[...] here',
    ''
  ].join('\n');
}

/** One run opened in place: its hyperparameters first (the question people ask), then metrics and facts. */
export function RunDetails(props: {
  run: IRun;
  trans: TranslationBundle;
  /** Where this run is in the MLflow UI of this space's tracking server, if it is there. */
  mlflowRun: { experimentId: string; runId: string } | null;
  onOpenMlflowRun: (experimentId: string, runId: string) => void;
}): JSX.Element {
  const { run, trans } = props;
  const details = run.details ?? {};
  const facts: [string, string][] = [];
  const add = (label: string, value: string | number | null | undefined) => {
    if (value !== null && value !== undefined && value !== '') {
      facts.push([label, typeof value === 'number' ? formatValue(value) : value]);
    }
  };
  add(trans.__('Status'), details.secondary_status ? `${run.status} (${details.secondary_status})` : run.status);
  add(trans.__('Ended'), run.end_time === null ? null : formatTime(run.end_time));
  add(trans.__('User'), details.user ?? details.created_by);
  add(trans.__('Instance type'), details.instance_type);
  add(trans.__('Instance count'), details.instance_count);
  add(trans.__('Billable seconds'), details.billable_seconds);
  add(trans.__('Training seconds'), details.training_seconds);
  add(trans.__('Failure'), details.failure_reason ?? details.status_message);
  add(trans.__('Trials'), details.trials && details.trials.length ? details.trials.join(', ') : null);
  const mlflow = details.mlflow;
  const code = run.code;
  const codeFacts: [string, string][] = [];
  if (code) {
    const addCode = (label: string, value: string | null | undefined) => {
      if (value) {
        codeFacts.push([label, value]);
      }
    };
    addCode(trans.__('Repository'), code.repo_url);
    addCode(trans.__('Commit'), code.commit);
    addCode(trans.__('Branch'), code.branch);
    addCode(trans.__('File'), code.path);
    addCode(trans.__('Uploaded source'), code.source_uri);
    if (code.commit) {
      codeFacts.push([
        trans.__('Uncommitted changes'),
        code.dirty
          ? trans.__('%1 bytes in artifact %2', code.diff_bytes ?? 0, code.diff_artifact ?? '—')
          : trans.__('none')
      ]);
    }
    addCode(trans.__('Changes cut'), code.diff_capped);
    addCode(trans.__('Files left out'), code.untracked_skipped);
  }
  const dataFacts: [string, string][] = (run.data ?? []).map(d => [
    d.name || trans.__('(unnamed)'),
    [
      d.uri ?? d.source,
      d.digest ? trans.__('digest %1', d.digest) : null,
      d.schema?.length ? d.schema.join(', ') : null
    ]
      .filter(Boolean)
      .join(' · ')
  ]);
  const table = (title: string, entries: [string, string][]) =>
    entries.length > 0 && (
      <>
        <h4>{title}</h4>
        <dl className="jp-StudioCollab-kv">
          {entries.map(([key, value]) => (
            <React.Fragment key={key}>
              <dt>{key}</dt>
              <dd>{value}</dd>
            </React.Fragment>
          ))}
        </dl>
      </>
    );
  return (
    <div className="jp-StudioCollab-runDetailsBody">
      {table(
        trans.__('Hyperparameters'),
        Object.entries(run.params).sort(([a], [b]) => a.localeCompare(b))
      )}
      {Object.keys(run.params).length === 0 && <p>{trans.__('No hyperparameters were logged.')}</p>}
      {table(
        trans.__('Metrics'),
        Object.entries(run.metrics)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => [k, formatValue(v)])
      )}
      {table(trans.__('Code'), codeFacts)}
      {table(trans.__('Data'), dataFacts)}
      {table(trans.__('Details'), facts)}
      {table(trans.__('Tags'), Object.entries(run.tags))}
      {mlflow && (
        <p>
          {trans.__(
            'Logged to MLflow experiment %1, run %2',
            mlflow.experiment_name ?? mlflow.experiment_id ?? '—',
            mlflow.run_name ?? mlflow.run_id ?? '—'
          )}
        </p>
      )}
      {Object.keys(run.params).length > 0 && (
        <button
          className="jp-mod-styled jp-mod-reject"
          onClick={() => {
            Clipboard.copyToSystem(paramsSnippet(run));
            Notification.success(
              trans.__('Copied: paste it into a notebook cell to run again with these parameters.'),
              {
                autoClose: 5000
              }
            );
          }}
        >
          {trans.__('Copy parameters')}
        </button>
      )}
      {props.mlflowRun && (
        <button
          className="jp-mod-styled jp-mod-reject"
          onClick={() => props.mlflowRun && props.onOpenMlflowRun(props.mlflowRun.experimentId, props.mlflowRun.runId)}
        >
          {trans.__('Open this run in the MLflow UI')}
        </button>
      )}
    </div>
  );
}
