/**
 * Recording media: real audio bytes, the same for the same recording sid, so tests can
 * checksum them.
 * - WAV: 16-bit PCM at 8 kHz (Twilio's recording rate), `durationMs` of a sine tone whose
 *   pitch is derived from the sid, one channel per recording channel.
 * - MP3: a valid MPEG-1 Layer III stream of the same length, but silent (encoding the tone
 *   would need an MP3 encoder; every frame carries zero audio data, which decoders play as
 *   silence).
 */
import { createHash } from "node:crypto";

const SAMPLE_RATE = 8000;
export const defaultMediaMs = 400;

function toneHz(sid: string): number {
  return 300 + (createHash("sha1").update(sid).digest().readUInt16BE(0) % 600);
}

export function recordingWav(
  sid: string,
  channels: 1 | 2 = 1,
  durationMs = defaultMediaMs,
): Buffer {
  const frames = Math.round((SAMPLE_RATE * durationMs) / 1000);
  const dataBytes = frames * channels * 2;
  const wav = Buffer.alloc(44 + dataBytes);
  wav.write("RIFF", 0, "ascii");
  wav.writeUInt32LE(36 + dataBytes, 4);
  wav.write("WAVE", 8, "ascii");
  wav.write("fmt ", 12, "ascii");
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(channels, 22);
  wav.writeUInt32LE(SAMPLE_RATE, 24);
  wav.writeUInt32LE(SAMPLE_RATE * channels * 2, 28); // byte rate
  wav.writeUInt16LE(channels * 2, 32); // block align
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write("data", 36, "ascii");
  wav.writeUInt32LE(dataBytes, 40);
  const hz = toneHz(sid);
  for (let frame = 0; frame < frames; frame++) {
    const sample = Math.round(0.3 * 32767 * Math.sin((2 * Math.PI * hz * frame) / SAMPLE_RATE));
    for (let channel = 0; channel < channels; channel++) {
      wav.writeInt16LE(sample, 44 + (frame * channels + channel) * 2);
    }
  }
  return wav;
}

/** MPEG-1 Layer III, 32 kbit/s, 44.1 kHz, mono, no CRC: 104-byte frames of 1152 samples. */
const MP3_HEADER = Buffer.from([0xff, 0xfb, 0x10, 0xc0]);
const MP3_FRAME_BYTES = 104;

export function recordingMp3(durationMs = defaultMediaMs): Buffer {
  const frames = Math.max(1, Math.ceil((44_100 * durationMs) / 1000 / 1152));
  const mp3 = Buffer.alloc(frames * MP3_FRAME_BYTES);
  for (let frame = 0; frame < frames; frame++) MP3_HEADER.copy(mp3, frame * MP3_FRAME_BYTES);
  return mp3;
}
