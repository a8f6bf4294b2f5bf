// How the panels say that something went wrong: one message, one optional hint.

import * as React from 'react';

import { isTransient, STORE_UNAVAILABLE, WorkbenchAPIError } from './api';

/** The message when a Workbench route is missing (HTTP 404 that is not ours). */
export const NOT_FOUND_MESSAGE = 'Workbench server extension not found';

export interface IViewError {
  message: string;
  hint?: string;
}

export const STORE_UNAVAILABLE_MESSAGE = 'Store unavailable';
export const SERVER_UNREACHABLE_MESSAGE = 'Jupyter server not answering';
export const STORE_READ_ONLY_MESSAGE = 'Store is read-only';

export interface IDescribeOptions {
  /** The view polls again by itself (the runs and sweeps lists). */
  retrying?: boolean;
}

/**
 * A failure as the user should read it. Our own 404s (an unknown run or
 * sweep) carry the code "not_found"; any other 404 means the server extension
 * is not there. An outage of the store or the server reads as such, with the
 * server's message as the hint and what happens next.
 */
export function describeError(
  reason: unknown,
  options: IDescribeOptions = {}
): IViewError {
  if (reason instanceof WorkbenchAPIError) {
    if (reason.status === 404 && reason.code !== 'not_found') {
      return {
        message: NOT_FOUND_MESSAGE,
        hint:
          'Check that `jupyter server extension list` shows workbench ' +
          'enabled, then restart JupyterLab.'
      };
    }
    if (isTransient(reason)) {
      const next = options.retrying
        ? 'Workbench keeps trying and shows the list again when it answers.'
        : 'Nothing was retried: try again when it answers.';
      return {
        message:
          reason.code === STORE_UNAVAILABLE
            ? STORE_UNAVAILABLE_MESSAGE
            : SERVER_UNREACHABLE_MESSAGE,
        hint: `${sentence(reason.message)} ${next}`
      };
    }
    if (reason.code === 'store_read_only') {
      return {
        message: STORE_READ_ONLY_MESSAGE,
        hint: sentence(reason.message)
      };
    }
    return { message: reason.message };
  }
  return { message: reason instanceof Error ? reason.message : String(reason) };
}

/** The message and its hint on one line, for a notification. */
export function errorText(error: IViewError): string {
  return error.hint ? `${error.message}: ${error.hint}` : error.message;
}

/** "the store is down" -> "The store is down." */
function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') {
    return trimmed;
  }
  const capital = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

export function ErrorBlock({ error }: { error: IViewError }): JSX.Element {
  return (
    <div className="wb-RunsPanel-error" role="alert">
      <div className="wb-RunsPanel-errorMessage">{error.message}</div>
      {error.hint && <div className="wb-RunsPanel-hint">{error.hint}</div>}
    </div>
  );
}
