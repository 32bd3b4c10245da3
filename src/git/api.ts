import { URLExt } from '@jupyterlab/coreutils';

import { IJob } from '../api';
import { apiUrl, jsonInit, requestAPI } from '../request';

/** Typed client of the git routes (api.md): the browser sends repo ids, never URLs. */

export type RepoSource = 'config' | 'domain' | 'space' | 'user_profile';
export type RepoState = 'not_cloned' | 'cloning' | 'cloned' | 'error';
export type FileOutcome = 'kept_local' | 'merged' | 'renamed' | 'restored' | 'updated';

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

export interface ISyncFile {
  path: string;
  outcome: FileOutcome;
  detail: string;
}

export interface ISyncResult {
  files: ISyncFile[];
  notes?: string[];
  branch?: string | null;
  head?: string;
  backup?: string;
}

export function listRepos(): Promise<IRepoList> {
  return requestAPI<IRepoList>('repos');
}

export async function cloneRepo(id: string): Promise<IJob> {
  return (await requestAPI<{ job: IJob }>(`repos/${encodeURIComponent(id)}/clone`, jsonInit('POST', {}))).job;
}

export async function syncRepo(id: string, backupAndReclone = false): Promise<IJob<ISyncResult>> {
  const body = backupAndReclone ? { backup_and_reclone: true } : {};
  const answer = await requestAPI<{ job: IJob<ISyncResult> }>(
    `repos/${encodeURIComponent(id)}/sync`,
    jsonInit('POST', body)
  );
  return answer.job;
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
