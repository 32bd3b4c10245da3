import { apiUrl, jsonInit, requestAPI } from './request';

/** Typed client of the routes every feature shares (status, jobs). Feature routes live in src/<feature>/api.ts. */

export interface IAvailability {
  available: boolean;
  reason: string | null;
}

export interface IStudioContext {
  in_studio: boolean;
  reason: string | null;
  domain_id: string | null;
  space_name: string | null;
  space_type: string | null;
  owner: string | null;
  user: string | null;
  region: string | null;
  account_id: string | null;
  app_type: string | null;
  app_name: string | null;
  execution_role: string | null;
}

export type FeatureName = 'git' | 'share' | 'experiments' | 'cost';

export interface IStatus {
  version: string;
  environment_label: string | null;
  studio: IStudioContext;
  features: Record<FeatureName, IAvailability>;
}

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface IJob<R = unknown> {
  id: string;
  kind: string;
  state: JobState;
  progress: number;
  message: string;
  result: R | null;
  error: { code: string; message: string } | null;
}

export function getStatus(): Promise<IStatus> {
  return requestAPI<IStatus>('status');
}

export async function getJob<R>(id: string): Promise<IJob<R>> {
  return (await requestAPI<{ job: IJob<R> }>(`jobs/${id}`)).job;
}

export async function cancelJob(id: string): Promise<IJob> {
  return (await requestAPI<{ job: IJob }>(`jobs/${id}`, jsonInit('DELETE'))).job;
}

export function isActive(job: IJob): boolean {
  return job.state === 'queued' || job.state === 'running';
}

/**
 * Follows a job until it ends: server-sent events while they flow, and a plain GET as the fallback,
 * so a reloaded page or a second tab picks up a running clone.
 */
export function followJob<R>(
  id: string,
  onUpdate: (job: IJob<R>) => void
): Promise<IJob<R>> {
  return new Promise<IJob<R>>((resolve, reject) => {
    const source = new EventSource(apiUrl(`jobs/${id}/events`));
    let settled = false;
    const finish = (job: IJob<R>) => {
      settled = true;
      source.close();
      resolve(job);
    };
    source.addEventListener('job', event => {
      const job = JSON.parse((event as MessageEvent<string>).data) as IJob<R>;
      onUpdate(job);
      if (!isActive(job)) {
        finish(job);
      }
    });
    source.onerror = () => {
      source.close();
      if (settled) {
        return;
      }
      void pollUntilDone<R>(id, onUpdate).then(resolve, reject);
    };
  });
}

async function pollUntilDone<R>(
  id: string,
  onUpdate: (job: IJob<R>) => void
): Promise<IJob<R>> {
  for (;;) {
    const job = await getJob<R>(id);
    onUpdate(job);
    if (!isActive(job)) {
      return job;
    }
    await new Promise(done => setTimeout(done, 1000));
  }
}
