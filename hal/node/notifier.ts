/** The simulator's vibration motor and screen wake: counted, so the page and tests can show them. */
import type { Notifier, NotifyPattern } from '../notifier';

export class CountingNotifier implements Notifier {
  readonly alerts: NotifyPattern[] = [];
  wakes = 0;

  alert(pattern: NotifyPattern): void {
    if (this.alerts.length >= 100) this.alerts.shift();
    this.alerts.push(pattern);
  }

  wakeScreen(): void {
    this.wakes++;
  }
}
