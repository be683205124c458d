/**
 * Deleting a recording's copy on Twilio (`RECORDING_DELETE_FROM_TWILIO`), only ever once the
 * row says it is stored here. With transcription on, Voice Intelligence reads the recording
 * from Twilio (`source_sid`), so the copy is deleted after its transcript ended instead.
 */

import type { CallCenterServices } from "../callCenter/services.ts";
import type { Db } from "../database/pool.ts";
import type { Recording } from "../database/schema.ts";
import { isTwilioNotFound } from "../twilio/errors.ts";

/**
 * Deletes the Twilio copy of a stored (or archived) recording and sets `deleted_from_twilio_at`.
 * Returns false if it was already deleted. A 404 from Twilio counts as deleted.
 */
export async function deleteRecordingFromTwilio(
  db: Db,
  services: Pick<CallCenterServices, "twilio">,
  recording: Pick<Recording, "id" | "sid" | "status" | "deleted_from_twilio_at">,
): Promise<boolean> {
  if (recording.status !== "stored" && recording.status !== "archived") {
    throw new Error(
      `recording ${recording.sid} is ${recording.status}: it is deleted from Twilio only once stored`,
    );
  }
  if (recording.deleted_from_twilio_at) return false;
  try {
    await services.twilio.client.recordings(recording.sid).remove();
  } catch (error) {
    if (!isTwilioNotFound(error)) throw error;
  }
  const updated = await db
    .updateTable("recordings")
    .set({ deleted_from_twilio_at: new Date() })
    .where("id", "=", recording.id)
    .where("deleted_from_twilio_at", "is", null)
    .where("status", "in", ["stored", "archived"])
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

/** Whether the Twilio copy should go now that the recording is stored (transcription aside). */
export function deletesAfterStoring(services: Pick<CallCenterServices, "recordings">): boolean {
  return services.recordings.deleteFromTwilio && !services.recordings.enableTranscription;
}
