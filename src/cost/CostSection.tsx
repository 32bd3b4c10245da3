import * as React from 'react';
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';

import { politePoll } from '../polling';
import { ApiError } from '../request';
import { ErrorLine, Unavailable } from '../panel/Section';
import { ISectionProps } from '../panel/context';
import {
  CostScope,
  getCost,
  getSpend,
  ICostAnswer,
  ICostResource,
  ISpend,
  isStoppable,
  stopResource
} from './api';
import { CostChart } from './CostChart';
import { BudgetLine } from './BudgetLine';
import { kindLabel, money } from './format';
import { IdleCard } from './IdleCard';
import { ResourceTable, rowKey } from './ResourceTable';
import { SpendCard } from './SpendCard';
import { stopConfirmation } from './stopConfirm';

/** The Cost section (C1-C5): burn rate, a chart by kind, what runs, this app's idleness. */
export function CostSection(props: ISectionProps): JSX.Element {
  const { trans } = props;
  const feature = props.status.features.cost;
  // "Mine" needs a named viewer; a shared space opened without one (no Studio cookie) starts on the domain's table.
  const [scope, setScope] = React.useState<CostScope>(props.status.studio.user ? 'mine' : 'domain');
  const [cost, setCost] = React.useState<ICostAnswer | null>(null);
  const [error, setError] = React.useState<ApiError | null>(null);
  const [stopping, setStopping] = React.useState<string | null>(null);
  const [spend, setSpend] = React.useState<ISpend | null>(null);
  const poll = React.useRef<ReturnType<typeof politePoll> | null>(null);

  React.useEffect(() => {
    // Billed spend (optional, Cost Explorer) changes daily: once per panel is enough.
    if (feature.available) {
      getSpend().then(setSpend, () => setSpend(null));
    }
  }, [feature.available]);

  React.useEffect(() => {
    if (!feature.available) {
      return;
    }
    setCost(null);
    poll.current = politePoll(`cost-${scope}`, props.pollIntervalSeconds * 3, async () => {
      try {
        setCost(await getCost(scope));
        setError(null);
      } catch (err) {
        setError(err instanceof ApiError ? err : new ApiError('error', String(err), 0));
        throw err;
      }
    });
    return () => {
      poll.current?.dispose();
      poll.current = null;
    };
  }, [scope, props.pollIntervalSeconds, feature.available]);

  const onStop = async (resource: ICostResource) => {
    if (!isStoppable(resource.kind)) {
      return;
    }
    const kind = kindLabel(resource.kind, trans);
    const confirm = stopConfirmation(resource, cost?.currency ?? 'USD', trans);
    const answer = await showDialog({
      title: confirm.title,
      body: confirm.body,
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: confirm.label })]
    });
    if (!answer.button.accept) {
      return;
    }
    setStopping(rowKey(resource));
    try {
      await stopResource(resource.kind, resource.name);
      Notification.success(trans.__('Stopping %1 %2.', kind, resource.name), { autoClose: 5000 });
      await poll.current?.refresh();
    } catch (err) {
      const message = err instanceof ApiError ? `${err.message}` : String(err);
      Notification.error(trans.__('Could not stop %1: %2', resource.name, message), {
        autoClose: false
      });
    } finally {
      setStopping(null);
    }
  };

  if (!feature.available) {
    return <Unavailable reason={feature.reason} fallback={trans.__('Cost is not available here.')} />;
  }
  const currency = cost?.currency ?? 'USD';
  // Kinds that could not be listed and have no earlier list to show: they are missing from the total.
  const unlisted = (cost?.errors ?? []).filter(e => !e.stale && e.code !== 'partial');
  return (
    <div className="jp-StudioCollab-cost">
      <div className="jp-StudioCollab-scope" role="radiogroup" aria-label={trans.__('Show')}>
        {(['mine', 'domain'] as CostScope[]).map(s => (
          <label key={s}>
            <input
              type="radio"
              name="jp-StudioCollab-costScope"
              checked={scope === s}
              onChange={() => setScope(s)}
            />
            {s === 'mine' ? trans.__('Mine') : trans.__('Whole domain')}
          </label>
        ))}
      </div>
      {error && <ErrorLine code={error.code} message={error.message} />}
      {!cost && !error && <p>{trans.__('Loading…')}</p>}
      {cost && !cost.available && (
        <Unavailable reason={cost.reason} fallback={trans.__('Cost is not available here.')} />
      )}
      {cost && cost.available && (
        <>
          <p className="jp-StudioCollab-burn">
            <strong className="jp-StudioCollab-burnRate">
              {trans.__('%1/hour', money(cost.burn_rate_per_hour, currency))}
            </strong>{' '}
            {trans.__(
              '≈ %1/day, %2/month at this rate',
              money(cost.forecast.day, currency),
              money(cost.forecast.month, currency)
            )}
          </p>
          <BudgetLine
            budget={cost.budget ?? null}
            inventory={cost.inventory}
            currency={currency}
            trans={trans}
          />
          {unlisted.length > 0 && (
            <p className="jp-StudioCollab-unavailable jp-StudioCollab-incomplete">
              {trans._n(
                'Not in the total: %1 kind of resource could not be listed (below).',
                'Not in the total: %1 kinds of resource could not be listed (below).',
                unlisted.length
              )}
            </p>
          )}
          {spend && <SpendCard spend={spend} trans={trans} />}
          {cost.unpriced > 0 && (
            <p className="jp-StudioCollab-unavailable">
              {trans._n(
                '%1 resource has no known price and is not in the total.',
                '%1 resources have no known price and are not in the total.',
                cost.unpriced
              )}
            </p>
          )}
          {cost.stale && (
            <p className="jp-StudioCollab-stale" role="status">
              {trans.__('Showing older data: %1', cost.reason ?? '')}
            </p>
          )}
          {cost.errors
            .filter(e => !e.stale)
            .map(e => (
              <p key={`${e.kind}-${e.message}`} className="jp-StudioCollab-kindError">
                {kindLabel(e.kind, trans)}: {e.message}
              </p>
            ))}
          {cost.by_kind.length > 0 && (
            <CostChart
              rendermime={props.rendermime ?? null}
              byKind={cost.by_kind}
              currency={currency}
              trans={trans}
            />
          )}
          <ResourceTable
            resources={cost.resources}
            priceSources={cost.price_sources}
            currency={currency}
            trans={trans}
            onStop={resource => void onStop(resource)}
            stopping={stopping}
            incomplete={unlisted.length > 0}
          />
          <p className="jp-StudioCollab-priceNote">
            {trans.__(
              'List prices (≈ marks an estimate; hover a price for its source). Bundled table of %1%2. Excludes %3.',
              cost.prices.bundled_as_of ?? '—',
              cost.prices.price_list_fetched_at
                ? trans.__(', refreshed from the AWS Price List on %1', cost.prices.price_list_fetched_at)
                : '',
              cost.prices.excludes
            )}
          </p>
        </>
      )}
      <h4 className="jp-StudioCollab-subheading">{trans.__('This app')}</h4>
      <IdleCard trans={trans} pollIntervalSeconds={props.pollIntervalSeconds} />
    </div>
  );
}
