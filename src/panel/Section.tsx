import * as React from 'react';
import { caretDownIcon, caretRightIcon } from '@jupyterlab/ui-components';

/** One collapsible section of the panel: a real button for the keyboard, its state in aria-expanded. */
export function Section(props: {
  id: string;
  title: string;
  children: React.ReactNode;
  initiallyOpen?: boolean;
}): JSX.Element {
  const [open, setOpen] = React.useState(props.initiallyOpen ?? true);
  const Caret = open ? caretDownIcon : caretRightIcon;
  return (
    <section className="jp-StudioCollab-section" data-section={props.id}>
      <h3 className="jp-StudioCollab-sectionTitle">
        <button
          className="jp-StudioCollab-sectionToggle"
          aria-expanded={open}
          aria-controls={`jp-StudioCollab-${props.id}`}
          onClick={() => setOpen(!open)}
        >
          <Caret.react tag="span" />
          {props.title}
        </button>
      </h3>
      {open && (
        <div id={`jp-StudioCollab-${props.id}`} className="jp-StudioCollab-sectionBody">
          {props.children}
        </div>
      )}
    </section>
  );
}

/** What a section shows while its feature cannot work here (never fake data). */
export function Unavailable(props: { reason: string | null; fallback: string }): JSX.Element {
  return <p className="jp-StudioCollab-unavailable">{props.reason ?? props.fallback}</p>;
}

/** An error with its stable code and the server's next step, set as text. */
export function ErrorLine(props: { code: string; message: string }): JSX.Element {
  return (
    <p className="jp-StudioCollab-error" role="alert">
      <code>{props.code}</code> {props.message}
    </p>
  );
}
