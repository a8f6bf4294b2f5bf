/**
 * How an action that failed says so: one error toast, "<what>: <why>", with
 * the server's message and hint (actions are never retried, so it says why).
 */
import { Notification } from '@jupyterlab/apputils';

import { describeError, errorText } from './errors';

export function notifyFailure(
  what: string,
  reason: unknown,
  autoClose = 8000
): void {
  Notification.error(`${what}: ${errorText(describeError(reason))}`, {
    autoClose
  });
}
