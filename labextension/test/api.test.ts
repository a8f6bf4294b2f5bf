/**
 * requestAPI at the protocol boundary: JupyterLab's real ServerConnection,
 * given a fake fetch that answers as the Workbench server does.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  isTransient,
  requestAPI,
  runPath,
  sendJSON,
  withQuery,
  WorkbenchAPIError
} from '../src/api';
import { IRetryOptions } from '../src/retry';
import { BASE, fakeServer, json, routeOf, serveByDefault } from './fakeServer';

const OUTAGE = {
  error: 'store_unavailable',
  message:
    'the Workbench store at postgresql://127.0.0.1:5432/wb is unavailable ' +
    '(connection refused); try again in a few seconds'
};

const unavailable = (retryAfter = '5'): Response =>
  json(503, OUTAGE, { 'Retry-After': retryAfter });
const refused = (): Error => new TypeError('Failed to fetch');
const RUNS = { runs: [], total: 0, limit: 50, offset: 0 };

/** Retry options that record the waits instead of waiting. */
function noWait(): IRetryOptions & { waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    sleep: (ms: number) => {
      waits.push(ms);
      return Promise.resolve();
    }
  };
}

async function failure(promise: Promise<unknown>): Promise<WorkbenchAPIError> {
  try {
    await promise;
  } catch (reason) {
    expect(reason).toBeInstanceOf(WorkbenchAPIError);
    return reason as WorkbenchAPIError;
  }
  throw new Error('expected the request to fail');
}

describe('requestAPI', () => {
  it('sends an authenticated request to the Workbench route', async () => {
    const server = fakeServer([json(200, RUNS)]);
    await expect(
      requestAPI('runs?limit=50', {}, server.settings, noWait())
    ).resolves.toEqual(RUNS);
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request.method).toBe('GET');
    expect(request.url.startsWith(`${BASE}workbench/api/runs?limit=50`)).toBe(
      true
    );
    expect(request.headers.get('Authorization')).toBe('token secret-token');
  });

  it('retries a GET while the store is unavailable, honouring Retry-After', async () => {
    const server = fakeServer([
      unavailable('1'),
      unavailable('1'),
      json(200, RUNS)
    ]);
    const retry = noWait();
    await expect(
      requestAPI('runs', {}, server.settings, retry)
    ).resolves.toEqual(RUNS);
    expect(server.requests).toHaveLength(3);
    expect(retry.waits).toEqual([1000, 1000]);
  });

  it('caps the wait when Retry-After is long, then gives up with the server message', async () => {
    const server = fakeServer([unavailable('5')]);
    const retry = noWait();
    const error = await failure(requestAPI('runs', {}, server.settings, retry));
    expect(server.requests).toHaveLength(4);
    expect(retry.waits).toEqual([2000, 2000, 2000]);
    expect(error.status).toBe(503);
    expect(error.code).toBe('store_unavailable');
    expect(error.message).toBe(OUTAGE.message);
    expect(error.retryAfterMs).toBe(5000);
    expect(isTransient(error)).toBe(true);
  });

  it('retries a GET the server did not answer, then recovers', async () => {
    const server = fakeServer([refused(), refused(), json(200, RUNS)]);
    const retry = noWait();
    await expect(
      requestAPI('runs', {}, server.settings, retry)
    ).resolves.toEqual(RUNS);
    expect(server.requests).toHaveLength(3);
    expect(retry.waits).toEqual([500, 1000]);
  });

  it('reports a server that never answers as a network error', async () => {
    const server = fakeServer([refused()]);
    const retry = noWait();
    const error = await failure(requestAPI('runs', {}, server.settings, retry));
    expect(server.requests).toHaveLength(4);
    expect(retry.waits).toEqual([500, 1000, 2000]);
    expect(error.status).toBe(0);
    expect(error.code).toBe('network_error');
    expect(error.message).toContain('Failed to fetch');
    expect(isTransient(error)).toBe(true);
  });

  it.each(['POST', 'DELETE', 'post'])(
    'never retries a %s: it fails at once with the store message',
    async method => {
      const server = fakeServer([unavailable(), json(201, { ok: true })]);
      const retry = noWait();
      const error = await failure(
        requestAPI('sweeps', { method, body: '{}' }, server.settings, retry)
      );
      expect(server.requests).toHaveLength(1);
      expect(retry.waits).toEqual([]);
      expect(error.code).toBe('store_unavailable');
      expect(error.message).toBe(OUTAGE.message);
    }
  );

  it('never retries a POST that got no answer', async () => {
    const server = fakeServer([refused(), json(201, { ok: true })]);
    const error = await failure(
      requestAPI('sweeps', { method: 'POST' }, server.settings, noWait())
    );
    expect(server.requests).toHaveLength(1);
    expect(error.code).toBe('network_error');
  });

  it('does not retry a read-only store, a bad request or an internal error', async () => {
    const answers: Array<[Response, string]> = [
      [
        json(503, { error: 'store_read_only', message: 'read-only store' }),
        'store_read_only'
      ],
      [json(503, { error: 'store_error', message: 'locked' }), 'store_error'],
      [
        json(400, { error: 'invalid_input', message: 'limit: too big' }),
        'invalid_input'
      ],
      [json(500, { error: 'internal', message: 'see the log' }), 'internal'],
      [new Response('<html>Not found</html>', { status: 404 }), 'http_404']
    ];
    for (const [answer, code] of answers) {
      const server = fakeServer([answer, json(200, RUNS)]);
      const retry = noWait();
      const error = await failure(
        requestAPI('runs', {}, server.settings, retry)
      );
      expect(error.code).toBe(code);
      expect(isTransient(error)).toBe(false);
      expect(server.requests).toHaveLength(1);
      expect(retry.waits).toEqual([]);
    }
  });

  it('does not retry an aborted request', async () => {
    const controller = new AbortController();
    controller.abort();
    const server = fakeServer([refused(), json(200, RUNS)]);
    const retry = noWait();
    const error = await failure(
      requestAPI('runs', { signal: controller.signal }, server.settings, retry)
    );
    expect(server.requests).toHaveLength(1);
    expect(retry.waits).toEqual([]);
    expect(error.code).toBe('network_error');
  });

  it('refuses an answer that is not JSON', async () => {
    const server = fakeServer([new Response('', { status: 200 })]);
    const error = await failure(
      requestAPI('runs', {}, server.settings, noWait())
    );
    expect(error.code).toBe('invalid_response');
  });
});

