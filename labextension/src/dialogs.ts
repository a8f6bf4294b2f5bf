/**
 * A confirmation that does not outlive its question: while it is open it
 * asks `outdated()` a few times a second, and when that names a reason (the
 * sweep ended, the job finished) it closes itself and says why, instead of
 * offering to cancel what is already over.
 */
import { Dialog, Notification } from '@jupyterlab/apputils';

export const WATCH_MS = 300;

export interface IWatchedConfirm {
  title: string;
  body: string;
  /** The button that acts (a warning style: it stops something). */
  accept: string;
  /** The button that leaves things as they are. */
  keep: string;
  /** null while the question still stands, else why it does not any more. */
  outdated: () => string | null;
}

/** True when the user accepted while the question still stood. */
export async function confirmWhileValid(
  options: IWatchedConfirm
): Promise<boolean> {
  const dialog = new Dialog({
    title: options.title,
    body: options.body,
    buttons: [
      Dialog.cancelButton({ label: options.keep }),
      Dialog.warnButton({ label: options.accept })
    ]
  });
  let closedBecause: string | null = null;
  const timer = setInterval(() => {
    const why = options.outdated();
    if (why !== null && closedBecause === null) {
      closedBecause = why;
      dialog.reject();
    }
  }, WATCH_MS);
  try {
    const result = await dialog.launch();
    if (closedBecause === null) {
      closedBecause = result.button.accept ? options.outdated() : null;
      if (closedBecause === null) {
        return result.button.accept;
      }
    }
  } finally {
    clearInterval(timer);
    dialog.dispose();
  }
  Notification.info(closedBecause, { autoClose: 6000 });
  return false;
}
