/**
 * The words a simulated recording "contains": a short agent/customer exchange picked from the
 * recording sid, so the same recording always gives the same transcript.
 */
import { createHash } from "node:crypto";

const openings = [
  "Thank you for calling, how can I help you today?",
  "Good morning, you are through to customer support.",
  "Hello, thanks for holding, this is the support team.",
];
const requests = [
  "I would like to check the status of my order.",
  "I need to change the address on my account.",
  "My last invoice looks higher than usual.",
  "I want to book a technician visit for next week.",
];
const closings = [
  "I have updated that for you, is there anything else?",
  "That is all sorted now, thank you for your patience.",
  "I have sent you a confirmation by email.",
];

export interface Sentence {
  /** 1 is the agent, 2 the customer. */
  channel: 1 | 2;
  text: string;
}

export function sentencesFor(recordingSid: string): Sentence[] {
  const digest = createHash("sha1").update(recordingSid).digest();
  const pick = (list: string[], byte: number) =>
    list[(digest[byte] as number) % list.length] as string;
  return [
    { channel: 1, text: pick(openings, 0) },
    { channel: 2, text: pick(requests, 1) },
    { channel: 1, text: pick(closings, 2) },
  ];
}

/** The whole transcript as one text, sentences joined by spaces. */
export function transcriptTextFor(recordingSid: string): string {
  return sentencesFor(recordingSid)
    .map((sentence) => sentence.text)
    .join(" ");
}
