import type { Display } from '../../hal/display';
import type { InputEvent } from '../../hal/input';
import type { ModelChange } from '../app/model';
import type { Rect } from './list';
import type { Chrome, Screen, Ui } from './screen';

/**
 * The defaults most screens share: full chrome, a whole-body dirty flag, and a `closed` flag
 * that late asynchronous results check so a finished operation never acts on a screen the user
 * already left.
 */
export abstract class BaseScreen implements Screen {
  protected readonly ui: Ui;
  protected closed = false;
  /** Repaint the whole body on the next render. */
  protected dirty = true;

  constructor(ui: Ui) {
    this.ui = ui;
  }

  abstract title(): string;
  abstract handleInput(e: InputEvent): void;
  abstract render(d: Display, body: Rect, full: boolean): void;

  chrome(): Chrome {
    return 'full';
  }

  onModelChange(_c: ModelChange): void {
    // Most screens show nothing the model changes.
  }

  onShow(): void {
    this.dirty = true;
  }

  onTick(_nowMs: number): void {
    // Most screens have nothing that moves on its own.
  }

  needsRender(): boolean {
    return this.dirty;
  }

  close(): void {
    this.closed = true;
  }

  /** Marks the whole body for repainting and asks the UI for a frame. */
  protected redraw(): void {
    this.dirty = true;
    this.ui.invalidate();
  }
}
