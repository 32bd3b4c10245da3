import * as React from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { ISpend } from './api';
import { money } from './format';

/**
 * Billed spend of the last 30 days (C6, Cost Explorer): the viewer's spaces, the rest of the domain's spaces,
 * and the SageMaker spend that carries no space tag, named as such. When the tag is not activated for cost
 * allocation, all of it is untagged and the note says what the admin does about it.
 */
export function SpendCard(props: { spend: ISpend; trans: TranslationBundle }): JSX.Element | null {
  const { spend, trans } = props;
  if (!spend.available || !spend.period) {
    return null;
  }
  const currency = spend.currency;
  const others = spend.by_space.filter(s => !s.mine);
  const othersTotal = others.reduce((sum, s) => sum + s.amount, 0);
  return (
    <div className="jp-StudioCollab-spend" aria-label={trans.__('Billed spend')}>
      <p className="jp-StudioCollab-spendHead">
        {trans.__(
          'Billed in the last 30 days (Cost Explorer, %1 to %2): %3.',
          spend.period.start,
          spend.period.end,
          money(spend.total, currency)
        )}
      </p>
      <table className="jp-StudioCollab-spendTable">
        <tbody>
          {spend.mine.map(s => (
            <tr key={`mine-${s.space_name}`} className="jp-StudioCollab-spendMine">
              <td>{trans.__('Your space %1', s.space_name ?? '—')}</td>
              <td className="jp-StudioCollab-spendAmount">{money(s.amount, currency)}</td>
            </tr>
          ))}
          {others.length > 0 && (
            <tr className="jp-StudioCollab-spendOthers" title={others.map(s => s.space_name).join(', ')}>
              <td>{trans._n('%1 other space', '%1 other spaces', others.length)}</td>
              <td className="jp-StudioCollab-spendAmount">{money(othersTotal, currency)}</td>
            </tr>
          )}
          {spend.untagged !== null && (
            <tr className="jp-StudioCollab-spendUntagged">
              <td>{spend.untagged_label ?? trans.__('Not tagged with a space')}</td>
              <td className="jp-StudioCollab-spendAmount">{money(spend.untagged, currency)}</td>
            </tr>
          )}
          {!!spend.other_domains && (
            <tr>
              <td>{trans.__('Spaces of other domains')}</td>
              <td className="jp-StudioCollab-spendAmount">{money(spend.other_domains, currency)}</td>
            </tr>
          )}
        </tbody>
      </table>
      {spend.note && (
        <p
          className={
            spend.tag_active === false
              ? 'jp-StudioCollab-spendNote jp-StudioCollab-spendTagInactive'
              : 'jp-StudioCollab-spendNote'
          }
          role={spend.tag_active === false ? 'status' : undefined}
        >
          {spend.note}
        </p>
      )}
    </div>
  );
}
