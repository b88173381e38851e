/**
 * JSON Schemas (draft 2020-12, as OpenAPI 3.1 uses them) of the shapes in api-types.ts.
 * They are written by hand, so a change to api-types.ts needs the same change here.
 */

type Schema = Record<string, unknown>;

const string: Schema = { type: 'string' };
const integer: Schema = { type: 'integer' };
const boolean: Schema = { type: 'boolean' };
const timestamp: Schema = { type: 'integer', description: 'Milliseconds since the epoch.' };

/** Returns `schema` with null allowed as well. */
function nullable(schema: Schema): Schema {
  if (typeof schema.type === 'string') return { ...schema, type: [schema.type, 'null'] };
  return { oneOf: [schema, { type: 'null' }] };
}

function arrayOf(items: Schema): Schema {
  return { type: 'array', items };
}

function ref(name: string): Schema {
  return { $ref: `#/components/schemas/${name}` };
}

/** Builds an object schema in which every listed property is required and no other is allowed. */
function object(properties: Record<string, Schema>, description?: string): Schema {
  return {
    type: 'object',
    ...(description === undefined ? {} : { description }),
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
  };
}

const deliveryState: Schema = {
  type: 'string',
  enum: ['in-progress', 'committed', 'aborted', 'interrupted'],
};

const deliveryListItem: Record<string, Schema> = {
  id: string,
  seq: { type: 'integer', description: 'Insertion order: a larger number started later.' },
  sessionId: nullable(string),
  state: deliveryState,
  startedAt: timestamp,
  endedAt: nullable(timestamp),
  mailFrom: { type: 'string', description: 'MAIL FROM after cleaning; empty for <>.' },
  recipientCount: { type: 'integer', description: 'Number of recipients accepted.' },
  subject: nullable(string),
  size: nullable(integer),
  abortKind: nullable(string),
  abortDetail: nullable(string),
  hasMessage: boolean,
};

const deliverySummary = object(
  {
    ...deliveryListItem,
    recipientsPreview: { ...arrayOf(string), maxItems: 5 },
    hasAttachments: boolean,
    read: nullable(boolean),
    tags: arrayOf(string),
  },
  'A delivery as a row of the delivery list shows it.',
);

const smtpReply = object({ code: integer, enhancedCode: string, message: string });

const recipientView = object({
  position: integer,
  address: string,
  original: { type: 'string', description: 'The address as the client sent it.' },
  status: { type: 'string', enum: ['accepted', 'rejected', 'duplicate'] },
  reply: ref('SmtpReply'),
  at: timestamp,
  bcc: {
    type: 'boolean',
    description: 'True for an accepted recipient that appears in no To or Cc header.',
  },
});
// Present only on a recipient that a failure rule rejected.
(recipientView.properties as Record<string, Schema>).rule = object(
  { id: string, name: string },
  'The failure rule that rejected this recipient.',
);

const traceEvent = object({
  seq: integer,
  at: timestamp,
  type: string,
  data: { type: 'object', description: "The event's own fields." },
});

const transcriptLine = object({
  seq: integer,
  at: timestamp,
  direction: {
    type: 'string',
    enum: ['C', 'S', 'I'],
    description: 'C: sent by the client, S: sent by the server, I: a note.',
  },
  text: string,
});

const addressEntry = object({ name: string, address: string });

const messageView = object(
  {
    id: string,
    receivedAt: timestamp,
    subject: string,
    from: arrayOf(ref('AddressEntry')),
    to: arrayOf(ref('AddressEntry')),
    date: timestamp,
    dateIsReceivedAt: boolean,
    size: integer,
    snippet: string,
    hasAttachments: boolean,
    attachmentCount: integer,
    read: boolean,
    messageId: nullable(string),
    cc: arrayOf(ref('AddressEntry')),
    replyTo: arrayOf(ref('AddressEntry')),
    envelopeRecipients: arrayOf(string),
    warnings: arrayOf(string),
    text: nullable(string),
    html: nullable({ type: 'string', description: 'HTML body with cid: links as sent.' }),
    tags: arrayOf(string),
    htmlUrl: nullable(string),
    rawUrl: string,
  },
  'A stored message as the detail view shows it.',
);

