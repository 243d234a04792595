/** What an adapter hands to the pipeline. The pipeline infers `class`, validates and stamps it. */
export type PointValue = number | string | boolean | Record<string, unknown> | unknown[];

export interface PointInput {
  /** Unprefixed metric name; the pipeline adds the adapter's prefix (default `<adapter id>.`). */
  metric: string;
  value: PointValue;
  /**
   * Milliseconds since the epoch, only when the source itself says when (GPS time, a PLC's
   * source timestamp, a replayed capture). Leave it out otherwise: the pipeline stamps the
   * point from the monotonic clock, mapped through the server offset, so a wall-clock step on
   * the box never bends the series. Points without a timestamp in one `emit()` call share one
   * stamp.
   */
  timestamp?: number;
  tags?: Record<string, string>;
  /** Routes the point to another Plexus source than the adapter's own. Rarely needed. */
  source_id?: string;
}

export type PointClass = "metric" | "event";

/** A point after validation: what goes into a queue and onto the wire. */
export interface Point {
  class: PointClass;
  metric: string;
  value: PointValue;
  timestamp: number;
  tags?: Record<string, string>;
  session_id?: string;
}
