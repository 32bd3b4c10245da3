import * as React from 'react';
import { IRenderMime, IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { JSONObject } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

import { IKindSummary } from './api';
import { kindLabel } from './format';

/** Vega-Lite, rendered by JupyterLab's own Vega renderer: no chart library in our bundle. */
export const VEGALITE_MIME = 'application/vnd.vegalite.v5+json';

/** The spec of a bar per resource kind: the burn rate in $/hour, the count in the tooltip. */
export function costChartSpec(
  byKind: IKindSummary[],
  currency: string,
  trans: TranslationBundle,
  width: number
): JSONObject {
  const rate = trans.__('%1 per hour', currency);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    description: trans.__('Burn rate by resource kind'),
    width,
    height: { step: 18 },
    autosize: { type: 'fit-x', contains: 'padding' },
    background: 'transparent',
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

/**
 * Hosts the renderer widget that the rendermime registry makes for the Vega-Lite mime type.
 * Without a registry, or without a Vega renderer in this JupyterLab, it says so instead of drawing.
 */
export function CostChart(props: {
  rendermime: IRenderMimeRegistry | null;
  byKind: IKindSummary[];
  currency: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { rendermime, byKind, currency, trans } = props;
  const host = React.useRef<HTMLDivElement>(null);
  const renderer = React.useRef<IRenderMime.IRenderer | null>(null);
  const data = JSON.stringify(byKind);
  const canRender =
    rendermime !== null &&
    rendermime.preferredMimeType({ [VEGALITE_MIME]: {} }, 'any') === VEGALITE_MIME;

  // Attach and dispose in layout effects: their cleanup runs before React removes the host element, and a
  // Lumino widget can only be detached while its node is still in the document.
  React.useLayoutEffect(() => {
    if (!canRender || !rendermime || !host.current) {
      return;
    }
    const widget = rendermime.createRenderer(VEGALITE_MIME);
    Widget.attach(widget, host.current);
    renderer.current = widget;
    return () => {
      renderer.current = null;
      widget.dispose();
    };
  }, [canRender, rendermime]);

  React.useEffect(() => {
    if (!renderer.current || !rendermime) {
      return;
    }
    // A fixed width from the host: Vega's "container" width reads 0 inside a freshly attached widget.
    const width = Math.max(160, host.current?.clientWidth ?? 260);
    const model = rendermime.createModel({
      data: { [VEGALITE_MIME]: costChartSpec(byKind, currency, trans, width) },
      trusted: true
    });
    void renderer.current.renderModel(model);
  }, [data, currency, canRender]);

  if (!canRender) {
    return (
      <p className="jp-StudioCollab-unavailable">
        {trans.__('No chart: this JupyterLab has no Vega-Lite renderer.')}
      </p>
    );
  }
  return (
    <div
      className="jp-StudioCollab-costChart"
      ref={host}
      role="img"
      aria-label={trans.__('Burn rate by resource kind')}
    />
  );
}
