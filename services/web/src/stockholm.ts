/** The server's own calendar and band rules, bundled for the browser (they are pure). */
export { stockholmDay } from '../../core/stockholm-time.ts';
export { delayBand as band } from '../../clock/delay-band.ts';
import { fromEpochDay, isoDate } from '../../core/stockholm-time.ts';

export const isoDay = (day: number): string => isoDate(fromEpochDay(day));
