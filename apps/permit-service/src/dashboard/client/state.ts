import type { DestinationView, EventData, PermitHistory, PermitRow, Stats, Actor } from './types.js';

/** What the token says of its holder; shown to the reader only (the service decides on the token itself). */
export interface Claims {
  sub: string | null;
  roles: string[];
  /** Expiry, in seconds since the epoch. */
  exp: number | null;
}

/** An event of the live feed, as the "Live events" list shows it. */
export interface RecentEvent {
  position: number;
  type: string;
  stream: string | undefined;
  effectiveAt: string | undefined;
  actor: Actor | undefined;
  data: EventData | undefined;
}

/**
 * The page's one state. `generation` grows on every sign-in and sign-out: an answer that arrives for an
 * older generation belongs to a session that is gone and is dropped.
 */
export interface DashboardState {
  token: string | null;
  claims: Claims | null;
  stats: Stats | null;
  /** The destination whose measures are shown. */
  country: string;
  destination: DestinationView | null;
  /** The permit whose history is shown. */
  permit: string | null;
  history: PermitHistory | null;
  permitRow: PermitRow | null;
  barsBy: 'count' | 'value';
  /** The feed's last event id, sent back as Last-Event-ID on reconnecting. */
  lastEventId: string | null;
  feedAbort: AbortController | null;
  feedTimer: number | undefined;
  pollTimer: number | undefined;
  refreshTimer: number | undefined;
  /** Types of the feed's events not yet shown in the figures. */
  pending: string[];
  /** The highest log position the page has heard of: reads wait for the projections to reach it. */
  minPosition: number;
  recent: RecentEvent[];
  generation: number;
}

export const state: DashboardState = {
  token: null,
  claims: null,
  stats: null,
  country: 'TR',
  destination: null,
  permit: null,
  history: null,
  permitRow: null,
  barsBy: 'count',
  lastEventId: null,
  feedAbort: null,
  feedTimer: undefined,
  pollTimer: undefined,
  refreshTimer: undefined,
  pending: [],
  minPosition: 0,
  recent: [],
  generation: 0,
};
