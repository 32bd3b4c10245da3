import { jsonInit, requestAPI } from '../request';

/**
 * Typed client of the cost feature's routes: GET cost, POST cost/stop, GET cost/spend, GET idle,
 * POST idle/keep-alive, POST idle/blockers/{kind}/{id}/shutdown, POST idle/timeout, GET domain.
 */

export type CostScope = 'domain' | 'mine';

export type ResourceKind =
  | 'app'
  | 'notebook_instance'
  | 'endpoint'
  | 'training_job'
  | 'processing_job'
  | 'transform_job'
  | 'mlflow_tracking_server'
  | 'space_storage'
  | 'warm_pool'
  | 'inference_component'
  | 'scheduled_notebook_job'
  | 'mlflow_app';

export type StoppableKind = 'notebook_instance' | 'app' | 'mlflow_tracking_server';

export type PriceBasis =
  | 'override'
  | 'price_list'
  | 'component'
  | 'studio_classic_table'
  | 'us_east_1_single_rate'
  | 'not_billed'
  | 'included'
  | 'no_hourly_charge'
  | 'none';

export interface ICostResource {
  kind: ResourceKind;
  name: string;
  arn: string | null;
  instance_type: string | null;
  count: number | null;
  status: string | null;
  started: string | null;
  hourly_price: number | null;
  unit_price: number | null;
  accrued: number | null;
  owner: string | null;
  space: string | null;
  meter: string | null;
  price_estimate: boolean;
  price_basis: PriceBasis;
  /** Key into ICostAnswer.price_sources. */
  price_source: string;
  mine: boolean;
  can_stop: boolean;
  idle: boolean | null;
  this_app?: boolean;
  app_type?: string;
  variant?: string;
  /** space_storage: the volume's size and its USD per GB-month. */
  storage_gb?: number;
  gb_month_price?: number | null;
  /** scheduled_notebook_job: bills only while a run executes, at this rate. */
  billing?: 'per_run';
  run_hourly_price?: number | null;
  notebook?: string | null;
  endpoint?: string | null;
}

export interface IKindError {
  kind: ResourceKind;
  code: string;
  message: string;
  stale: boolean;
}

export interface IKindSummary {
  kind: ResourceKind;
  count: number;
  burn_rate_per_hour: number;
  accrued: number;
  unpriced: number;
}

export interface IPriceSource {
  usd_per_hour: number | null;
  estimate: boolean;
  basis: PriceBasis;
  source: string;
  as_of: string | null;
}

export interface IBudget {
  scope: 'user_profile' | 'domain';
  name: string | null;
  amount: number;
  month: string;
  month_to_date: number;
  forecast: number;
  source: 'actual' | 'estimate';
  percent_used: number;
  percent_forecast: number;
  thresholds: number[];
  crossed: number[];
  forecast_crosses: number[];
  note?: string;
}

export interface IInventorySource {
  shared: boolean;
  age_seconds: number;
  refreshed_by: string | null;
  reason?: string | null;
}

export interface ICostAnswer {
  available: boolean;
  reason: string | null;
  scope: CostScope;
  currency: string;
  burn_rate_per_hour: number;
  forecast: { day: number; month: number };
  resources: ICostResource[];
  stale: boolean;
  stale_kinds: ResourceKind[];
  as_of: string | null;
  accrued_as_of: string | null;
  price_sources: Record<string, IPriceSource>;
  errors: IKindError[];
  by_kind: IKindSummary[];
  unpriced: number;
  viewer: string | null;
  budget?: IBudget | null;
  inventory?: IInventorySource;
  prices: {
    currency: string;
    bundled_as_of: string | null;
    price_list_fetched_at: string | null;
    overrides: boolean;
    excludes: string;
  };
}

export interface IIdlePolicy {
  source: 'space' | 'user_profile' | 'domain' | 'studio_collab' | 'none';
  timeout_minutes: number | null;
  range?: { min: number; max: number; source: string } | null;
}

export type IdleBlockerKind = 'kernel' | 'terminal';

