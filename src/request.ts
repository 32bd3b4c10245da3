import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** An error answered by the server in the one shape `{code, message}`. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number
  ) {
    super(message);
  }
}

/** The one way the panel talks to the server extension under `studio-collab/`. */
export async function requestAPI<T>(endpoint: string, init: RequestInit = {}): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'studio-collab', endpoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ApiError('network_error', 'The Jupyter server did not answer. Check that it is running, then retry.', 0);
  }
  const text = await response.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    const body = (data ?? {}) as { code?: string; message?: string };
    throw new ApiError(body.code ?? 'http_error', body.message ?? response.statusText, response.status);
  }
  return data as T;
}

/** JSON body helpers for POST/DELETE (ServerConnection adds the XSRF token). */
export function jsonInit(method: string, body?: unknown): RequestInit {
  return body === undefined
    ? { method }
    : { method, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } };
}

/** The URL of a studio-collab route, for links and server-sent events. */
export function apiUrl(endpoint: string): string {
  const settings = ServerConnection.makeSettings();
  return URLExt.join(settings.baseUrl, 'studio-collab', endpoint);
}
