import { components } from '../openapi-types';
import { jsonInit, requestAPI } from '../request';

/**
 * Typed client of the cost feature's routes: GET cost, POST cost/stop, GET cost/spend, GET idle,
 * POST idle/keep-alive, POST idle/blockers/{kind}/{id}/shutdown, POST idle/timeout, GET domain.
 */

type Schemas = components['schemas'];

export type ICostAnswer = Schemas['CostAnswer'];
export type CostScope = ICostAnswer['scope'];
export type ICostResource = Schemas['CostResource'];
export type ResourceKind = ICostResource['kind'];
export type PriceBasis = NonNullable<ICostResource['price_basis']>;
export type IKindError = NonNullable<ICostAnswer['errors']>[number];
export type IKindSummary = NonNullable<ICostAnswer['by_kind']>[number];
export type IPriceSource = NonNullable<ICostAnswer['price_sources']>[string];
export type IBudget = NonNullable<ICostAnswer['budget']>;
export type IInventorySource = NonNullable<ICostAnswer['inventory']>;
export type IIdlePolicy = Schemas['IdlePolicy'];
/** An open kernel or terminal: Studio's idle shutdown waits until none is open. */
export type IIdleBlocker = Schemas['IdleBlocker'];
export type IdleBlockerKind = IIdleBlocker['kind'];
export type IIdleAnswer = Schemas['IdleAnswer'];
export type IDomainPosture = Schemas['DomainPosture'];
export type IFinding = IDomainPosture['findings'][number];

export function getCost(scope: CostScope): Promise<ICostAnswer> {
  return requestAPI<ICostAnswer>(`cost?scope=${scope}`);
}

export function stopResource(
  kind: ResourceKind,
  name: string
): Promise<{ kind: string; name: string; action: string }> {
  return requestAPI('cost/stop', jsonInit('POST', { kind, name }));
}

/** SageMaker's billed spend by space: tagged `sagemaker:space-arn` in Cost Explorer. */
export type ISpend = Schemas['Spend'];
export type ISpaceSpend = ISpend['by_space'][number];

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
  return requestAPI(`idle/blockers/${kind}/${encodeURIComponent(id)}/shutdown`, jsonInit('POST', {}));
}

export function setSpaceIdleTimeout(minutes: number): Promise<IIdleAnswer> {
  return requestAPI<IIdleAnswer>('idle/timeout', jsonInit('POST', { minutes }));
}

export function getDomainPosture(): Promise<IDomainPosture> {
  return requestAPI<IDomainPosture>('domain');
}