/** An open kernel or terminal: Studio's idle shutdown waits until none is open. */
export interface IIdleBlocker {
  kind: IdleBlockerKind;
  id: string;
  name: string | null;
  kernel_name: string | null;
  path: string | null;
  state: string | null;
  last_activity: string | null;
}

export interface IIdleAnswer {
  last_activity: string | null;
  idle_minutes: number;
  busy: boolean;
  kernels: {
    id: string;
    name: string | null;
    execution_state: string | null;
    last_activity: string | null;
    connections: number;
  }[];
  terminals: { name: string; last_activity: string | null }[];
  blockers: IIdleBlocker[];
  policy: IIdlePolicy;
  policies: IIdlePolicy[];
  shutdown_at: string | null;
  server_time: string;
  own_shutdown: {
    enabled: boolean;
    acts: boolean;
    timeout_minutes: number | null;
    warning_minutes: number | null;
    warning: boolean;
    requested_at: string | null;
    error: string | null;
  };
  notes: string[];
}

export interface IFinding {
  id: string;
  severity: 'ok' | 'info' | 'warning';
  message: string;
}

export interface IDomainPosture {
  available: boolean;
  reason: string | null;
  domain_id: string | null;
  domain_name: string | null;
  auth_mode: string | null;
  network_access: string | null;
  vpc: { id: string | null; is_default: boolean | null };
  kms_key_id: string | null;
  execution_role: string | null;
  execution_role_full_access: boolean | null;
  verdict: 'quick' | 'manual' | 'unknown';
  findings: IFinding[];
}

export function getCost(scope: CostScope): Promise<ICostAnswer> {
  return requestAPI<ICostAnswer>(`cost?scope=${scope}`);
}

export function stopResource(
  kind: StoppableKind,
  name: string
): Promise<{ kind: string; name: string; action: string }> {
  return requestAPI('cost/stop', jsonInit('POST', { kind, name }));
}

/** One space's billed spend: tagged `sagemaker:space-arn` in Cost Explorer. */
export interface ISpaceSpend {
  space_arn: string;
  space_name: string | null;
  owner: string | null;
  amount: number;
  mine: boolean;
}

export interface ISpend {
  available: boolean;
  reason: string | null;
  period: { start: string; end: string } | null;
  total: number | null;
  currency: string;
  by_space: ISpaceSpend[];
  /** The viewer's spaces, those that billed nothing at 0. */
  mine: { space_name: string | null; space_arn: string | null; amount: number }[];
  mine_total: number | null;
  /** SageMaker spend without the space tag (notebook instances, endpoints, jobs). */
  untagged: number | null;
  untagged_label?: string;
  other_domains?: number | null;
  /** false: there is spend but none carries the tag (not activated for cost allocation). */
  tag_active: boolean | null;
  note: string | null;
}

export function getSpend(): Promise<ISpend> {
  return requestAPI<ISpend>('cost/spend');
}

export function getIdle(): Promise<IIdleAnswer> {
  return requestAPI<IIdleAnswer>('idle');
}

export function keepAlive(): Promise<IIdleAnswer> {
  return requestAPI<IIdleAnswer>('idle/keep-alive', jsonInit('POST', {}));
}

export function shutdownBlocker(
  kind: IdleBlockerKind,
  id: string
): Promise<{ kind: IdleBlockerKind; id: string; idle: IIdleAnswer }> {
  return requestAPI(
    `idle/blockers/${kind}/${encodeURIComponent(id)}/shutdown`,
    jsonInit('POST', {})
  );
}

export function setSpaceIdleTimeout(minutes: number): Promise<IIdleAnswer> {
  return requestAPI<IIdleAnswer>('idle/timeout', jsonInit('POST', { minutes }));
}

export function getDomainPosture(): Promise<IDomainPosture> {
  return requestAPI<IDomainPosture>('domain');
}

export function isStoppable(kind: ResourceKind): kind is StoppableKind {
  return kind === 'app' || kind === 'notebook_instance' || kind === 'mlflow_tracking_server';
}
