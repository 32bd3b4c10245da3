import * as React from 'react';
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
