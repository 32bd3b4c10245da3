import { URLExt } from '@jupyterlab/coreutils';

import { IJob } from '../api';
import { jsonInit, requestAPI } from '../request';

/** Typed client of the experiments routes (field names exactly as the server answers them). */

export interface ISourceState {
  name: string;
  title: string;
  available: boolean;
  reason: string | null;
}

export interface IExperimentRef {
  source: string;
  id: string;
  name: string;
}

export interface ITracking {
  uri: string;
  kind: 'url' | 'mlflow-tracking-server' | 'mlflow-app';
  origin: 'config' | 'environment' | 'studio';
  snippet: string;
}

export interface IOverview {
  sources: ISourceState[];
  experiments: IExperimentRef[];
  tracking: ITracking | null;
}

export interface IMlflowLink {
  resource_arn: string | null;
  experiment_name: string | null;
  run_name: string | null;
  experiment_id: string | null;
  run_id: string | null;
}

export interface IRunDetails {
  user?: string | null;
  instance_type?: string | null;
  instance_count?: number | null;
  billable_seconds?: number | null;
  training_seconds?: number | null;
  secondary_status?: string | null;
  failure_reason?: string | null;
  managed_spot?: boolean;
  mlflow?: IMlflowLink | null;
  trials?: string[];
  source_arn?: string | null;
  status_message?: string | null;
  created_by?: string | null;
}

/** The code a run ran: its commit and uncommitted changes (MLflow), or where a training job's code was uploaded. */
export interface IRunCode {
  repo_url: string | null;
  commit: string | null;
  branch: string | null;
  dirty: boolean;
  path: string | null;
  diff_artifact: string | null;
  diff_bytes?: number;
  diff_sha256?: string | null;
  diff_capped?: string | null;
  untracked_skipped?: string | null;
  notebook_artifact?: string | null;
  source_uri?: string | null;
  restorable?: boolean;
}

/** A dataset input of an MLflow run, or an input channel of a training job. */
export interface IRunDataset {
  name: string;
  digest: string | null;
  source: string | null;
  uri: string | null;
  schema?: string[] | null;
  context?: string | null;
}

export interface IRestoreResult {
  path: string;
  opened: string | null;
  commit?: string;
  diff_applied?: boolean;
  from?: 'worktree' | 'clone';
}

export interface IDiffSummary {
  files: { path: string; status: string; added: number; removed: number; binary?: boolean }[];
  file_count: number;
  added: number;
  removed: number;
  unavailable?: string;
}

export interface ICodeComparison {
  values: Record<string, (string | boolean | null)[]>;
  differing: string[];
  commit_range: { repo_url: string | null; from: string; to: string; same: boolean } | null;
  diffs: { run_id: string; summary: IDiffSummary | null }[];
  files_differing?: string[];
}

export interface IDataComparison {
  datasets: Record<string, ({ digest: string | null; uri: string | null; source: string | null } | null)[]>;
  differing: string[];
}

export interface IRun {
  id: string;
  name: string;
  status: string;
  start_time: number | null;
  end_time: number | null;
  params: Record<string, string>;
  metrics: Record<string, number | null>;
  tags: Record<string, string>;
  experiment_id?: string | null;
  source?: string;
  details?: IRunDetails;
  code?: IRunCode | null;
  data?: IRunDataset[];
}

export interface IRunPage {
  available: boolean;
  reason: string | null;
  runs: IRun[];
  next_page_token: string | null;
  order_by?: string;
  best_run_id?: string | null;
  note?: string | null;
}

export interface IComparison {
  runs: { id: string; name: string; status?: string; start_time?: number | null }[];
  params: Record<string, (string | null)[]>;
  metrics: Record<string, (number | null)[]>;
  differing: string[];
  differing_metrics?: string[];
  metric_deltas?: Record<string, number | null>;
  code?: ICodeComparison;
  data?: IDataComparison;
}

export interface IMetricHistory {
  run_id: string;
  key: string;
  points: { step: number; timestamp: number | null; value: number | null }[];
  truncated: boolean;
}

export interface IRunQuery {
  orderBy: string;
  bestBy: string | null;
  filter: string;
  limit: number;
  pageToken?: string | null;
}

function runsPath(source: string, experimentId: string): string {
  return `experiments/${encodeURIComponent(source)}/${encodeURIComponent(experimentId)}/runs`;
}

export function getOverview(): Promise<IOverview> {
  return requestAPI<IOverview>('experiments');
}

export function getRuns(source: string, experimentId: string, query: IRunQuery): Promise<IRunPage> {
  const params: Record<string, string> = { order_by: query.orderBy, limit: String(query.limit) };
  if (query.bestBy) {
    params.best_by = query.bestBy;
  }
  if (query.filter) {
    params.filter = query.filter;
  }
  if (query.pageToken) {
    params.page_token = query.pageToken;
  }
  return requestAPI<IRunPage>(runsPath(source, experimentId) + URLExt.objectToQueryString(params));
}

export function compareRuns(source: string, runIds: string[]): Promise<IComparison> {
  const query = URLExt.objectToQueryString({ source, runs: runIds.join(',') });
  return requestAPI<IComparison>(`experiments/compare${query}`);
}

export function getMetricHistory(
  source: string,
  experimentId: string,
  runId: string,
  key: string
): Promise<IMetricHistory> {
  const path = `${runsPath(source, experimentId)}/${encodeURIComponent(runId)}/metric-history`;
  return requestAPI<IMetricHistory>(path + URLExt.objectToQueryString({ key }));
}

export function openMlflowUi(
  experimentId: string | null,
  runId: string | null
): Promise<{ url: string; presigned: boolean }> {
  const body: Record<string, string> = {};
  if (experimentId) {
    body.experiment_id = experimentId;
  }
  if (runId) {
    body.run_id = runId;
  }
  return requestAPI('experiments/mlflow-ui', jsonInit('POST', body));
}

/** Starts the job that puts the run's commit and recorded changes into a new folder under the server root. */
export async function restoreRun(source: string, runId: string): Promise<IJob<IRestoreResult>> {
  const path = `experiments/${encodeURIComponent(source)}/runs/${encodeURIComponent(runId)}/restore`;
  return (await requestAPI<{ job: IJob<IRestoreResult> }>(path, jsonInit('POST', {}))).job;
}

/** An order clause in the server's (MLflow's) syntax; keys are always quoted so spaces and colons are safe. */
export function orderClause(kind: 'metrics' | 'params' | 'attributes', key: string, descending: boolean): string {
  const name = kind === 'attributes' ? key : `\`${key}\``;
  return `${kind}.${name} ${descending ? 'DESC' : 'ASC'}`;
}
