import * as React from 'react';
/** What a section shows while its feature cannot work here (never fake data). */
export function Unavailable(props: { reason: string | null; fallback: string }): JSX.Element {
  return <p className="jp-StudioCollab-unavailable">{props.reason ?? props.fallback}</p>;
}

/**
 * An error as the server words it (a sentence and the next step), set as text; its stable code only on a
 * small details line under it, for a bug report.
 */
export function ErrorLine(props: { code: string; message: string }): JSX.Element {
  return (
    <div className="jp-StudioCollab-error" role="alert">
      <p className="jp-StudioCollab-errorMessage">{props.message}</p>
      <p className="jp-StudioCollab-errorCode">
        <code>{props.code}</code>
      </p>
    </div>
  );
}
