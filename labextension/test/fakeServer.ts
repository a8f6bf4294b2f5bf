/**
 * A fake Jupyter server at the protocol boundary: JupyterLab's real
 * ServerConnection is given a fetch that answers as the Workbench server
 * does, and every request it sent is kept for the test to read.
 */
import { PageConfig } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { vi } from 'vitest';

export const BASE = 'http://127.0.0.1:8888/lab-base/';

export type Answer = Response | Error;

export interface IFakeServer {
  settings: ServerConnection.ISettings;
  requests: Request[];
  fetch: (input: RequestInfo | URL) => Promise<Response>;
}

/** A server whose answer to each request is `route(request)`. */
export function routedServer(route: (request: Request) => Answer): IFakeServer {
  const requests: Request[] = [];
  const fetch = (input: RequestInfo | URL): Promise<Response> => {
    const request = input as Request;
    requests.push(request);
    const answer = route(request);
    return answer instanceof Error
      ? Promise.reject(answer)
      : Promise.resolve(answer.clone());
  };
  const settings = ServerConnection.makeSettings({
    baseUrl: BASE,
    token: 'secret-token',
    fetch
  });
  return { settings, requests, fetch };
}

/** A server that answers with `answers` in turn (the last one repeats). */
export function fakeServer(answers: Answer[]): IFakeServer {
  let asked = 0;
  return routedServer(() => answers[Math.min(++asked, answers.length) - 1]);
}

/**
 * Make `server` the one the client modules reach with their default
 * settings (ServerConnection.makeSettings() reads the page's base URL and the
 * global fetch). Undo with vi.unstubAllGlobals().
 */
export function serveByDefault(server: IFakeServer): void {
  PageConfig.setOption('baseUrl', BASE);
  vi.stubGlobal('fetch', server.fetch);
}

export function json(status: number, body: unknown, headers = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers }
  });
}

/** The Workbench route a request was for, without its query: "sweeps/abc". */
export function routeOf(request: Request): string {
  const path = new URL(request.url).pathname;
  return path.slice(path.indexOf('/workbench/api/') + '/workbench/api/'.length);
}
