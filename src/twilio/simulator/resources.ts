/** Resources as Twilio's JSON shapes them (snake_case, v2010 dates in RFC 2822, v2 in ISO 8601). */
import {
  finalCallStatuses,
  iso8601,
  rfc2822,
  type SimulatedCall,
  type SimulatedMessage,
  type SimulatedRecording,
  type SimulatedTranscript,
} from "./state.ts";

export const API_VERSION = "2010-04-01";
const PRICE_PER_MINUTE = 0.014;

export const accountPath = (accountSid: string) => `/${API_VERSION}/Accounts/${accountSid}`;

export function callJson(call: SimulatedCall) {
  const base = `${accountPath(call.accountSid)}/Calls/${call.sid}`;
  const ended = finalCallStatuses.has(call.status);
  const minutes = Math.ceil((call.durationSeconds ?? 0) / 60);
  return {
    sid: call.sid,
    account_sid: call.accountSid,
    api_version: API_VERSION,
    date_created: rfc2822(call.createdAt),
    date_updated: rfc2822(call.updatedAt),
    parent_call_sid: null,
    to: call.to,
    to_formatted: call.to,
    from: call.from,
    from_formatted: call.from,
    phone_number_sid: null,
    status: call.status === "initiated" ? "queued" : call.status,
    start_time: rfc2822(call.startedAt),
    end_time: rfc2822(call.endedAt),
    duration: ended ? String(call.durationSeconds ?? 0) : null,
    price: ended && minutes > 0 ? (-PRICE_PER_MINUTE * minutes).toFixed(5) : null,
    price_unit: "USD",
    direction: "outbound-api",
    answered_by: null,
    forwarded_from: null,
    group_sid: null,
    caller_name: null,
    queue_time: "0",
    trunk_sid: null,
    uri: `${base}.json`,
    subresource_uris: {
      notifications: `${base}/Notifications.json`,
      recordings: `${base}/Recordings.json`,
      payments: `${base}/Payments.json`,
      events: `${base}/Events.json`,
      siprec: `${base}/Siprec.json`,
      streams: `${base}/Streams.json`,
      transcriptions: `${base}/Transcriptions.json`,
      user_defined_message_subscriptions: `${base}/UserDefinedMessageSubscriptions.json`,
      user_defined_messages: `${base}/UserDefinedMessages.json`,
    },
  };
}

/**
 * Segments as Twilio counts them: 160 characters in one, 153 per segment beyond; 70 and 67 when
 * the body needs UCS-2. Here only printable ASCII counts as GSM-7 (an approximation).
 */
function segmentsOf(body: string): number {
  const [single, multi] = /^[\n\r\x20-\x7e]*$/.test(body) ? [160, 153] : [70, 67];
  const length = [...body].length;
  return length <= single ? 1 : Math.ceil(length / multi);
}

export function messageJson(message: SimulatedMessage) {
  const base = `${accountPath(message.accountSid)}/Messages/${message.sid}`;
  const errored = message.status === "failed" || message.status === "undelivered";
  return {
    sid: message.sid,
    account_sid: message.accountSid,
    api_version: API_VERSION,
    body: message.body,
    date_created: rfc2822(message.createdAt),
    date_updated: rfc2822(message.updatedAt),
    date_sent: rfc2822(message.sentAt),
    direction: "outbound-api",
    error_code: errored ? message.errorCode : null,
    error_message: null,
    from: message.from,
    messaging_service_sid: message.messagingServiceSid,
    num_media: "0",
    num_segments: message.from === null ? "0" : String(segmentsOf(message.body)),
    price: message.sentAt === undefined ? null : (-0.0079 * segmentsOf(message.body)).toFixed(5),
    price_unit: "USD",
    status: message.status,
    to: message.to,
    uri: `${base}.json`,
    subresource_uris: { media: `${base}/Media.json`, feedback: `${base}/Feedback.json` },
  };
}

