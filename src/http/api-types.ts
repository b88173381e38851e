/**
 * The JSON shapes of Mailscope's own HTTP API, shared by the server (src/http) and the
 * inspector UI (renderer/), which imports this file with `import type` only. Every
 * route lives under API_PREFIX; times are milliseconds since the epoch.
 *
 *   GET    /deliveries?outcome=committed,aborted&q=QUERY&tz=ZONE&cursor=CURSOR&limit=N
 *                                                DeliveryPage; QUERY in the search language
 *   GET    /wait?q=QUERY&timeout=MS&tz=ZONE&since=MS
 *                                                WaitResult, or 204 after the timeout
 *   GET    /tags                                 TagList
 *   PUT    /tags/:name                           { name }  -> TagList; 404, 409 if taken
 *   DELETE /tags/:name                           204, or 404
 *   GET    /messages/:id/tags                    MessageTags
 *   PUT    /messages/:id/tags                    { tags: string[] } (replace) -> MessageTags
 *   POST   /messages/:id/tags                    { tags: string[] } (add) -> MessageTags
 *   DELETE /messages/:id/tags/:name              MessageTags
 *   GET    /deliveries/:id                       DeliveryView
 *   DELETE /deliveries/:id                       204, 404, or 409 while in progress
 *   GET    /messages/:id                         MessageView
 *   GET    /messages/:id/headers                 { headers: HeaderRecord[] }
 *   GET    /messages/:id/raw[?download=1]        the raw source (message/rfc822)
 *   GET    /messages/:id/parts                   { parts: PartRecord[] }
 *   GET    /messages/:id/parts/:partId[?inline=1]  the decoded part, RFC 6266 filename
 *   GET    /messages/:id/html[?remote=1]         the HTML body for a sandboxed iframe
 *   PUT    /messages/:id/read                    { read: boolean }  -> MessageView
 *   DELETE /messages/:id                         204
 *   DELETE /messages                             { deleted: number }
 *   GET    /relay                                RelaySettingsView (src/relay/settings.ts)
 *   PUT    /relay                                partial settings  -> RelaySettingsView
 *   POST   /messages/:id/release                 { to?: string[] } -> ReleaseRecord
 *   GET    /messages/:id/releases                { releases: ReleaseRecord[] }
 *   GET    /counts                               StoreCounts
 *   GET    /status                               ServerStatus
 *   GET    /rules                                { rules: RuleView[] }, with their counters
 *   POST   /rules                                RuleInput -> 201 RuleView; 409 if the id is taken
 *   POST   /rules/reset                          every rule's counters to zero -> { rules }
 *   GET    /rules/:id                            RuleView
 *   PUT    /rules/:id                            RuleInput -> RuleView (counters restart)
 *   DELETE /rules/:id                            204
 *   PUT    /rules/:id/enabled                    { enabled: boolean } -> RuleView
 *   POST   /rules/:id/reset                      the rule's counters to zero -> RuleView
 *   GET    /intake                               IntakeState
 *   PUT    /intake                               { paused: boolean, code?: 421 | 451 } -> IntakeState
 *   GET    /events                               Server-Sent Events, each a LiveEvent
 *   GET    /openapi.json                         the OpenAPI 3.1 document of these routes
 *
 * A failed request gets an ApiErrorBody with a 4xx or 5xx status. Live events arrive as
 * unnamed SSE events (the EventSource `message` type), the LiveEvent JSON as data.
 */
import type {
  DeliveryDetail,
  DeliveryListItem,
  DeliveryState,
  MessageDetail,
  RecipientRecord,
  StoreCounts,
} from '../store/query-types.js';

export type {
  AddressEntry,
  DeliveryState,
  HeaderRecord,
  PartKind,
  PartRecord,
  RecipientRecord,
  StoreCounts,
  TraceEventRecord,
  TranscriptRecord,
} from '../store/query-types.js';

export type {
  IntakeState,
  RuleAction,
  RuleConditions,
  RuleCounters,
  RuleInput,
  RuleStage,
  RuleTrigger,
  RuleView,
  TextPattern,
} from '../rules/types.js';
import type { IntakeState } from '../rules/types.js';

