import { TranslationBundle } from '@jupyterlab/translation';
import { JSONObject } from '@lumino/coreutils';

import { sidebarChartFrame } from '../panel/VegaLiteChart';
import { IMetricHistory, IRun } from './api';

/** A metric across runs, oldest to newest, so "three iterations ago" reads left of the last point. */
export function acrossRunsSpec(runs: IRun[], metric: string, trans: TranslationBundle): JSONObject {
  const ordered = runs
    .filter(r => typeof r.metrics[metric] === 'number')
    .sort((a, b) => (a.start_time ?? 0) - (b.start_time ?? 0));
  return {
    ...sidebarChartFrame(trans.__('%1 across runs', metric), 'container', 160),
    data: {
      values: ordered.map((r, index) => ({
        order: index + 1,
        // The axis shows run names; a name seen before gets its position, so two runs never merge.
        label: ordered.findIndex(o => o.name === r.name) === index ? r.name : `${r.name} (${index + 1})`,
        run: r.name,
        value: r.metrics[metric],
        started: r.start_time === null ? '' : new Date(r.start_time).toLocaleString()
      }))
    },
    mark: { type: 'line', point: true, tooltip: true },
    encoding: {
      x: {
        field: 'label',
        type: 'ordinal',
        sort: { field: 'order' },
        title: trans.__('Run (oldest → newest)'),
        axis: { labelAngle: -30, labelLimit: 140 }
      },
      y: { field: 'value', type: 'quantitative', title: metric, scale: { zero: false } },
      tooltip: [
        { field: 'run', title: trans.__('Run') },
        { field: 'value', title: metric, format: '.4~g' },
        { field: 'started', title: trans.__('Started') }
      ]
    }
  };
}

/** One metric's logged values by step, one line per run. */
export function historySpec(
  histories: { name: string; history: IMetricHistory }[],
  trans: TranslationBundle
): JSONObject {
  const metric = histories[0]?.history.key ?? '';
  return {
    ...sidebarChartFrame(trans.__('%1 by step', metric), 'container', 160),
    data: {
      values: histories.reduce<JSONObject[]>(
        (all, h) =>
          all.concat(
            h.history.points.filter(p => p.value !== null).map(p => ({ run: h.name, step: p.step, value: p.value }))
          ),
        []
      )
    },
    mark: { type: 'line', tooltip: true },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: trans.__('Step') },
      y: { field: 'value', type: 'quantitative', title: metric, scale: { zero: false } },
      color: { field: 'run', type: 'nominal', title: trans.__('Run'), legend: { orient: 'bottom', columns: 1 } }
    }
  };
}
