import * as React from 'react';
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';

import { ErrorLine } from '../panel/Section';
import { ApiError } from '../request';
import { importShare, ISharePreview, previewShare } from './api';

/** The query parameter of a share link (…/lab?studio-collab-import=<id>); the server makes the links. */
export const IMPORT_PARAM = 'studio-collab-import';

/** The share id in this page's address, or null. */
function shareIdInUrl(): string | null {
  return new URL(window.location.href).searchParams.get(IMPORT_PARAM);
}

/** Removes the parameter from the address bar, keeping the rest (a reload does not ask again). */
function cleanUrl(): void {
  const url = new URL(window.location.href);
  url.searchParams.delete(IMPORT_PARAM);
  window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
}

function sizeText(bytes: number, trans: TranslationBundle): string {
  if (bytes < 1024) {
    return trans._n('%1 byte', '%1 bytes', bytes);
  }
  return bytes < 1024 * 1024
    ? trans.__('%1 KB', (bytes / 1024).toFixed(1))
    : trans.__('%1 MB', (bytes / 1024 / 1024).toFixed(1));
}

function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError('error', String(err), 0);
}

async function showImportError(title: string, error: ApiError, trans: TranslationBundle): Promise<void> {
  await showDialog({
    title,
    body: ReactWidget.create(<ErrorLine code={error.code} message={error.message} />),
    buttons: [Dialog.okButton({ label: trans.__('Close') })]
  });
}

/**
 * Asks, in a JupyterLab dialog, whether to import the share the link points to; imports it into this space
 * and opens the copy in this workspace. The page's layout stays as the recipient left it.
 */
export async function importFromLink(app: JupyterFrontEnd, shareId: string, trans: TranslationBundle): Promise<void> {
  let preview: ISharePreview;
  try {
    preview = await previewShare(shareId);
  } catch (err) {
    await showImportError(trans.__('This share cannot be imported'), asApiError(err), trans);
    return;
  }
  const body = (
    <div className="jp-StudioCollab-importDialog">
      <p>
        {trans.__(
          'Import a copy of %1 into this space? It goes to shared/%2/ and never replaces a file of yours.',
          preview.title,
          preview.author
        )}
      </p>
      <p className="jp-StudioCollab-importDetails">
        {[
          trans.__('Shared %1', new Date(preview.created).toLocaleString()),
          trans.__('link expires %1', new Date(preview.expires).toLocaleString()),
          sizeText(preview.size, trans),
          preview.include_outputs ? trans.__('outputs included') : trans.__('without outputs')
        ].join(' · ')}
      </p>
    </div>
  );
  const answer = await showDialog({
    title: trans.__('%1 shared %2', preview.author, preview.title),
    body: ReactWidget.create(body),
    buttons: [Dialog.cancelButton({ label: trans.__('Not now') }), Dialog.okButton({ label: trans.__('Import') })]
  });
  if (!answer.button.accept) {
    return;
  }
  const id = Notification.emit(trans.__('Importing %1…', preview.title), 'in-progress', {
    autoClose: false,
    progress: 0
  });
  try {
    const path = await importShare(shareId, job =>
      Notification.update({
        id,
        message: job.message || trans.__('Importing %1…', preview.title),
        progress: job.progress
      })
    );
    Notification.update({
      id,
      type: 'success',
      message: trans.__('%1 is imported into %2.', preview.title, path),
      progress: 1,
      autoClose: 5000
    });
    await app.commands.execute('docmanager:open', { path });
  } catch (err) {
    Notification.dismiss(id);
    await showImportError(trans.__('Could not import %1', preview.title), asApiError(err), trans);
  }
}

/**
 * Share links open JupyterLab itself: this plugin finds the share id in the address once the layout is
 * restored, cleans the address, and asks about the import in a dialog.
 */
export const importPlugin: JupyterFrontEndPlugin<void> = {
  id: 'studio-collab:import',
  description: 'Opens share links inside JupyterLab: asks, imports, and opens the copy in this workspace.',
  autoStart: true,
  optional: [ITranslator],
  activate: (app: JupyterFrontEnd, translator: ITranslator | null) => {
    const shareId = shareIdInUrl();
    if (!shareId) {
      return;
    }
    const trans = (translator ?? nullTranslator).load('studio_collab');
    void app.restored.then(() => {
      cleanUrl();
      return importFromLink(app, shareId, trans);
    });
  }
};
