import * as React from 'react';
import { IRenderMime, IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { JSONObject, JSONValue } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

/** Charts are Vega-Lite drawn by JupyterLab's own Vega renderer: no chart library in our bundle. */
export const VEGALITE_MIME = 'application/vnd.vegalite.v5+json';

/** What every chart of the panel shares: Vega-Lite v5, fitted to the sidebar's width, no background of its own. */
export function sidebarChartFrame(description: string, width: number | 'container', height: JSONValue): JSONObject {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    description,
    width,
    height,
    autosize: { type: 'fit-x', contains: 'padding' },
    background: 'transparent'
  };
}

/** A JupyterLab theme variable's current value (e.g. --jp-ui-font-color1), or the fallback outside a theme. */
function themeVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

/**
 * Vega's colours from the JupyterLab theme's CSS variables, read when the chart is drawn: axis text, titles,
 * grid and legend follow light and dark themes (Vega cannot read CSS variables itself).
 */
export function themeConfig(): JSONObject {
  const text = themeVar('--jp-ui-font-color1', '#212121');
  const muted = themeVar('--jp-ui-font-color2', '#616161');
  const grid = themeVar('--jp-border-color2', '#e0e0e0');
  const font = themeVar('--jp-ui-font-family', 'sans-serif');
  const axis = {
    labelColor: text,
    titleColor: text,
    domainColor: muted,
    tickColor: muted,
    gridColor: grid,
    labelFont: font,
    titleFont: font
  };
  return {
    background: 'transparent',
    font,
    axis,
    legend: { labelColor: text, titleColor: text, labelFont: font, titleFont: font },
    title: { color: text, font },
    header: { labelColor: text, titleColor: text },
    view: { stroke: grid },
    text: { color: text }
  };
}

/**
 * A step height ({step: 18}) as pixels. Vega-Lite drops any "fit" autosize when one size is discrete and
 * logs `Dropping "fit-y"` each time; with the rows counted here the chart keeps fitting the sidebar's width.
 */
export function withPixelHeight(spec: JSONObject): JSONObject {
  const height = spec.height as JSONObject | undefined;
  const y = (spec.encoding as JSONObject | undefined)?.y as JSONObject | undefined;
  const values = (spec.data as JSONObject | undefined)?.values as JSONObject[] | undefined;
  if (!height || typeof height !== 'object' || typeof height.step !== 'number' || !y?.field || !values) {
    return spec;
  }
  const rows = new Set(values.map(v => JSON.stringify(v[y.field as string] ?? null))).size;
  return { ...spec, height: Math.max(1, rows) * (height.step as number) };
}

/** A fixed width no wider than the host (fit-x then keeps axes and labels inside it): a narrow sidebar. */
function fitWidth(spec: JSONObject, available: number): JSONObject {
  return typeof spec.width === 'number' && available > 0 && spec.width > available
    ? { ...spec, width: Math.floor(available) }
    : spec;
}

/** Re-renders when JupyterLab switches theme (light ↔ dark): the body's data-jp-theme-* attributes change. */
function useThemeName(): string {
  const [name, setName] = React.useState(document.body.dataset.jpThemeName ?? '');
  React.useEffect(() => {
    const observer = new MutationObserver(() => setName(document.body.dataset.jpThemeName ?? ''));
    observer.observe(document.body, {
      attributes: true,
      attributeFilter: ['data-jp-theme-name', 'data-jp-theme-light']
    });
    return () => observer.disconnect();
  }, []);
  return name;
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
  const canRender = !!rendermime && rendermime.preferredMimeType({ [VEGALITE_MIME]: {} }, 'any') === VEGALITE_MIME;
  const themeName = useThemeName();
  // The host's width, followed as the sidebar is resized: a fixed-width chart never gets wider than it.
  const [hostWidth, setHostWidth] = React.useState(0);
  React.useEffect(() => {
    if (!host.current) {
      return;
    }
    const observer = new ResizeObserver(entries => setHostWidth(Math.floor(entries[0].contentRect.width)));
    observer.observe(host.current);
    return () => observer.disconnect();
  }, [canRender]);
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
      data: {
        [VEGALITE_MIME]: {
          ...withPixelHeight(fitWidth(spec, hostWidth)),
          config: { ...themeConfig(), ...((spec.config as JSONObject) ?? {}) }
        }
      },
      metadata: { [VEGALITE_MIME]: { embed_options: { actions: false, renderer: 'svg' } } }, // no export menu; SVG text is real text
      trusted: true
    });
    void renderer.current.renderModel(model);
  }, [specText, canRender, themeName, hostWidth]);

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
    <div className={props.className ?? 'jp-StudioCollab-metricChart'} ref={host} role="img" aria-label={props.label} />
  );
}
