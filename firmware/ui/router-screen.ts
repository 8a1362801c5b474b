import type { Display } from '../../hal/display';
import type { InputEvent } from '../../hal/input';
import type { ModelChange, Progress, RouterInfo } from '../app/model';
import { AddRouterScreen } from './add-router-screen';
import { BaseScreen } from './base-screen';
import { aboveHint, drawHint } from './draw';
import { errorText } from './error-text';
import { navKey } from './keys';
import type { ListView, Rect } from './list';
import { menuItem, newMenuList, paintMenuItem, type MenuItem } from './menu';
import { ProgressView } from './progress';
import { routerStateText } from './routers-screen';
import type { Ui } from './screen';
import { fitText, wrapText } from './text';
import { BG, ERROR, FG, MUTED, OK, WARN } from './theme';

export type RouterMode = 'main' | 'testing' | 'tested';

/** One step of a router test as the screen lists it. */
export interface TestStep {
  label: string;
  state: 'running' | 'ok' | 'failed';
}

type Action = 'enable' | 'disable' | 'test' | 'remove' | 'address';

/**
 * One router: its state, enable/disable, remove (routers the user added), and the on-device
 * test (connect, create a queue, secure it, send, delete) with every step listed as it runs,
 * so a failure names the step that failed.
 */
export class RouterScreen extends BaseScreen {
  readonly routerId: string;
  mode: RouterMode = 'main';
  private router: RouterInfo | null = null;
  readonly list: ListView;
  private items: MenuItem[] = [];
  private actions: Action[] = [];
  steps: TestStep[] = [];
  private progress: ProgressView | null = null;
  /** After a test: "" when it passed, else why it failed. */
  failure = '';

  constructor(ui: Ui, routerId: string) {
    super(ui);
    this.routerId = routerId;
    this.list = newMenuList(ui.display, 0);
    this.refresh();
  }

  title(): string {
    return this.router !== null ? this.router.host : this.routerId;
  }

  private find(): RouterInfo | null {
    const all = this.ui.model.routers();
    for (let i = 0; i < all.length; i++) if (all[i].id === this.routerId) return all[i];
    return null;
  }

  private refresh(): void {
    this.router = this.find();
    this.items = [];
    this.actions = [];
    const r = this.router;
    if (r !== null) {
      if (r.state === 'awaiting-fingerprint') {
        this.add('address', menuItem('Enter its address', 'smp://fingerprint@' + r.host, true));
      } else {
        if (r.state === 'ready') this.add('disable', menuItem('Disable', 'No new queues or messages through it', true));
        else this.add('enable', menuItem('Enable', 'Use it for new queues and messages', true));
        this.add('test', menuItem('Test', 'Connect, create a queue, secure it, send, delete', true));
      }
      if (r.removable) this.add('remove', menuItem('Remove', 'Delete it from the list', true));
    }
    this.list.setCount(this.items.length);
    this.list.invalidate();
    this.redraw();
  }

  private add(action: Action, item: MenuItem): void {
    this.actions.push(action);
    this.items.push(item);
  }

  handleInput(e: InputEvent): void {
    const k = navKey(e);
    if (this.mode === 'testing') return;
    if (this.mode === 'tested') {
      if (k === 'back' || k === 'left' || k === 'enter') {
        this.mode = 'main';
        this.progress = null;
        this.refresh();
      }
      return;
    }
    if (this.list.handleNav(k)) {
      this.ui.invalidate();
      return;
    }
    if (k === 'back' || k === 'left') this.ui.pop();
    else if (k === 'enter' && this.list.selected < this.actions.length) this.act(this.actions[this.list.selected]);
  }

  private act(a: Action): void {
    const m = this.ui.model;
    try {
      switch (a) {
        case 'enable':
          m.setRouterEnabled(this.routerId, true);
          break;
        case 'disable':
          m.setRouterEnabled(this.routerId, false);
          break;
        case 'address':
          this.ui.push(new AddRouterScreen(this.ui, 'smp://'));
          return;
        case 'remove':
          this.ui.confirm('Remove router?', 'Remove ' + this.title() + ' from the list?', 'Remove', () => {
            try {
              this.ui.model.removeRouter(this.routerId);
              // The model's change may already have closed this screen (the router is gone).
              if (!this.closed) this.ui.pop();
            } catch (err) {
              this.ui.showError('Not removed', err);
            }
          });
          return;
        default:
          this.test();
          return;
      }
    } catch (err) {
      this.ui.showError('Router', err);
    }
    this.refresh();
  }

