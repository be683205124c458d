/**
 * GC tuning for the API process. V8 judges the row objects of pg query results long-lived (a
 * result is gathered row by row before anyone reads it) and allocates them straight in the old
 * generation, which keeps every value they hold alive past young-generation collections. At a
 * few hundred list pages a second that was ~10 MB/s of old-generation garbage: a full
 * collection every few seconds, each stalling requests for 5-20 ms, and slower scavenges
 * (median 3.5 ms instead of 0.8 ms). With allocation-site pretenuring off, the garbage of a
 * request dies young, where collecting it is cheap.
 *
 * Applied by `switchboard api` before it serves; worker processes keep V8's defaults.
 */
import v8 from "node:v8";

export function keepRequestGarbageYoung(): void {
  v8.setFlagsFromString("--no-allocation-site-pretenuring");
}
