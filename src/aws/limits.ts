/** Service limits of CloudWatch Logs Live Tail that every stage plans and checks against. */

/** Log groups one StartLiveTail may name (also the most a rule may name). */
export const MAX_GROUPS_PER_SESSION = 10;
/** Stream names or prefixes one StartLiveTail may name. */
export const MAX_STREAM_FILTERS = 100;
/** Concurrent Live Tail sessions per account and region (the default quota). */
export const MAX_CONCURRENT_SESSIONS = 15;
/** Session-minutes of one session running all month (30 days). */
export const MINUTES_A_MONTH = 30 * 24 * 60;
