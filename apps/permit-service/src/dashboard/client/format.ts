/** Text for figures, dates and names: plain functions, no DOM. */

export const money = new Intl.NumberFormat('en-CA', { style: 'currency', currency: 'CAD', maximumFractionDigits: 0 });
export const count = new Intl.NumberFormat('en-CA');

const STATUSES: readonly string[] = ['ISSUED', 'SUSPENDED', 'CANCELLED', 'EXPIRED'];

export function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** The reader's local wall-clock time of day, for the status messages. */
export function clock(d: Date): string {
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A world date: the day alone when it is midnight UTC, else day and time in UTC. */
export function worldDate(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (isNaN(d.getTime())) return iso;
  const day = d.toISOString().slice(0, 10);
  if (d.getUTCHours() === 0 && d.getUTCMinutes() === 0 && d.getUTCSeconds() === 0) return day;
  return `${day} ${d.toISOString().slice(11, 16)} UTC`;
}

/** A ledger time, to the second, in UTC. */
export function recordedDate(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)} UTC`;
}

/** `PermitReviewFindingRecorded` reads "Permit review finding recorded". */
export function humanType(type: string): string {
  return type.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^(\S+) (.*)$/, (_, a: string, b: string) => `${a} ${b.toLowerCase()}`);
}

/** `issuance_suspended` reads "issuance suspended". */
export function humanWord(s: string): string {
  return s.replace(/_/g, ' ');
}

/** The colour class of a status; a status the page does not know gets a neutral one. */
export function statusClass(s: string): string {
  return STATUSES.includes(s) ? `s-${s}` : 's-other';
}

/** A YYYY-MM month as a count of months, so months can be stepped through. */
export function monthIndex(m: string): number {
  const [year, month] = m.split('-');
  return Number(year) * 12 + Number(month) - 1;
}

export function monthName(i: number): string {
  return `${Math.floor(i / 12)}-${pad((i % 12) + 1)}`;
}