  private test(): void {
    this.mode = 'testing';
    this.steps = [];
    this.failure = '';
    this.progress = new ProgressView('Testing ' + this.title(), 'Connecting', this.ui.clock.monotonic());
    this.redraw();
    this.ui.model
      .testRouter(this.routerId, (p: Progress) => {
        if (this.closed || this.mode !== 'testing' || this.progress === null) return;
        this.progress.update(p);
        this.stepReached(p);
        this.redraw();
      })
      .then(
        () => {
          if (this.closed) return;
          for (let i = 0; i < this.steps.length; i++) this.steps[i].state = 'ok';
          this.mode = 'tested';
          this.redraw();
        },
        (e: unknown) => {
          if (this.closed) return;
          const last = this.steps.length - 1;
          if (last >= 0) this.steps[last].state = 'failed';
          this.failure = errorText(e);
          this.mode = 'tested';
          this.redraw();
        },
      );
  }

  /** Every step before the one now running has passed. */
  private stepReached(p: Progress): void {
    for (let i = 0; i < this.steps.length; i++) this.steps[i].state = 'ok';
    const i = p.step - 1;
    if (i < 0) return;
    while (this.steps.length <= i) this.steps.push({ label: '', state: 'ok' });
    this.steps[i].label = p.label;
    this.steps[i].state = 'running';
    if (this.steps.length > i + 1) this.steps = this.steps.slice(0, i + 1);
  }

  onModelChange(c: ModelChange): void {
    if ((c.kind === 'routers' || c.kind === 'network') && this.mode === 'main' && !this.closed) {
      if (this.find() === null) this.ui.pop();
      else this.refresh();
    }
  }

  onShow(): void {
    this.refresh();
  }

  onTick(nowMs: number): void {
    if (this.progress !== null && this.mode === 'testing') {
      this.progress.tick(nowMs);
      if (this.progress.needsRender()) this.ui.invalidate();
    }
  }

  needsRender(): boolean {
    return this.dirty || this.list.needsRender() || (this.mode === 'testing' && this.progress !== null && this.progress.needsRender());
  }

  render(d: Display, body: Rect, full: boolean): void {
    const all = full || this.dirty;
    const nh = d.fontHeight('normal');
    const sh = d.fontHeight('small');
    if (this.mode !== 'main') {
      const top: Rect = { x: body.x, y: body.y, w: body.w, h: 84 };
      if (this.progress !== null && (all || this.progress.needsRender())) this.progress.render(d, top);
      if (all) {
        d.fillRect(body.x, body.y + top.h, body.w, body.h - top.h, BG);
        let y = body.y + top.h + 2;
        for (let i = 0; i < this.steps.length; i++) {
          const s = this.steps[i];
          const mark = s.state === 'ok' ? 'ok' : s.state === 'failed' ? 'FAILED' : '...';
          d.drawString(mark, body.x + 10, y, 'small', s.state === 'ok' ? OK : s.state === 'failed' ? ERROR : WARN, -1);
          d.drawString(fitText(d, s.label, 'small', body.w - 70), body.x + 60, y, 'small', FG, -1);
          y += sh + 3;
        }
        if (this.mode === 'tested') {
          y += 4;
          if (this.failure.length === 0) d.drawString('The router works.', body.x + 10, y, 'normal', OK, -1);
          else {
            const lines = wrapText(d, this.failure, 'small', body.w - 20, 3);
            for (let i = 0; i < lines.length; i++) d.drawString(lines[i], body.x + 10, y + i * (sh + 2), 'small', ERROR, -1);
          }
          drawHint(d, body, 'Enter or Esc: back');
        }
      }
      this.dirty = false;
      return;
    }
    const headerH = nh + sh + 12;
    if (all) {
      d.fillRect(body.x, body.y, body.w, headerH, BG);
      if (this.router !== null) {
        const op = this.router.operator === 'user' ? 'Added by you' : 'Preset: ' + this.router.operator;
        d.drawString(op, body.x + 8, body.y + 4, 'normal', FG, -1);
        const s = routerStateText(this.router);
        d.drawString(fitText(d, s.text, 'small', body.w - 16), body.x + 8, body.y + 6 + nh, 'small', s.color, -1);
      } else {
        d.drawString('This router is no longer in the list.', body.x + 8, body.y + 4, 'normal', MUTED, -1);
      }
    }
    const rest: Rect = { x: body.x, y: body.y + headerH, w: body.w, h: body.h - headerH };
    this.list.render(d, aboveHint(d, rest), all, (dd, index, x, y, w) => paintMenuItem(dd, this.items[index], x, y, w));
    if (all) drawHint(d, body, 'Enter: choose   Esc: back');
    this.dirty = false;
  }
}
