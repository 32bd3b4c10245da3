import { URLExt } from '@jupyterlab/coreutils';

import { IJob } from '../api';
import { apiUrl, jsonInit, requestAPI } from '../request';

/** Typed client of the git routes (api.md): the browser sends repo ids, never URLs. */

export type RepoSource = 'config' | 'domain' | 'space' | 'user_profile';
export type RepoState = 'not_cloned' | 'cloning' | 'cloned' | 'error';
export type FileOutcome = 'updated' | 'merged' | 'kept_both' | 'renamed' | 'restored' | 'skipped';
export type SyncChoice = 'merge' | 'rebase' | 'branch';

export interface IRepoStatus {
  branch: string | null;
  head: string | null;
  ahead: number;
  behind: number;
  dirty: number;
  updates_available: boolean;
}

export interface IRepo {
  id: string;
  name: string;
  url: string;
  branch: string | null;
  target: string;
  source: RepoSource;
  description?: string | null;
  private?: boolean;
  state: RepoState;
  status: IRepoStatus | null;
  error?: { code: string; message: string } | null;
  job?: IJob | null;
}

export interface IRepoList {
  repos: IRepo[];
  warnings?: string[];
}

export interface ISyncCell {
  id?: string | null;
  index?: number;
  change: 'merged' | 'kept_both' | 'added' | 'removed';
}

export interface ISyncFile {
  path: string;
  outcome: FileOutcome;
  detail: string;
  from?: string;
  beside?: string;
  cells?: ISyncCell[];
}

export interface ISyncResult {
  files: ISyncFile[];
  notes?: string[];
  preview?: boolean;
  choice_needed?: SyncChoice[] | null;
  local_commits?: number;
  undo?: string | null;
  upstream?: string;
  branch?: string | null;
  head?: string;
  backup?: string;
}

export interface ISyncRecord {
  id: string;
  time: number;
  files: { path: string; outcome: string }[];
  undoable: boolean;
}

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
