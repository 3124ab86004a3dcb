import type { MaintenanceConfig } from '../config/schema.js';
import type { Model } from './model.js';
import type { Incident } from './records.js';

/**
 * Maintenance windows: one-off or recurring, written in local wall time of a time zone (DST
 * included), scoped to components or services. Inside a window, trouble that leaves a service
 * usable reads as ScheduledMaintenanceAvailable; a dark state (Down, …) breaks through.
 */

export interface Occurrence {
  windowId: string;
  start: string;
  end: string;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Offset of `timeZone` from UTC at the instant `utcMs`, in ms (east positive). */
function zoneOffset(utcMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(utcMs));
  const n = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  return Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second')) - Math.floor(utcMs / 1000) * 1000;
}

/**
 * The UTC instant of a local wall time ("2026-10-04T02:00") in a zone, by the Temporal
 * "compatible" rule: a wall time skipped by a spring-forward change is read with the offset
 * before the change (so 02:30 in a 02:00→03:00 gap is 03:30 after it: the window starts late,
 * never an hour early); a wall time repeated by a fall-back change is its first occurrence.
 */
export function zonedToUtc(local: string, timeZone: string): number {
  const [date, time] = local.split('T') as [string, string];
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [hh, mm] = time.split(':').map(Number) as [number, number];
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  // The offsets a day either side: a zone changes its offset at most once in that span.
  const before = zoneOffset(wall - DAY, timeZone);
  const after = zoneOffset(wall + DAY, timeZone);
  const valid = [...new Set([before, after])].map((o) => wall - o).filter((utc) => zoneOffset(utc, timeZone) === wall - utc);
  if (valid.length > 0) return Math.min(...valid);
  // In the gap: no instant shows this wall time; the offset in force before the change applies.
  return wall - before;
}

/** The local calendar date ("2026-10-04") of an instant in a zone. */
function localDate(utcMs: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(utcMs));
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
}

/** The occurrence of a window that contains `now`, if any. */
export function occurrenceAt(w: MaintenanceConfig, now: Date): Occurrence | undefined {
  const t = now.getTime();
  const [firstDate, time] = w.start.split('T') as [string, string];
  const firstStart = zonedToUtc(w.start, w.timeZone);
  if (t < firstStart) return undefined;
  if (w.until !== undefined && t >= zonedToUtc(w.until, w.timeZone)) return undefined;
  const candidates: number[] = [];
  if (w.repeat === 'none') candidates.push(firstStart);
  else {
    // Occurrences starting on today's or earlier local dates may still be running.
    const today = localDate(t, w.timeZone);
    const lookback = Math.ceil(w.durationMinutes / (24 * 60)) + (w.repeat === 'weekly' ? 7 : 1);
    for (let back = 0; back <= lookback; back++) {
      const date = addDays(today, -back);
      if (date < firstDate) break;
      const dayDiff = Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${firstDate}T00:00:00Z`)) / DAY);
      if (w.repeat === 'weekly' && dayDiff % 7 !== 0) continue;
      candidates.push(zonedToUtc(`${date}T${time}`, w.timeZone));
    }
  }
  for (const start of candidates) {
    const end = start + w.durationMinutes * MINUTE;
    if (t >= start && t < end) return { windowId: w.id, start: new Date(start).toISOString(), end: new Date(end).toISOString() };
  }
  return undefined;
}

export interface ActiveMaintenance {
  occurrences: Occurrence[];
  components: ReadonlySet<string>;
  services: ReadonlySet<string>;
}

export function activeMaintenance(windows: readonly MaintenanceConfig[], now: Date): ActiveMaintenance {
  const occurrences: Occurrence[] = [];
  const components = new Set<string>();
  const services = new Set<string>();
  for (const w of windows) {
    const o = occurrenceAt(w, now);
    if (!o) continue;
    occurrences.push(o);
    w.components.forEach((c) => components.add(c));
    w.services.forEach((s) => services.add(s));
  }
  return { occurrences, components, services };
}

export const noMaintenance: ActiveMaintenance = { occurrences: [], components: new Set(), services: new Set() };

/** The slot key of a window's open occurrence (never a component id: ids have no ":"). */
export const maintenanceCause = (windowId: string) => `maintenance:${windowId}`;

/**
 * The record of a notified window occurrence: stable id from the window and its start, the
 * scoped services (and the dependents of scoped components) listed as planned maintenance.
 */
export function maintenanceIncident(w: MaintenanceConfig, o: Occurrence, model: Pick<Model, 'dependentsOf'>): Incident {
  const services = new Set([...w.services, ...w.components.flatMap((c) => model.dependentsOf(c).map((s) => s.id))]);
  const stamp = o.start.slice(0, 16).replace(/[-:]/g, '');
  return {
    id: `MNT-${w.id}-${stamp}`,
    kind: 'maintenance',
    causeComponentId: maintenanceCause(w.id),
    openedAt: o.start,
    plannedEnd: o.end,
    status: 'open',
    services: Object.fromEntries([...services].sort().map((id) => [id, { state: 'ScheduledMaintenanceAvailable' as const, since: o.start, worst: 'ScheduledMaintenanceAvailable' as const }])),
    concurrent: [],
    certainty: 'confirmed',
    sources: [],
    noticeSeq: 0,
    version: 0,
  };
}
