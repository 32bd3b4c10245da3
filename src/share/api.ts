import { ISignal, Signal } from '@lumino/signaling';

import { followJob, IJob } from '../api';
import { components, paths } from '../openapi-types';
import { ApiError, jsonInit, requestAPI } from '../request';

/** Typed client of the share routes (rows S1-S5); field names match the server's JSON. */

type Schemas = components['schemas'];

export type ISpace = Schemas['Space'];
export type ISpaces = paths['/spaces']['get']['responses'][200]['content']['application/json'];
export type IShare = Schemas['Share'];
export type ShareState = NonNullable<IShare['state']>;
export type IShareRequest = NonNullable<paths['/shares']['post']['requestBody']>['content']['application/json'];

/** Emitted after this page made or revoked a share, so the "My shares" list refreshes at once. */
class SharesChanged {
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  emit(): void {
    this._changed.emit();
  }

  private _changed = new Signal<this, void>(this);
}

export const sharesChanged = new SharesChanged();

export function getSpaces(): Promise<ISpaces> {
  return requestAPI<ISpaces>('spaces');
}

/** Shared JupyterLab spaces: the only places a share link may land. */
export function shareTargets(spaces: ISpace[]): ISpace[] {
  return spaces.filter(s => s.sharing === 'Shared' && s.app_type === 'JupyterLab');
}

export async function listShares(): Promise<IShare[]> {
  return (await requestAPI<{ shares: IShare[] }>('shares')).shares;
}

/** Creates a share; large files come back as a job, followed here with progress until the share exists. */
export async function createShare(request: IShareRequest, onProgress: (job: IJob) => void): Promise<IShare> {
  const answer = await requestAPI<{ share?: IShare; job?: IJob<{ share: IShare }> }>(
    'shares',
    jsonInit('POST', request)
  );
  const share = answer.share ?? (await finished(answer.job, onProgress)).share;
  sharesChanged.emit();
  return share;
}

export async function revokeShare(id: string): Promise<IShare> {
  const share = (await requestAPI<{ share: IShare }>(`shares/${encodeURIComponent(id)}`, jsonInit('DELETE'))).share;
  sharesChanged.emit();
  return share;
}

async function finished<R>(job: IJob<R> | undefined, onProgress: (job: IJob) => void): Promise<R> {
  if (!job) {
    throw new ApiError('bad_answer', 'The server answered without a share or a job. Reload and retry.', 0);
  }
  onProgress(job);
  const done = await followJob<R>(job.id, onProgress);
  if (done.state !== 'succeeded' || done.result === null) {
    const error = done.error ?? { code: done.state, message: done.message };
    throw new ApiError(error.code, error.message, 0);
  }
  return done.result;
}

/** What a share link offers, as the recipient sees it (GET shares/<id>): for the import dialog in the lab. */
export type ISharePreview =
  paths['/shares/{share_id}']['get']['responses'][200]['content']['application/json']['share'];

export async function previewShare(id: string): Promise<ISharePreview> {
  return (await requestAPI<{ share: ISharePreview }>(`shares/${encodeURIComponent(id)}`)).share;
}

/** Copies a share into this space (shared/<author>/, never overwriting); returns where the copy landed. */
export async function importShare(id: string, onProgress: (job: IJob) => void): Promise<string> {
  const answer = await requestAPI<{ path?: string; job?: IJob<{ path: string }> }>(
    `shares/${encodeURIComponent(id)}/import`,
    jsonInit('POST')
  );
  return answer.path ?? (await finished(answer.job, onProgress)).path;
}
