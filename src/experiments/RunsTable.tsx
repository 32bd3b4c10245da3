import * as React from 'react';
import { TranslationBundle } from '@jupyterlab/translation';

import { IRun } from './api';
import { IRunColumn, ISortState } from './model';

/** "a1b2c3d*": the short commit, starred when the run had uncommitted changes. */
function CodeCell(props: { run: IRun; trans: TranslationBundle }): JSX.Element {
  const { run, trans } = props;
  const code = run.code;
  if (!code) {
    return <span title={trans.__('No code recorded')}>—</span>;
  }
  if (!code.commit) {
    return <span title={code.source_uri ?? ''}>{code.path ?? trans.__('uploaded')}</span>;
  }
  const title = [
    code.repo_url,
    code.branch ? trans.__('branch %1', code.branch) : trans.__('detached HEAD'),
    code.path,
    code.dirty ? trans.__('uncommitted changes: %1 bytes', code.diff_bytes ?? 0) : trans.__('clean')
  ]
    .filter(Boolean)
    .join('\n');
  return (
    <code className="jp-StudioCollab-commit" title={title}>
      {code.commit.slice(0, 7)}
      {code.dirty && <span aria-label={trans.__('uncommitted changes')}>*</span>}
    </code>
  );
}

function DataCell(props: { run: IRun; trans: TranslationBundle }): JSX.Element {
  const data = props.run.data ?? [];
  if (data.length === 0) {
    return <span>—</span>;
  }
  const title = data.map(d => `${d.name}: ${d.uri ?? d.source ?? ''}${d.digest ? ` (${d.digest})` : ''}`).join('\n');
  return <span title={title}>{data.map(d => d.name).join(', ')}</span>;
}

export type { ISortState } from './model';

/** Above this many runs loaded, only the rows in view (and a margin) are in the DOM. */
const WINDOW_FROM = 200;
const ROW_HEIGHT = 28;
const OVERSCAN = 20;

/**
 * Which rows of a long table to render: the scroll position of the table's scroll box, read on scroll,
 * gives the first and last row in view; rows above and below are replaced by two spacer rows.
 */
function useRowWindow(count: number, box: React.RefObject<HTMLDivElement>): [number, number] {
  const [range, setRange] = React.useState<[number, number]>([0, Math.min(count, WINDOW_FROM)]);
  React.useEffect(() => {
    const element = box.current;
    if (!element || count <= WINDOW_FROM) {
      setRange([0, count]);
      return;
    }
    let frame = 0;
    const update = () => {
      frame = 0;
      const first = Math.max(0, Math.floor(element.scrollTop / ROW_HEIGHT) - OVERSCAN);
      const visible = Math.ceil(element.clientHeight / ROW_HEIGHT) + 2 * OVERSCAN;
      setRange([first, Math.min(count, first + visible)]);
    };
    const onScroll = () => {
      frame = frame || requestAnimationFrame(update);
    };
    update();
    element.addEventListener('scroll', onScroll, { passive: true });
    return () => {
      element.removeEventListener('scroll', onScroll);
      cancelAnimationFrame(frame);
    };
  }, [count, box.current]);
  return range;
}

/** Numbers short enough for a sidebar column, never in exponent form for ordinary values. */
export function formatValue(value: number | string | null | undefined): string {
  if (value === null || value === undefined) {
    return '—';
  }
  if (typeof value === 'string') {
    return value;
  }
  if (Number.isInteger(value)) {
    return String(value);
  }
  return Math.abs(value) >= 1e-3 && Math.abs(value) < 1e6
    ? String(Number(value.toPrecision(4)))
    : value.toExponential(3);
}

const SHORT_TIME: Intl.DateTimeFormatOptions = {
  year: '2-digit',
  month: 'numeric',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit'
};

export function formatTime(ms: number | null): string {
  return ms === null ? '—' : new Date(ms).toLocaleString(undefined, SHORT_TIME);
}

/**
 * The runs of one experiment. Metric and param headers sort on the server (any key, either way); the best run
 * (by the chosen metric, over the whole experiment) carries a star; in start-time order the "ago" column
 * counts iterations back from the newest run, so "three iterations ago" is the row marked 3.
 */
