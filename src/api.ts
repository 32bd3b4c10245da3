import { components } from './openapi-types';
import { apiUrl, jsonInit, requestAPI } from './request';

/** Typed client of the routes every feature shares (status, jobs). Feature routes live in src/<feature>/api.ts. */

type Schemas = components['schemas'];

export type IAvailability = Schemas['Availability'];
export type IStudioContext = Schemas['Status']['studio'];
export type IStatus = Schemas['Status'];
/** A feature's name, as the status route lists them (the server's one list of features). */
export type FeatureName = string;

export type JobState = Schemas['Job']['state'];

/** A background job; `R` is the shape of `result` for the route that started it. */
export type IJob<R = unknown> = Omit<Schemas['Job'], 'result'> & { result: R | null };

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
export function followJob<R>(id: string, onUpdate: (job: IJob<R>) => void): Promise<IJob<R>> {
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

async function pollUntilDone<R>(id: string, onUpdate: (job: IJob<R>) => void): Promise<IJob<R>> {
  for (;;) {
    const job = await getJob<R>(id);
    onUpdate(job);
    if (!isActive(job)) {
      return job;
    }
    await new Promise(done => setTimeout(done, 1000));
  }
}
