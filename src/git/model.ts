import { ISignal, Signal } from '@lumino/signaling';

import { followJob, IJob, isActive } from '../api';
import { PanelModel } from '../panel/model';
import { SharedPoll } from '../polling';
import { IRepo, IRepoList, ISyncResult, listRepos } from './api';
import { RepoAction, rowActions } from './RepoItem';

/** What runs a row action: the Repositories view's handler, set while it is shown. */
export type RepoActor = (repo: IRepo, action: RepoAction) => void;

/** What this page last learned about a repo from its own jobs: an error, a sync's report, a sync's preview. */
export interface IRepoOutcome {
  error: { code: string; message: string } | null;
  report: ISyncResult | null;
  preview: ISyncResult | null;
}

const NO_OUTCOME: IRepoOutcome = { error: null, report: null, preview: null };

/**
 * The git feature's state: the catalog (one poll of GET repos) and the jobs running on its repos. A job the
 * server lists on a repo (started in another tab, or before a reload) is followed here once, whichever view
 * is open, so its progress goes on where it was.
 */
export class GitModel {
  constructor(panel: PanelModel) {
    this.repos = panel.poll('repos', listRepos);
    this.repos.changed.connect(this._pickUpJobs, this);
  }

  /** GET repos: the catalog with each repo's state, status and running job. */
  readonly repos: SharedPoll<IRepoList>;

  /** Emitted when a followed job moves; `finished` when one ends (with the repo it ran on). */
  get jobChanged(): ISignal<this, { repo: IRepo; job: IJob }> {
    return this._jobChanged;
  }

  get finished(): ISignal<this, { repo: IRepo; job: IJob }> {
    return this._finished;
  }

  /** Emitted when a job moves or a repo's outcome changes: views re-render. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  outcome(repoId: string): IRepoOutcome {
    return this._outcomes.get(repoId) ?? NO_OUTCOME;
  }

  setOutcome(repoId: string, patch: Partial<IRepoOutcome>): void {
    this._outcomes.set(repoId, { ...this.outcome(repoId), ...patch });
    this._changed.emit();
  }

  /** The latest state this page saw of the job on a repo. */
  job(repoId: string): IJob | undefined {
    return this._jobs.get(repoId);
  }

  /** The job to show on a repo: whichever is running (this tab's or the server's), else the last one seen. */
  currentJob(repo: IRepo): IJob | null {
    const local = this._jobs.get(repo.id);
    if (local && isActive(local)) {
      return local;
    }
    const server = repo.job;
    return server && isActive(server) ? server : (local ?? null);
  }

  /** The repo of the catalog with this id, as last polled. */
  repo(repoId: string): IRepo | undefined {
    return this.repos.value?.repos.find(r => r.id === repoId);
  }

  /** The actions the repo's row offers now: the same list its buttons show. */
  actionsOf(repoId: string): RepoAction[] {
    const repo = this.repo(repoId);
    if (!repo) {
      return [];
    }
    return rowActions(repo, this.currentJob(repo), this.outcome(repoId).error ?? repo.error ?? null);
  }

  /** The Repositories view hands its action handler here, so the context menu runs the very same code. */
  setActor(actor: RepoActor | null): void {
    this._actor = actor;
  }

  /** Runs a row action through the view's handler; false when no view is there to run it. */
  act(repoId: string, action: RepoAction): boolean {
    const repo = this.repo(repoId);
    if (!repo || !this._actor) {
      return false;
    }
    this._actor(repo, action);
    return true;
  }

  /** Records a job this page started (its view follows it with a notification). */
  track(repo: IRepo, job: IJob): void {
    this._followed.add(job.id);
    this.update(repo, job);
  }

  update(repo: IRepo, job: IJob): void {
    this._jobs.set(repo.id, job);
    this._jobChanged.emit({ repo, job });
    this._changed.emit();
  }

  /** A job ended: the catalog is asked again at once (a clone changes the repo's state). */
  end(repo: IRepo, job: IJob): void {
    this.update(repo, job);
    const patch: Partial<IRepoOutcome> = { error: job.state === 'failed' ? job.error : null };
    if (job.kind === 'git_sync' && job.state === 'succeeded') {
      patch.report = job.result as ISyncResult;
    }
    if (job.kind === 'git_sync_preview' && job.state === 'succeeded') {
      patch.preview = job.result as ISyncResult;
    }
    this.setOutcome(repo.id, patch);
    this._finished.emit({ repo, job });
    void this.repos.refresh();
  }

  private _pickUpJobs(): void {
    for (const repo of this.repos.value?.repos ?? []) {
      const job = repo.job;
      if (job && isActive(job) && !this._followed.has(job.id)) {
        this._followed.add(job.id);
        this.update(repo, job);
        void followJob(job.id, update => this.update(repo, update)).then(done => this.end(repo, done));
      }
    }
  }

  private _actor: RepoActor | null = null;
  private _jobs = new Map<string, IJob>();
  private _outcomes = new Map<string, IRepoOutcome>();
  private _changed = new Signal<this, void>(this);
  private _followed = new Set<string>();
  private _jobChanged = new Signal<this, { repo: IRepo; job: IJob }>(this);
  private _finished = new Signal<this, { repo: IRepo; job: IJob }>(this);
}
