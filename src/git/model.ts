import { ISignal, Signal } from '@lumino/signaling';

import { followJob, IJob, isActive } from '../api';
import { PanelModel } from '../panel/model';
import { SharedPoll } from '../polling';
import { IRepo, IRepoList, listRepos } from './api';

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

  /** The latest state this page saw of the job on a repo. */
  job(repoId: string): IJob | undefined {
    return this._jobs.get(repoId);
  }

  /** Records a job this page started (its view follows it with a notification). */
  track(repo: IRepo, job: IJob): void {
    this._followed.add(job.id);
    this.update(repo, job);
  }

  update(repo: IRepo, job: IJob): void {
    this._jobs.set(repo.id, job);
    this._jobChanged.emit({ repo, job });
  }

  /** A job ended: the catalog is asked again at once (a clone changes the repo's state). */
  end(repo: IRepo, job: IJob): void {
    this.update(repo, job);
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

  private _jobs = new Map<string, IJob>();
  private _followed = new Set<string>();
  private _jobChanged = new Signal<this, { repo: IRepo; job: IJob }>(this);
  private _finished = new Signal<this, { repo: IRepo; job: IJob }>(this);
}
