// How the panels say that something went wrong: one message, one optional hint.

import * as React from 'react';

import { WorkbenchAPIError } from './api';

/** The message when a Workbench route is missing (HTTP 404 that is not ours). */
export const NOT_FOUND_MESSAGE = 'Workbench server extension not found';

export interface IViewError {
  message: string;
  hint?: string;
}

/** A failure as the user should read it. Our own 404s (an unknown run or sweep) carry
 * the code "not_found"; any other 404 means the server extension is not there. */
export function describeError(reason: unknown): IViewError {
  if (reason instanceof WorkbenchAPIError) {
    if (reason.status === 404 && reason.code !== 'not_found') {
      return {
        message: NOT_FOUND_MESSAGE,
        hint:
          'Check that `jupyter server extension list` shows workbench ' +
          'enabled, then restart JupyterLab.'
      };
    }
    return { message: reason.message };
  }
  return { message: reason instanceof Error ? reason.message : String(reason) };
}

export function ErrorBlock({ error }: { error: IViewError }): JSX.Element {
  return (
    <div className="wb-RunsPanel-error" role="alert">
      <div className="wb-RunsPanel-errorMessage">{error.message}</div>
      {error.hint && <div className="wb-RunsPanel-hint">{error.hint}</div>}
    </div>
  );
}
