import type { Display } from '../../hal/display';
import { ListView } from './list';
import { FG, MUTED } from './theme';
import { fitText } from './text';

/** One entry of a menu: a label, a second line in small print, and whether it can be chosen. */
export interface MenuItem {
  label: string;
  detail: string;
  enabled: boolean;
}

export function menuItem(label: string, detail: string, enabled: boolean): MenuItem {
  return { label, detail, enabled };
}

/** Row height for menu entries with a detail line. */
export function menuRowHeight(d: Display): number {
  return d.fontHeight('normal') + d.fontHeight('small') + 7;
}

export function newMenuList(d: Display, count: number): ListView {
  const list = new ListView(menuRowHeight(d));
  list.setCount(count);
  return list;
}

/** Paints menu entry `item` as a list row (ListView's RowPainter shape, minus the index). */
export function paintMenuItem(d: Display, item: MenuItem, x: number, y: number, w: number): void {
  const nh = d.fontHeight('normal');
  d.drawString(fitText(d, item.label, 'normal', w - 12), x + 6, y + 3, 'normal', item.enabled ? FG : MUTED, -1);
  if (item.detail.length > 0) d.drawString(fitText(d, item.detail, 'small', w - 12), x + 6, y + 4 + nh, 'small', MUTED, -1);
}
