import * as React from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { ICostResource, IPriceSource } from './api';
import { duration, kindLabel, money } from './format';
import { stopTarget } from './stopConfirm';

export function rowKey(r: ICostResource): string {
  return `${r.kind}:${r.name}:${r.variant ?? ''}:${r.instance_type ?? ''}`;
}

type Column = 'name' | 'hourly_price' | 'accrued' | 'uptime';

/** The value a column sorts by; null sorts last whichever the direction. */
function sortValue(r: ICostResource, column: Column): string | number | null {
  switch (column) {
    case 'uptime':
      return r.started ? -Date.parse(r.started) : null; // earlier start = longer uptime
    case 'name':
      return displayName(r);
    default:
      return r[column];
  }
}

/** Apps read best as their space; the full name (space/AppType/AppName) stays in the tooltip. */
function displayName(r: ICostResource): string {
  return r.kind === 'app' && r.space ? r.space : r.name;
}

/**
 * The running resources: mine first, then by the column the user picked; idle ones flagged,
 * and a Stop button on what the server says I may stop. Narrow enough for the sidebar.
 */
export function ResourceTable(props: {
  resources: ICostResource[];
  priceSources: Record<string, IPriceSource>;
  currency: string;
  trans: TranslationBundle;
  onStop: (resource: ICostResource) => void;
  stopping: string | null;
  /** Some kinds could not be listed at all: an empty table does not mean nothing runs. */
  incomplete?: boolean;
}): JSX.Element {
  const { trans, currency } = props;
  const [sort, setSort] = React.useState<{ column: Column; descending: boolean }>({
    column: 'hourly_price',
    descending: true
  });
  const rows = React.useMemo(() => {
    const sorted = [...props.resources];
    sorted.sort((a, b) => {
      if (a.mine !== b.mine) {
        return a.mine ? -1 : 1;
      }
      const x = sortValue(a, sort.column);
      const y = sortValue(b, sort.column);
      if (x === y) {
        return 0;
      }
      if (x === null || y === null) {
        return x === null ? 1 : -1;
      }
      const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return sort.descending ? -order : order;
    });
    return sorted;
  }, [props.resources, sort]);

  // The sidebar is narrow: three columns, the rest in each row's detail line, every order in the select.
  const columns: [Column, string][] = [
    ['name', trans.__('Resource')],
    ['hourly_price', trans.__('$/hour')],
    ['accrued', trans.__('Spent')]
  ];
  const orders: [Column, string][] = [
    ['hourly_price', trans.__('cost per hour')],
    ['accrued', trans.__('spent since start')],
    ['uptime', trans.__('running time')],
    ['name', trans.__('name')]
  ];
  const now = Date.now();
  const header = (column: Column, label: string) => {
    const active = sort.column === column;
    return (
      <th key={column} aria-sort={active ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
        <button
          className="jp-StudioCollab-sortButton"
          onClick={() => setSort({ column, descending: active ? !sort.descending : column !== 'name' })}
        >
          {label}
          {active ? (sort.descending ? ' ▾' : ' ▴') : ''}
        </button>
      </th>
    );
  };

  if (rows.length === 0) {
    return (
      <p className="jp-StudioCollab-unavailable">
        {props.incomplete
          ? trans.__('Nothing running was found in the kinds that could be listed.')
          : trans.__('Nothing is running.')}
      </p>
    );
  }
  return (
    <div className="jp-StudioCollab-costTableWrap">
      <label className="jp-StudioCollab-costSort">
        {trans.__('Mine first, then by')}{' '}
        <select
          value={sort.column}
          onChange={event => {
            const column = event.target.value as Column;
            setSort({ column, descending: column !== 'name' });
          }}
        >
          {orders.map(([column, label]) => (
            <option key={column} value={column}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <table className="jp-StudioCollab-table jp-StudioCollab-costTable">
        <thead>
          <tr>
            {columns.map(([column, label]) => header(column, label))}
            <th>
              <span className="jp-StudioCollab-srOnly">{trans.__('Actions')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map(r => {
            const key = rowKey(r);
            const source = r.price_source ? props.priceSources[r.price_source] : undefined;
            const cited = source
              ? source.as_of
                ? trans.__('%1 (as of %2)', source.source, source.as_of)
                : source.source
              : '';
            const kind = r.app_type ?? kindLabel(r.kind, trans);
            const size =
              r.storage_gb !== undefined
                ? trans.__('%1 GB', r.storage_gb)
                : r.kind === 'mlflow_app'
                  ? null
                  : r.instance_type
                    ? `${r.instance_type}${r.count !== null && r.count > 1 ? ` × ${r.count}` : ''}`
                    : r.kind === 'inference_component' && r.endpoint
                      ? trans.__('on %1', r.endpoint)
                      : trans.__('instance type unknown');
            const rowClass = [r.mine ? 'jp-mod-mine' : '', r.idle ? 'jp-mod-idle' : ''].join(' ');
            // Two rows per resource: the name, price and Stop; then its details (kind, instance type, owner,
            // uptime) across the whole table's width, so an instance type never breaks inside a narrow cell.
            return (
              <React.Fragment key={key}>
                <tr className={rowClass} data-kind={r.kind} data-name={r.name}>
                  <td className="jp-StudioCollab-costName" title={r.arn ?? r.name}>
                    <span className="jp-StudioCollab-costTitle">{displayName(r)}</span>
                    {r.this_app && <span className="jp-StudioCollab-badge">{trans.__('this app')}</span>}
                    {r.idle && <span className="jp-StudioCollab-badge jp-mod-warn">{trans.__('idle')}</span>}
                  </td>
                  <td title={cited}>
                    {money(r.hourly_price, currency, 3)}
                    {r.price_estimate && <abbr title={trans.__('Estimate: %1', cited)}> ≈</abbr>}
                    {r.hourly_price === null && r.price_basis === 'none' && <abbr title={cited}> ?</abbr>}
                    {r.price_basis === 'no_hourly_charge' && <abbr title={cited}> {trans.__('no hourly charge')}</abbr>}
                    {r.price_basis === 'included' && <abbr title={cited}> {trans.__('billed with endpoint')}</abbr>}
                    {r.billing === 'per_run' && r.run_hourly_price !== undefined && (
                      <abbr title={cited}>
                        {' '}
                        {trans.__('%1 per run-hour', money(r.run_hourly_price ?? null, currency, 3))}
                      </abbr>
                    )}
                  </td>
                  <td>{money(r.accrued, currency)}</td>
                  <td>
                    {r.can_stop && (
                      <button
                        className="jp-Button jp-mod-styled jp-mod-warn jp-StudioCollab-stopButton"
                        disabled={props.stopping === key}
                        aria-label={trans.__('Stop %1', stopTarget(r, trans))}
                        onClick={() => props.onStop(r)}
                      >
                        {trans.__('Stop')}
                      </button>
                    )}
                  </td>
                </tr>
                <tr className={`${rowClass} jp-StudioCollab-costDetailRow`}>
                  <td colSpan={columns.length + 1} className="jp-StudioCollab-costDetail">
                    {[
                      kind,
                      size,
                      r.status !== 'InService' ? r.status : null,
                      r.owner,
                      r.started ? trans.__('up %1', duration(now - Date.parse(r.started), trans)) : null
                    ]
                      .filter((part): part is string => !!part)
                      .map((part, index) => (
                        // each part whole on a line when it fits ("ml.m5.xlarge", never "ml.m5.xlar / ge")
                        <React.Fragment key={index}>
                          {index > 0 && ' · '}
                          <span className="jp-StudioCollab-costPart">{part}</span>
                        </React.Fragment>
                      ))}
                  </td>
                </tr>
              </React.Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