export const API_PREFIX = '/api/mailscope';

/** A delivery as a row of the delivery list shows it. */
export interface DeliverySummary extends DeliveryListItem {
  /** The first accepted envelope recipients (at most 5), for the list. */
  recipientsPreview: string[];
  hasAttachments: boolean;
  /** Read flag of the message; null when the delivery has no visible message. */
  read: boolean | null;
  /** Tags of the message, sorted by name; empty without a message. */
  tags: string[];
}

/** One page of the delivery list, newest first. */
export interface DeliveryPage {
  deliveries: DeliverySummary[];
  /** Pass as `cursor` to get the next (older) page; null on the last page. */
  nextCursor: string | null;
  /** Deliveries that match the same filter, on every page together. */
  total: number;
}

/** A recipient of the envelope, with whether it appears in the message's headers. */
export interface RecipientView extends RecipientRecord {
  /**
   * True for an accepted recipient that appears in no To or Cc header of the message,
   * which is how a Bcc recipient looks to the receiving side.
   */
  bcc: boolean;
  /** The failure rule that rejected this recipient, if one did. */
  rule?: { id: string; name: string };
}

/** The detail of one delivery, with its message once committed. */
export interface DeliveryView extends Omit<DeliveryDetail, 'recipients'> {
  recipients: RecipientView[];
  message: MessageView | null;
}

/** A stored message as the detail view shows it. */
export interface MessageView extends MessageDetail {
  /** Relative URL of the HTML body prepared for the iframe, or null for no HTML. */
  htmlUrl: string | null;
  /** Relative URL of the raw source. */
  rawUrl: string;
}

/** Listening addresses, database location and message counts of the server. */
export interface ServerStatus {
  version: string;
  smtp: { host: string; port: number };
  http: { host: string; port: number };
  database: { path: string; sizeBytes: number };
  counts: StoreCounts;
}

/**
 * One live event. `id` grows by one per event and is also the SSE event id, so a
 * client that reconnects with Last-Event-ID gets every event it missed. When the
 * missed events are no longer kept, the server sends `resync` first, and the client
 * reloads its list.
 */
export type LiveEvent =
  | {
      id: number;
      type:
        | 'delivery.started'
        | 'rcpt.accepted'
        | 'rcpt.rejected'
        | 'body.received'
        | 'delivery.committed'
        | 'delivery.aborted';
      deliveryId: string;
      at: number;
      /** The delivery as the list shows it after this step. */
      delivery: DeliverySummary;
    }
  | { id: number; type: 'message.deleted'; deliveryId: string; at: number }
  | { id: number; type: 'messages.cleared'; at: number }
  | { id: number; type: 'message.read'; deliveryId: string; at: number; read: boolean }
  | { id: number; type: 'message.tags'; deliveryId: string; at: number; tags: string[] }
  | { id: number; type: 'tags.changed'; at: number }
  /** A failure rule was added, changed, switched, reset or removed. */
  | { id: number; type: 'rules.changed'; at: number }
  /** The intake was paused or resumed; `intake` is the new state. */
  | { id: number; type: 'intake.changed'; at: number; intake: IntakeState }
  | { id: number; type: 'resync'; at: number };

/** GET /tags: every tag with its number of messages, sorted by name. */
export interface TagList {
  tags: Array<{ name: string; messages: number }>;
}

/** The tags of one message, sorted by name. */
export interface MessageTags {
  tags: string[];
}

/** GET /wait when a matching message exists: the newest one, as the list shows it. */
export interface WaitResult {
  id: string;
  delivery: DeliverySummary;
}

/** The body of every error response of the API. */
export interface ApiErrorBody {
  /** A sentence for people that names what failed and, where it can, the fix. */
  error: string;
}

/** Filter values accepted by `outcome`. */
export const OUTCOMES: readonly DeliveryState[] = [
  'in-progress',
  'committed',
  'aborted',
  'interrupted',
];
