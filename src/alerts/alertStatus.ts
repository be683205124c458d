/** Which alerts a listing shows: the open ones, the resolved ones, or all. */
export const alertStatuses = ["open", "resolved", "all"] as const;
export type AlertStatusFilter = (typeof alertStatuses)[number];