const deliveryView = object(
  {
    ...deliveryListItem,
    mailFromOriginal: string,
    mailParams: {
      type: 'object',
      additionalProperties: { oneOf: [string, { const: true }] },
    },
    declaredSize: nullable(integer),
    bodyType: nullable(string),
    smtpUtf8: boolean,
    protocol: string,
    helo: string,
    remoteAddress: string,
    remotePort: integer,
    localAddress: string,
    localPort: integer,
    tls: nullable(object({ version: string, cipher: string })),
    authUser: nullable(string),
    headerWarnings: arrayOf(string),
    recipients: arrayOf(ref('RecipientView')),
    events: arrayOf(ref('TraceEventRecord')),
    transcript: arrayOf(ref('TranscriptRecord')),
    message: nullable(ref('MessageView')),
  },
  'The detail of one delivery, with its message once committed.',
);

const headerRecord = object({
  position: integer,
  name: string,
  value: { type: 'string', description: 'Value with RFC 2047 encoded-words decoded.' },
  rawValue: { type: 'string', description: 'Value as received, unfolded.' },
});

const partRecord = object({
  partId: string,
  parentPartId: nullable(string),
  position: integer,
  kind: { type: 'string', enum: ['multipart', 'body', 'inline', 'attachment'] },
  contentType: string,
  charset: nullable(string),
  disposition: nullable(string),
  filename: nullable(string),
  downloadName: nullable(string),
  contentId: nullable(string),
  size: integer,
});

const storeCounts = object({
  messages: integer,
  unread: integer,
  deliveries: integer,
  inProgress: integer,
});

const address = object({ host: string, port: integer });

const serverStatus = object({
  version: string,
  smtp: address,
  http: address,
  database: object({ path: string, sizeBytes: integer }),
  counts: ref('StoreCounts'),
});

const deliveryStep = object({
  id: integer,
  type: {
    type: 'string',
    enum: [
      'delivery.started',
      'rcpt.accepted',
      'rcpt.rejected',
      'body.received',
      'delivery.committed',
      'delivery.aborted',
    ],
  },
  deliveryId: string,
  at: timestamp,
  delivery: ref('DeliverySummary'),
});

const liveEvent: Schema = {
  description:
    'One live event. `id` grows by one per event and is also the SSE event id. `resync` ' +
    'tells the client that events it missed are gone and that it should reload.',
  oneOf: [
    deliveryStep,
    object({ id: integer, type: { const: 'message.deleted' }, deliveryId: string, at: timestamp }),
    object({ id: integer, type: { const: 'messages.cleared' }, at: timestamp }),
    object({
      id: integer,
      type: { const: 'message.read' },
      deliveryId: string,
      at: timestamp,
      read: boolean,
    }),
    object({
      id: integer,
      type: { const: 'message.tags' },
      deliveryId: string,
      at: timestamp,
      tags: arrayOf(string),
    }),
    object({ id: integer, type: { const: 'tags.changed' }, at: timestamp }),
    object({ id: integer, type: { const: 'rules.changed' }, at: timestamp }),
    object({
      id: integer,
      type: { const: 'intake.changed' },
      at: timestamp,
      intake: ref('IntakeState'),
    }),
    object({ id: integer, type: { const: 'resync' }, at: timestamp }),
  ],
};

export const SCHEMAS: Record<string, Schema> = {
  ApiError: object({ error: string }, 'The body of every error response.'),
  DeliveryState: deliveryState,
  DeliverySummary: deliverySummary,
  DeliveryPage: object({
    deliveries: arrayOf(ref('DeliverySummary')),
    nextCursor: nullable(string),
    total: {
      type: 'integer',
      description: 'Deliveries that match the same filter, on every page together.',
    },
  }),
  SmtpReply: smtpReply,
  RecipientView: recipientView,
  TraceEventRecord: traceEvent,
  TranscriptRecord: transcriptLine,
  AddressEntry: addressEntry,
  MessageView: messageView,
  DeliveryView: deliveryView,
  HeaderRecord: headerRecord,
  PartRecord: partRecord,
  StoreCounts: storeCounts,
  ServerStatus: serverStatus,
  LiveEvent: liveEvent,
};
