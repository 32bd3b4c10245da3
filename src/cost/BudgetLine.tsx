import * as React from 'react';
import { Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import { IBudget, IInventorySource } from './api';
import { money } from './format';

const NOTIFIED_KEY = 'studio-collab:budget-notified';

/** Raise one notification per budget, threshold and month (remembered in this browser). */
export function notifyBudget(budget: IBudget, currency: string, trans: TranslationBundle): void {
  let notified: string[] = [];
  try {
    notified = JSON.parse(window.localStorage.getItem(NOTIFIED_KEY) ?? '[]') as string[];
  } catch {
    notified = [];
  }
  for (const threshold of budget.crossed ?? []) {
    const key = `${budget.scope}:${budget.name ?? ''}:${budget.month}:${threshold}`;
    if (notified.includes(key)) {
      continue;
    }
    notified.push(key);
    const message = trans.__(
      '%1 of %2 monthly budget (%3) used: %4 so far this month, %5 forecast.',
      `${threshold} %`,
      budget.scope === 'domain' ? trans.__("the domain's") : trans.__('your'),
      money(budget.amount, currency),
      money(budget.month_to_date, currency),
      money(budget.forecast, currency)
    );
    if (threshold >= 100) {
      Notification.error(message, { autoClose: false });
    } else {
      Notification.warning(message, { autoClose: false });
    }
  }
  // Only this month's keys are kept: a new month notifies again.
  window.localStorage.setItem(NOTIFIED_KEY, JSON.stringify(notified.filter(k => k.includes(`:${budget.month}:`))));
}

/** The budget against month-to-date and forecast (C10), and whose AWS round the table shows (C8). */
export function BudgetLine(props: {
  budget: IBudget | null;
  inventory: IInventorySource | undefined;
  currency: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { budget, inventory, currency, trans } = props;
  React.useEffect(() => {
    if (budget) {
      notifyBudget(budget, currency, trans);
    }
  }, [budget?.scope, budget?.name, budget?.month, budget?.crossed?.join(',')]);
  return (
    <>
      {budget && (
        <p
          className="jp-StudioCollab-budget"
          data-source={budget.source}
          data-crossed={(budget.crossed ?? []).join(' ')}
          title={budget.note ?? ''}
        >
          {trans.__(
            'Budget %1: %2 of %3 this month (%4, %5), %6 forecast.',
            budget.scope === 'domain' ? trans.__('of the domain') : (budget.name ?? ''),
            money(budget.month_to_date, currency),
            money(budget.amount, currency),
            `${budget.percent_used} %`,
            budget.source === 'actual' ? trans.__('billed, from Cost Explorer') : trans.__('an estimate'),
            money(budget.forecast, currency)
          )}
        </p>
      )}
      {inventory && (
        <p className="jp-StudioCollab-inventorySource" title={inventory.reason ?? ''}>
          {inventory.shared
            ? trans.__(
                'Domain inventory shared by every space: read from AWS by %1, %2 s ago.',
                inventory.refreshed_by ?? '?',
                Math.round(inventory.age_seconds)
              )
            : trans.__("This space's own inventory: %1", inventory.reason ?? '')}
        </p>
      )}
    </>
  );
}
