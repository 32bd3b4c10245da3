import * as React from 'react';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { JSONObject } from '@lumino/coreutils';

import { sidebarChartFrame, VegaLiteChart } from '../panel/VegaLiteChart';
import { IKindSummary } from './api';
import { kindLabel } from './format';

// A fixed width: Vega's "container" width reads 0 inside a freshly attached widget; fit-x scales it to the host.
const COST_CHART_WIDTH = 240;

/** The spec of a bar per resource kind: the burn rate in $/hour, the count in the tooltip. */
export function costChartSpec(
  byKind: IKindSummary[],
  currency: string,
  trans: TranslationBundle,
  width: number
): JSONObject {
  const rate = trans.__('%1 per hour', currency);
  return {
    ...sidebarChartFrame(trans.__('Burn rate by resource kind'), width, { step: 18 }),
    data: {
      values: byKind.map(k => ({
        kind: kindLabel(k.kind, trans),
        rate: k.burn_rate_per_hour,
        count: k.count,
        unpriced: k.unpriced
      }))
    },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      y: { field: 'kind', type: 'nominal', sort: '-x', title: null },
      x: { field: 'rate', type: 'quantitative', title: rate },
      tooltip: [
        { field: 'kind', title: trans.__('Kind') },
        { field: 'rate', title: rate, format: '.3f' },
        { field: 'count', title: trans.__('Running') },
        { field: 'unpriced', title: trans.__('Without a price') }
      ]
    }
  };
}

/** The burn rate by kind, drawn by the panel's one Vega-Lite host. */
export function CostChart(props: {
  rendermime: IRenderMimeRegistry | null;
  byKind: IKindSummary[];
  currency: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { rendermime, byKind, currency, trans } = props;
  return (
    <VegaLiteChart
      rendermime={rendermime}
      spec={costChartSpec(byKind, currency, trans, COST_CHART_WIDTH)}
      label={trans.__('Burn rate by resource kind')}
      trans={trans}
      className="jp-StudioCollab-costChart"
    />
  );
}
