import * as React from 'react';
import { IRenderMime, IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { JSONObject } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

import { IMetricHistory, IRun } from './api';

/** Charts are Vega-Lite drawn by JupyterLab's own Vega renderer: no chart library in our bundle. */
export const VEGALITE_MIME = 'application/vnd.vegalite.v5+json';

/** A metric across runs, oldest to newest, so "three iterations ago" reads left of the last point. */
export function acrossRunsSpec(runs: IRun[], metric: string, trans: TranslationBundle): JSONObject {
  const ordered = runs
    .filter(r => typeof r.metrics[metric] === 'number')
    .sort((a, b) => (a.start_time ?? 0) - (b.start_time ?? 0));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    description: trans.__('%1 across runs', metric),
    width: 'container',
    height: 160,
    autosize: { type: 'fit-x', contains: 'padding' },
    background: 'transparent',
    data: {
      values: ordered.map((r, index) => ({
        order: index + 1,
        run: r.name,
        value: r.metrics[metric],
        started: r.start_time === null ? '' : new Date(r.start_time).toLocaleString()
      }))
    },
    mark: { type: 'line', point: true, tooltip: true },
    encoding: {
      x: { field: 'order', type: 'ordinal', title: trans.__('Run (oldest → newest)') },
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
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    description: trans.__('%1 by step', metric),
    width: 'container',
    height: 160,
    autosize: { type: 'fit-x', contains: 'padding' },
    background: 'transparent',
    data: {
      values: histories.reduce<JSONObject[]>(
        (all, h) =>
          all.concat(
            h.history.points
              .filter(p => p.value !== null)
              .map(p => ({ run: h.name, step: p.step, value: p.value }))
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

/**
 * Hosts the widget that the rendermime registry makes for Vega-Lite. Without a registry, or without a
 * Vega renderer in this JupyterLab, it says so in text instead of drawing.
 */
export function VegaLiteChart(props: {
  rendermime: IRenderMimeRegistry | null | undefined;
  spec: JSONObject;
  label: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { rendermime, spec, trans } = props;
  const host = React.useRef<HTMLDivElement>(null);
  const renderer = React.useRef<IRenderMime.IRenderer | null>(null);
  const canRender =
    !!rendermime && rendermime.preferredMimeType({ [VEGALITE_MIME]: {} }, 'any') === VEGALITE_MIME;
  const specText = JSON.stringify(spec);

  React.useEffect(() => {
    if (!canRender || !rendermime || !host.current) {
      return;
    }
    if (!renderer.current) {
      renderer.current = rendermime.createRenderer(VEGALITE_MIME);
      Widget.attach(renderer.current, host.current);
    }
    // Trusted: the spec is ours; run names and values only ever reach it as data, which Vega draws as text.
    const model = rendermime.createModel({
      data: { [VEGALITE_MIME]: spec },
      metadata: { [VEGALITE_MIME]: { embed_options: { actions: false } } }, // no export menu in a sidebar
      trusted: true
    });
    void renderer.current.renderModel(model);
  }, [specText, canRender]);

  // A layout effect: its cleanup runs while the host is still in the page. Lumino refuses to detach a
  // widget whose node React already removed ("Widget is not attached"), and that error would unmount the panel.
  React.useLayoutEffect(
    () => () => {
      renderer.current?.dispose();
      renderer.current = null;
    },
    []
  );

  if (!canRender) {
    return (
      <p className="jp-StudioCollab-unavailable">
        {trans.__('No chart: this JupyterLab has no Vega-Lite renderer (the @jupyterlab/vega5-extension).')}
      </p>
    );
  }
  return <div className="jp-StudioCollab-metricChart" ref={host} role="img" aria-label={props.label} />;
}
