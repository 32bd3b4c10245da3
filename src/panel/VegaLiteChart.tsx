import * as React from 'react';
import { IRenderMime, IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { JSONObject, JSONValue } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

/** Charts are Vega-Lite drawn by JupyterLab's own Vega renderer: no chart library in our bundle. */
export const VEGALITE_MIME = 'application/vnd.vegalite.v5+json';

/** What every chart of the panel shares: Vega-Lite v5, fitted to the sidebar's width, no background of its own. */
export function sidebarChartFrame(
  description: string,
  width: number | 'container',
  height: JSONValue
): JSONObject {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    description,
    width,
    height,
    autosize: { type: 'fit-x', contains: 'padding' },
    background: 'transparent'
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
  className?: string;
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
  return (
    <div
      className={props.className ?? 'jp-StudioCollab-metricChart'}
      ref={host}
      role="img"
      aria-label={props.label}
    />
  );
}
