import { describe, expect, it } from 'vitest';

import { WorkbenchAPIError } from '../src/api';
import {
  describeError,
  errorText,
  NOT_FOUND_MESSAGE,
  SERVER_UNREACHABLE_MESSAGE,
  STORE_READ_ONLY_MESSAGE,
  STORE_UNAVAILABLE_MESSAGE
} from '../src/errors';

const unavailable = new WorkbenchAPIError(
  503,
  'store_unavailable',
  'the Workbench store at /srv/wb/workbench.db is unavailable (disk I/O error); ' +
    'try again when the database is back',
  5000
);

describe('describeError', () => {
  it('names a store outage, with the server message and that it retries', () => {
    expect(describeError(unavailable, { retrying: true })).toEqual({
      message: STORE_UNAVAILABLE_MESSAGE,
      hint:
        'The Workbench store at /srv/wb/workbench.db is unavailable (disk I/O ' +
        'error); try again when the database is back. Workbench keeps trying ' +
        'and shows the list again when it answers.'
    });
  });

  it('says a request that was not retried was not', () => {
    const error = describeError(unavailable);
    expect(error.message).toBe(STORE_UNAVAILABLE_MESSAGE);
    expect(error.hint).toMatch(
      /Nothing was retried: try again when it answers\.$/
    );
  });

  it('names a server that does not answer', () => {
    const error = describeError(
      new WorkbenchAPIError(0, 'network_error', 'Failed to fetch'),
      { retrying: true }
    );
    expect(error.message).toBe(SERVER_UNREACHABLE_MESSAGE);
    expect(error.hint).toMatch(/^Failed to fetch\. Workbench keeps trying/);
  });

  it('names a read-only store, without promising a retry', () => {
    const error = describeError(
      new WorkbenchAPIError(
        503,
        'store_read_only',
        'the Workbench store at /srv/wb/workbench.db is read-only (attempt to ' +
          'write a readonly database): reading works, writing needs write access'
      ),
      { retrying: true }
    );
    expect(error.message).toBe(STORE_READ_ONLY_MESSAGE);
    expect(error.hint).toMatch(/^The Workbench store .* write access\.$/);
    expect(error.hint).not.toContain('trying');
  });

  it('tells a missing extension from a missing run', () => {
    expect(
      describeError(new WorkbenchAPIError(404, 'http_404', 'Not Found')).message
    ).toBe(NOT_FOUND_MESSAGE);
    expect(
      describeError(new WorkbenchAPIError(404, 'not_found', 'no run abc'))
    ).toEqual({ message: 'no run abc' });
  });

  it('passes other failures through', () => {
    expect(
      describeError(new WorkbenchAPIError(400, 'invalid_input', 'limit: 0'))
    ).toEqual({ message: 'limit: 0' });
    expect(describeError(new Error('boom'))).toEqual({ message: 'boom' });
    expect(describeError('odd')).toEqual({ message: 'odd' });
  });
});

describe('errorText', () => {
  it('joins the message and the hint', () => {
    expect(errorText({ message: 'Store unavailable', hint: 'Down.' })).toBe(
      'Store unavailable: Down.'
    );
    expect(errorText({ message: 'limit: 0' })).toBe('limit: 0');
  });
});