export function recordingJson(recording: SimulatedRecording, baseUrl: string) {
  const path = `${accountPath(recording.accountSid)}/Recordings/${recording.sid}`;
  return {
    sid: recording.sid,
    account_sid: recording.accountSid,
    api_version: API_VERSION,
    call_sid: recording.callSid,
    conference_sid: null,
    date_created: rfc2822(recording.createdAt),
    date_updated: rfc2822(recording.createdAt),
    start_time: rfc2822(recording.startedAt),
    duration: String(recording.durationSeconds),
    price: null,
    price_unit: "USD",
    status: "completed",
    channels: recording.channels,
    source: "OutboundAPI",
    error_code: null,
    uri: `${path}.json`,
    encryption_details: null,
    subresource_uris: {
      add_on_results: `${path}/AddOnResults.json`,
      transcriptions: `${path}/Transcriptions.json`,
    },
    media_url: `${baseUrl}${path}`,
  };
}

export function transcriptJson(transcript: SimulatedTranscript, baseUrl: string) {
  const url = `${baseUrl}/v2/Transcripts/${transcript.sid}`;
  return {
    account_sid: transcript.accountSid,
    service_sid: transcript.serviceSid,
    sid: transcript.sid,
    date_created: iso8601(transcript.createdAt),
    date_updated: iso8601(transcript.updatedAt),
    status: transcript.status,
    channel: transcript.channel,
    data_logging: false,
    language_code: "en-US",
    customer_key: transcript.customerKey ?? null,
    media_start_time: null,
    duration: transcript.durationSeconds,
    url,
    redaction: true,
    encryption_credential_sid: null,
    links: {
      sentences: `${url}/Sentences`,
      encrypted_sentences: `${url}/EncryptedSentences`,
      media: `${url}/Media`,
      operator_results: `${url}/OperatorResults`,
      encrypted_operator_results: `${url}/EncryptedOperatorResults`,
    },
  };
}

export interface PageRequest {
  page: number;
  pageSize: number;
}

/** Reads Twilio's `Page` and `PageSize` (1–1000, default 50) from a query. */
export function pageRequest(query: Record<string, string>): PageRequest {
  const page = Number.parseInt(query.Page ?? "0", 10);
  const pageSize = Number.parseInt(query.PageSize ?? "50", 10);
  return {
    page: Number.isFinite(page) && page >= 0 ? page : 0,
    pageSize: Number.isFinite(pageSize) ? Math.min(1000, Math.max(1, pageSize)) : 50,
  };
}

/** One page in the v2010 shape: the records under `key`, with relative page URIs. */
export function v2010Page<T>(
  key: string,
  items: T[],
  path: string,
  filters: Record<string, string>,
  { page, pageSize }: PageRequest,
) {
  const start = page * pageSize;
  const records = items.slice(start, start + pageSize);
  const uri = (number: number) =>
    `${path}?${new URLSearchParams({ ...filters, PageSize: String(pageSize), Page: String(number) })}`;
  return {
    [key]: records,
    end: start + Math.max(0, records.length - 1),
    first_page_uri: uri(0),
    next_page_uri: start + pageSize < items.length ? uri(page + 1) : null,
    page,
    page_size: pageSize,
    previous_page_uri: page > 0 ? uri(page - 1) : null,
    start,
    uri: uri(page),
  };
}

/** One page in the v2 shape: the records under `key`, paging in `meta` with absolute URLs. */
export function v2Page<T>(key: string, items: T[], url: string, { page, pageSize }: PageRequest) {
  const start = page * pageSize;
  const pageUrl = (number: number) => `${url}?PageSize=${pageSize}&Page=${number}`;
  return {
    [key]: items.slice(start, start + pageSize),
    meta: {
      page,
      page_size: pageSize,
      first_page_url: pageUrl(0),
      previous_page_url: page > 0 ? pageUrl(page - 1) : null,
      url: pageUrl(page),
      next_page_url: start + pageSize < items.length ? pageUrl(page + 1) : null,
      key,
    },
  };
}
