import * as React from 'react';
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';

import { ApiError } from '../request';
import { ErrorLine, Unavailable } from '../panel/Section';
import { ISectionProps } from '../panel/context';
import { usePoll } from '../panel/usePoll';
import { CostScope, ICostResource } from './api';
import { CostChart } from './CostChart';
import { BudgetLine } from './BudgetLine';
import { kindLabel, money } from './format';
import { IdleCard } from './IdleCard';
import { CostModel } from './model';
import { ResourceTable, rowKey } from './ResourceTable';
import { SpendCard } from './SpendCard';
import { stopConfirmation } from './stopConfirm';

/** The Cost section (C1-C5): burn rate, a chart by kind, what runs, this app's idleness. Renders the CostModel. */
export function CostSection(props: ISectionProps & { model: CostModel }): JSX.Element {
  const { trans, model } = props;
  const feature = props.status.features.cost ?? { available: false, reason: null };
  // "Mine" needs a named viewer; a shared space opened without one (no Studio cookie) starts on the domain's table.
  const [scope, setScope] = React.useState<CostScope>(props.status.studio.user ? 'mine' : 'domain');
  const [stopping, setStopping] = React.useState<string | null>(null);
  const { value: cost, error } = usePoll(
    model.cost(scope),
    feature.available ? { seconds: c => c.pollIntervalSeconds * 3, whilePanelVisible: true } : null
  );
  const { value: spend } = usePoll(model.spend, null);

  React.useEffect(() => {
    // Billed spend (optional, Cost Explorer) changes daily: once per panel (and per Refresh) is enough.
    if (feature.available) {
      void model.spend.refresh();
    }
  }, [feature.available]);

  const onStop = async (resource: ICostResource) => {
    if (!resource.can_stop) {
      return; // the server decides what may be stopped, per row
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
      await model.stop(resource);
      Notification.success(trans.__('Stopping %1 %2.', kind, resource.name), { autoClose: 5000 });
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
            <input type="radio" name="jp-StudioCollab-costScope" checked={scope === s} onChange={() => setScope(s)} />
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
          <BudgetLine budget={cost.budget ?? null} inventory={cost.inventory} currency={currency} trans={trans} />
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
          {(cost.unpriced ?? 0) > 0 && (
            <p className="jp-StudioCollab-unavailable">
              {trans._n(
                '%1 resource has no known price and is not in the total.',
                '%1 resources have no known price and are not in the total.',
                cost.unpriced ?? 0
              )}
            </p>
          )}
          {cost.stale && (
            <p className="jp-StudioCollab-stale" role="status">
              {trans.__('Showing older data: %1', cost.reason ?? '')}
            </p>
          )}
          {(cost.errors ?? [])
            .filter(e => !e.stale)
            .map(e => (
              <p key={`${e.kind}-${e.message}`} className="jp-StudioCollab-kindError">
                {kindLabel(e.kind, trans)}: {e.message}
              </p>
            ))}
          {(cost.by_kind ?? []).length > 0 && (
            <CostChart byKind={cost.by_kind ?? []} currency={currency} trans={trans} />
          )}
          <ResourceTable
            resources={cost.resources}
            priceSources={cost.price_sources ?? {}}
            currency={currency}
            trans={trans}
            onStop={resource => void onStop(resource)}
            stopping={stopping}
            incomplete={unlisted.length > 0}
          />
          <p className="jp-StudioCollab-priceNote">
            {trans.__(
              'List prices (≈ marks an estimate; hover a price for its source). Bundled table of %1%2. Excludes %3.',
              cost.prices?.bundled_as_of ?? '—',
              cost.prices?.price_list_fetched_at
                ? trans.__(', refreshed from the AWS Price List on %1', cost.prices.price_list_fetched_at)
                : '',
              cost.prices?.excludes ?? ''
            )}
          </p>
        </>
      )}
      <h4 className="jp-StudioCollab-subheading">{trans.__('This app')}</h4>
      <IdleCard trans={trans} model={model} />
    </div>
  );
}