export function RunsTable(props: {
  runs: IRun[];
  /** The metric and param columns shown, in order (the column chooser's pick). */
  columns: IRunColumn[];
  sort: ISortState;
  bestRunId: string | null;
  timeOrdered: boolean;
  selected: string[];
  expanded: string | null;
  isTrainingJobs: boolean;
  trans: TranslationBundle;
  onSort: (kind: ISortState['kind'], key: string) => void;
  onToggleSelect: (runId: string) => void;
  onToggleExpand: (runId: string) => void;
  renderDetails: (run: IRun) => React.ReactNode;
  /** The run whose Restore job is running, if any. */
  restoring?: string | null;
  onRestore?: (run: IRun) => void;
}): JSX.Element {
  const { trans, sort } = props;
  const ariaSort = (kind: ISortState['kind'], key: string): 'ascending' | 'descending' | 'none' =>
    sort.kind === kind && sort.key === key ? (sort.descending ? 'descending' : 'ascending') : 'none';
  const arrow = (kind: ISortState['kind'], key: string): string =>
    sort.kind === kind && sort.key === key ? (sort.descending ? ' ▼' : ' ▲') : '';
  const header = (kind: ISortState['kind'], key: string, label: string) => (
    <th aria-sort={ariaSort(kind, key)} key={`${kind}.${key}`}>
      <button
        className="jp-StudioCollab-sortButton"
        title={trans.__('Sort by %1', label)}
        onClick={() => props.onSort(kind, key)}
      >
        {label}
        {arrow(kind, key)}
      </button>
    </th>
  );
  const columns = 7 + props.columns.length + (props.isTrainingJobs ? 2 : 0);
  const box = React.useRef<HTMLDivElement>(null);
  const [first, last] = useRowWindow(props.runs.length, box);
  const windowed = props.runs.length > WINDOW_FROM;
  return (
    <div
      className={`jp-StudioCollab-runsWrap${windowed ? ' jp-mod-windowed' : ''}`}
      ref={box}
      data-rows={props.runs.length}
    >
      <table className="jp-StudioCollab-runs">
        <thead>
          <tr>
            <th>
              <span className="jp-StudioCollab-visuallyHidden">{trans.__('Select')}</span>
            </th>
            <th title={trans.__('Best run')}>★</th>
            {props.timeOrdered && <th title={trans.__('Iterations before the newest run')}>{trans.__('ago')}</th>}
            {header('attributes', 'run_name', trans.__('Run'))}
            {props.columns.map(c => header(c.kind, c.key, c.kind === 'params' ? trans.__('param %1', c.key) : c.key))}
            {header('attributes', 'start_time', trans.__('Started'))}
            <th>{trans.__('Code')}</th>
            <th>{trans.__('Data')}</th>
            {props.isTrainingJobs && <th>{trans.__('Instances')}</th>}
            {props.isTrainingJobs && <th>{trans.__('Billable s')}</th>}
          </tr>
        </thead>
        <tbody>
          {first > 0 && (
            <tr className="jp-StudioCollab-rowSpacer" aria-hidden="true" style={{ height: first * ROW_HEIGHT }} />
          )}
          {props.runs.slice(first, last).map((run, offset) => {
            const index = first + offset;
            const best = run.id === props.bestRunId;
            const checked = props.selected.includes(run.id);
            const open = props.expanded === run.id;
            const details = run.details ?? {};
            return (
              <React.Fragment key={run.id}>
                <tr
                  className={best ? 'jp-StudioCollab-bestRun' : undefined}
                  data-run-id={run.id}
                  aria-rowindex={index + 2}
                >
                  <td>
                    <input
                      type="checkbox"
                      checked={checked}
                      aria-label={trans.__('Select %1 to compare', run.name)}
                      onChange={() => props.onToggleSelect(run.id)}
                    />
                  </td>
                  <td>{best ? <span title={trans.__('Best run')}>★</span> : ''}</td>
                  {props.timeOrdered && (
                    <td className="jp-StudioCollab-ago">{index === 0 ? trans.__('latest') : index}</td>
                  )}
                  <td>
                    <button
                      className="jp-StudioCollab-runName"
                      aria-expanded={open}
                      title={trans.__('%1 (%2): show hyperparameters and details', run.name, run.status)}
                      onClick={() => props.onToggleExpand(run.id)}
                    >
                      {run.name}
                    </button>
                    <span className={`jp-StudioCollab-runStatus jp-mod-${run.status.toLowerCase()}`}>{run.status}</span>
                  </td>
                  {props.columns.map(c => (
                    <td
                      key={`${c.kind}.${c.key}`}
                      className={c.kind === 'metrics' ? 'jp-StudioCollab-number' : 'jp-StudioCollab-param'}
                    >
                      {formatValue(c.kind === 'metrics' ? run.metrics[c.key] : run.params[c.key])}
                    </td>
                  ))}
                  <td>{formatTime(run.start_time)}</td>
                  <td>
                    <CodeCell run={run} trans={trans} />
                    {run.code?.restorable && props.onRestore && (
                      <button
                        className="jp-StudioCollab-restore"
                        disabled={props.restoring === run.id}
                        title={trans.__("Restore this run's code (commit and changes) in a new folder")}
                        onClick={() => props.onRestore && props.onRestore(run)}
                      >
                        {props.restoring === run.id ? trans.__('Restoring…') : trans.__('Restore')}
                      </button>
                    )}
                  </td>
                  <td>
                    <DataCell run={run} trans={trans} />
                  </td>
                  {props.isTrainingJobs && (
                    <td>
                      {details.instance_type ?? '—'}
                      {details.instance_count ? ` × ${details.instance_count}` : ''}
                    </td>
                  )}
                  {props.isTrainingJobs && (
                    <td className="jp-StudioCollab-number">{formatValue(details.billable_seconds)}</td>
                  )}
                </tr>
                {open && (
                  <tr className="jp-StudioCollab-runDetails">
                    <td colSpan={columns}>{props.renderDetails(run)}</td>
                  </tr>
                )}
              </React.Fragment>
            );
          })}
          {last < props.runs.length && (
            <tr
              className="jp-StudioCollab-rowSpacer"
              aria-hidden="true"
              style={{ height: (props.runs.length - last) * ROW_HEIGHT }}
            />
          )}
        </tbody>
      </table>
    </div>
  );
}
