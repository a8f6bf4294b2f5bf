/**
 * A confirmation that does not outlive its question: while it is open it
 * asks `outdated()` a few times a second, and when that names a reason (the
 * sweep ended, the job finished) it closes itself and says why, instead of
 * offering to cancel what is already over.
 */
import { Dialog, Notification } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

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

/** A dialog body that says what to send, or null while a problem stands. */
export interface IGuardedBody<T> extends Widget {
  getValue(): T | null;
  /** Point at the problem (called when the accept button is refused). */
  refused(): void;
}

/**
 * A dialog whose accept button does nothing but point at the problem while
 * its body has one, instead of closing with a request the server refuses.
 */
export interface IGuardedOptions<T> {
  title: string;
  body: IGuardedBody<T>;
  accept: string;
  className?: string;
}

/** Ask with a guarded dialog: the request it accepted, or null when cancelled. */
export async function askGuarded<T>(
  options: IGuardedOptions<T>
): Promise<T | null> {
  const dialog = new GuardedDialog(options);
  try {
    const result = await dialog.launch();
    return result.button.accept ? result.value : null;
  } finally {
    dialog.dispose();
  }
}

export class GuardedDialog<T> extends Dialog<T | null> {
  constructor(options: IGuardedOptions<T>) {
    super({
      title: options.title,
      body: options.body,
      buttons: [
        Dialog.cancelButton(),
        Dialog.okButton({ label: options.accept, ariaLabel: options.accept })
      ],
      defaultButton: 1
    });
    this._guarded = options.body;
    if (options.className) {
      this.addClass(options.className);
    }
  }

  resolve(index?: number): void {
    const accepting = index === undefined || index === 1;
    if (accepting && this._guarded.getValue() === null) {
      this._guarded.refused();
      return;
    }
    super.resolve(index);
  }

  private readonly _guarded: IGuardedBody<T>;
}
