import { URLExt } from '@jupyterlab/coreutils';

import { IJob } from '../api';
import { components } from '../openapi-types';
import { apiUrl, jsonInit, requestAPI } from '../request';

/** Typed client of the git routes (api.md): the browser sends repo ids, never URLs. */

type Schemas = components['schemas'];

export type IRepoStatus = Schemas['RepoStatus'];
export type IRepo = Schemas['Repo'];
export type RepoSource = IRepo['source'];
export type RepoState = IRepo['state'];
export type IRepoList = Schemas['RepoList'];
export type ISyncFile = Schemas['SyncFile'];
export type FileOutcome = ISyncFile['outcome'];
export type ISyncCell = NonNullable<ISyncFile['cells']>[number];
export type ISyncResult = Schemas['SyncResult'];
export type SyncChoice = NonNullable<ISyncResult['choice_needed']>[number];
export type ISyncRecord = Schemas['SyncRecord'];

export function listRepos(): Promise<IRepoList> {
  return requestAPI<IRepoList>('repos');
}

export async function cloneRepo(id: string): Promise<IJob> {
  return (await requestAPI<{ job: IJob }>(`repos/${encodeURIComponent(id)}/clone`, jsonInit('POST', {}))).job;
}

export async function syncRepo(
  id: string,
  options: { backupAndReclone?: boolean; preview?: boolean; choice?: SyncChoice; expectUpstream?: string } = {}
): Promise<IJob<ISyncResult>> {
  const body: Record<string, unknown> = {};
  if (options.backupAndReclone) {
    body.backup_and_reclone = true;
  }
  if (options.preview) {
    body.preview = true;
  }
  if (options.choice) {
    body.choice = options.choice;
  }
  if (options.expectUpstream) {
    body.expect_upstream = options.expectUpstream;
  }
  const answer = await requestAPI<{ job: IJob<ISyncResult> }>(
    `repos/${encodeURIComponent(id)}/sync`,
    jsonInit('POST', body)
  );
  return answer.job;
}

export async function listSyncs(id: string): Promise<ISyncRecord[]> {
  return (await requestAPI<{ syncs: ISyncRecord[] }>(`repos/${encodeURIComponent(id)}/syncs`)).syncs;
}

export async function undoSync(id: string, syncId: string): Promise<IJob> {
  const path = `repos/${encodeURIComponent(id)}/syncs/${encodeURIComponent(syncId)}/undo`;
  return (await requestAPI<{ job: IJob }>(path, jsonInit('POST', {}))).job;
}

/** The absolute "open in Studio" link for a file of a catalog repo ('' = the repo folder). */
export function openLink(repoId: string, path: string): string {
  // the server's base URL is absolute (PageConfig), so this link works from any tab or chat message
  return apiUrl('open') + URLExt.objectToQueryString({ repo: repoId, path });
}

/** The catalog repo whose folder holds `path` (a server-root-relative file path), and the path inside it. */
export function repoOfPath(repos: IRepo[], path: string): { repo: IRepo; inner: string } | null {
  for (const repo of repos) {
    if (path === repo.target || path.startsWith(repo.target + '/')) {
      return { repo, inner: path.slice(repo.target.length + 1) };
    }
  }
  return null;
}
