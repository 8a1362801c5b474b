export { ManualClock } from '../../hal/manual-clock';
