/** A browser tab whose visibility a test sets: it fires visibilitychange like `document`. */
import type { IVisibilitySource } from '../src/poller';

export class FakePage extends EventTarget implements IVisibilitySource {
  visibilityState: DocumentVisibilityState = 'visible';

  set(state: DocumentVisibilityState): void {
    this.visibilityState = state;
    this.dispatchEvent(new Event('visibilitychange'));
  }
}
