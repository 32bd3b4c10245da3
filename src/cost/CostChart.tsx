import * as React from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { IKindSummary } from './api';
import { kindLabel, money } from './format';

const ROW = 18; // px per kind
const BAR = 12; // bar thickness
const VALUE_ROOM = 52; // px right of the longest bar for its "$0.230"
const CHAR = 6.2; // average px per character at the sidebar's small UI font, to shorten long kind names

/** The host's width, followed as the sidebar is resized (the chart is drawn at that width, in pixels). */
function useWidth(host: React.RefObject<HTMLElement>, fallback: number): number {
  const [width, setWidth] = React.useState(fallback);
  React.useEffect(() => {
    if (!host.current) {
      return;
    }
    const observer = new ResizeObserver(entries => {
      const seen = Math.floor(entries[0].contentRect.width);
      if (seen > 0) {
        setWidth(seen);
      }
    });
    observer.observe(host.current);
    return () => observer.disconnect();
  }, []);
  return width;
}

function shortened(text: string, room: number): string {
  const fits = Math.max(4, Math.floor(room / CHAR));
  return text.length <= fits ? text : `${text.slice(0, fits - 1)}…`;
}

/**
 * The burn rate by resource kind: one bar per kind, its $/hour at the bar's end, the count in its tooltip.
 * A small SVG drawn here rather than by JupyterLab's Vega renderer: loading and compiling Vega cost ~160 ms of
 * main thread while the panel's data was arriving. Colours are the theme's CSS variables (style/cost.css),
 * so light and dark themes apply without redrawing.
 */
export function CostChart(props: { byKind: IKindSummary[]; currency: string; trans: TranslationBundle }): JSX.Element {
  const { byKind, currency, trans } = props;
  const host = React.useRef<HTMLDivElement>(null);
  const width = useWidth(host, 240);
  const kinds = [...byKind].sort((a, b) => b.burn_rate_per_hour - a.burn_rate_per_hour);
  const highest = Math.max(0, ...kinds.map(k => k.burn_rate_per_hour));
  const labelRoom = Math.min(Math.floor(width * 0.45), 150);
  const barRoom = Math.max(10, width - labelRoom - 8 - VALUE_ROOM);
  const height = kinds.length * ROW + ROW;
  const title = trans.__('Burn rate by resource kind');
  return (
    <div className="jp-StudioCollab-costChart" ref={host}>
      <svg width={width} height={height} role="img" aria-label={title}>
        <title>{title}</title>
        {kinds.map((k, index) => {
          const label = kindLabel(k.kind, trans);
          const bar = highest > 0 ? Math.max(1, Math.round((k.burn_rate_per_hour / highest) * barRoom)) : 1;
          const y = index * ROW;
          const rate = money(k.burn_rate_per_hour, currency, 3);
          const tip = [
            label,
            trans.__('%1 per hour', rate),
            trans._n('%1 running', '%1 running', k.count),
            k.unpriced ? trans._n('%1 without a price', '%1 without a price', k.unpriced) : ''
          ]
            .filter(part => part)
            .join(' · ');
          return (
            <g key={k.kind} className="jp-StudioCollab-chartRow">
              <title>{tip}</title>
              <text x={labelRoom - 4} y={y + ROW / 2} dominantBaseline="central" textAnchor="end">
                {shortened(label, labelRoom - 4)}
              </text>
              <rect
                className="jp-StudioCollab-chartBar"
                x={labelRoom}
                y={y + (ROW - BAR) / 2}
                width={bar}
                height={BAR}
              />
              <text x={labelRoom + bar + 4} y={y + ROW / 2} dominantBaseline="central">
                {rate}
              </text>
            </g>
          );
        })}
        <text
          className="jp-StudioCollab-chartAxisTitle"
          x={labelRoom}
          y={kinds.length * ROW + ROW / 2}
          dominantBaseline="central"
        >
          {trans.__('%1 per hour', currency)}
        </text>
      </svg>
    </div>
  );
}
