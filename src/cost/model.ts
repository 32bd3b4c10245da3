import { PanelModel } from '../panel/model';
import { SharedPoll } from '../polling';
import {
  CostScope,
  getCost,
  getIdle,
  getSpend,
  ICostAnswer,
  ICostResource,
  IdleBlockerKind,
  IIdleAnswer,
  ISpend,
  keepAlive,
  setSpaceIdleTimeout,
  shutdownBlocker,
  stopResource
} from './api';

/**
 * The cost feature's state, shared by the Cost section, the status-bar item and the idle-shutdown warning:
 * one poll per route (`GET idle` once for all three, `GET cost?scope=mine` once for the section and the
 * status bar), and the actions that change them. Views declare how often they need a route and render.
 */
export class CostModel {
  constructor(panel: PanelModel) {
    this.idle = panel.poll('idle', getIdle);
    this.spend = panel.poll('cost-spend', getSpend);
    this._cost = {
      mine: panel.poll('cost-mine', () => getCost('mine')),
      domain: panel.poll('cost-domain', () => getCost('domain'))
    };
  }

  /** GET idle: this app's idleness and the idle-shutdown countdown. */
  readonly idle: SharedPoll<IIdleAnswer>;

  /** GET cost/spend: billed spend by space (Cost Explorer, changes daily; asked when the section opens). */
  readonly spend: SharedPoll<ISpend>;

  /** GET cost for one scope. */
  cost(scope: CostScope): SharedPoll<ICostAnswer> {
    return this._cost[scope];
  }

  /** Stops a row the server offered to stop (`can_stop`), then asks both scopes again. */
  async stop(resource: ICostResource): Promise<void> {
    await stopResource(resource.kind, resource.name);
    await Promise.all([this._cost.mine.refresh(), this._cost.domain.refresh()]);
  }

  async keepAlive(): Promise<void> {
    this.idle.set(await keepAlive());
  }

  async shutDownBlocker(kind: IdleBlockerKind, id: string): Promise<void> {
    this.idle.set((await shutdownBlocker(kind, id)).idle);
  }

  async setIdleTimeout(minutes: number): Promise<void> {
    this.idle.set(await setSpaceIdleTimeout(minutes));
  }

  private _cost: Record<CostScope, SharedPoll<ICostAnswer>>;
}