describe('withQuery', () => {
  it('leaves out empty fields, keeps false and 0, and encodes values', () => {
    expect(
      withQuery('runs', {
        where: "status = 'failed'",
        limit: 0,
        deleted: false,
        order_by: '',
        offset: null,
        columns: undefined
      })
    ).toBe('runs?where=status+%3D+%27failed%27&limit=0&deleted=false');
  });

  it('gives the bare endpoint when nothing is left', () => {
    expect(withQuery('exports', {})).toBe('exports');
    expect(withQuery('sweeps', { limit: undefined, experiment: '' })).toBe(
      'sweeps'
    );
  });
});

describe('sendJSON', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('POSTs the body as JSON by default, PATCHes when asked, never retrying', async () => {
    const server = fakeServer([json(200, { ok: 1 }), unavailable()]);
    serveByDefault(server);
    expect(await sendJSON('sweeps/preview', { n: 3 })).toEqual({ ok: 1 });
    await expect(
      sendJSON(runPath('a b'), { name: 'x' }, { method: 'PATCH' })
    ).rejects.toBeInstanceOf(WorkbenchAPIError);

    const [post, patch] = server.requests;
    expect(server.requests).toHaveLength(2); // the 503 was not retried
    expect(post.method).toBe('POST');
    expect(routeOf(post)).toBe('sweeps/preview');
    expect(await post.json()).toEqual({ n: 3 });
    expect(patch.method).toBe('PATCH');
    expect(routeOf(patch)).toBe('runs/a%20b');
    expect(await patch.json()).toEqual({ name: 'x' });
  });
});
