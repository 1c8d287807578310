import { csvCell } from '@permit-ledger/event-store';
import { CRITERIA } from '@permit-ledger/permits';
import type { ExportReport } from '@permit-ledger/projections';

/**
 * The report as CSV (RFC 4180: CRLF line ends, quoted where needed, formula-looking cells neutralised):
 * one row per entry, one column per figure, a refusals column per criterion code (the reference list's,
 * then any other code cited, by name).
 */
export function reportCsv(report: ExportReport): string {
  const listed: string[] = CRITERIA.map((c) => c.code);
  const cited = new Set(report.entries.flatMap((e) => Object.keys(e.refusalsByCriterion)));
  const codes = [...listed, ...[...cited].filter((c) => !listed.includes(c)).sort()];
  const header = [
    'year',
    'destination',
    'applications_received',
    'applications_approved',
    'applications_refused',
    'applications_withdrawn',
    'applications_on_hold',
    ...codes.map((c) => `refusals_${c}`),
    'permits_issued',
    'permits_suspended',
    'permits_cancelled',
    'permits_expired',
    'permits_exhausted',
    'value_authorized_cad',
    'permits_utilized',
    'value_exported_cad',
    'as_of',
    'known_at',
  ];
  const rows = report.entries.map((e) => [
    e.year,
    e.destination,
    e.applications.received,
    e.applications.approved,
    e.applications.refused,
    e.applications.withdrawn,
    e.applications.onHold,
    ...codes.map((c) => e.refusalsByCriterion[c] ?? 0),
    e.permits.issued,
    e.permits.suspended,
    e.permits.cancelled,
    e.permits.expired,
    e.permits.exhausted,
    e.valueAuthorizedCad,
    e.permitsUtilized,
    e.valueExportedCad,
    report.asOf,
    report.knownAt,
  ]);
  return [header, ...rows].map((cells) => cells.map(csvCell).join(',') + '\r\n').join('');
}
