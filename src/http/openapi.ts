import { API_PREFIX } from './api-types.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './delivery-routes.js';
import { RELEASE_PATHS, RELEASE_SCHEMAS } from './openapi-release.js';
import { RULE_FILTER_PARAMETER, RULES_PATHS, RULES_SCHEMAS } from './openapi-rules.js';
import { apiError as error, json, messageIdParameter, ref, type Schema } from './openapi-parts.js';
import { SCHEMAS } from './openapi-schemas.js';
import { SEARCH_LANGUAGE_DESCRIPTION, SEARCH_PATHS, SEARCH_SCHEMAS } from './openapi-search.js';

const messageId = messageIdParameter;

const notFound = error('No visible message has this id.');

/** Responses that any route may give, from the Host, Origin and basic auth checks. */
const COMMON_RESPONSES: Schema = {
  '401': { description: 'Basic auth is configured and the request has no valid credentials.' },
  '403': {
    description:
      'The Host header is not a name of this server, or a state-changing request came ' +
      'from a page on another origin. The body is a plain-text reason.',
    content: { 'text/plain': { schema: { type: 'string' } } },
  },
};

function operation(summary: string, fields: Schema): Schema {
  const responses = { ...(fields.responses as Schema), ...COMMON_RESPONSES };
  return { summary, ...fields, responses };
}

const paths: Record<string, Schema> = {
  '/deliveries': {
    get: operation('List deliveries, newest first', {
      operationId: 'listDeliveries',
      parameters: [
        {
          name: 'outcome',
          in: 'query',
          description: 'Comma-separated delivery states to include; all states when missing.',
          schema: { type: 'string', examples: ['committed,aborted'] },
        },
        {
          name: 'q',
          in: 'query',
          description: SEARCH_LANGUAGE_DESCRIPTION,
          schema: { type: 'string' },
        },
        {
          name: 'tz',
          in: 'query',
          description: 'IANA time zone for dates without a zone in after: and before:.',
          schema: { type: 'string' },
        },
        RULE_FILTER_PARAMETER,
        {
          name: 'cursor',
          in: 'query',
          description: 'The nextCursor of the previous page, for the next (older) page.',
          schema: { type: 'string' },
        },
        {
          name: 'limit',
          in: 'query',
          description: 'Deliveries per page.',
          schema: {
            type: 'integer',
            minimum: 1,
            maximum: MAX_PAGE_SIZE,
            default: DEFAULT_PAGE_SIZE,
          },
        },
      ],
      responses: {
        '200': json('One page of deliveries.', ref('DeliveryPage')),
        '400': error('An invalid outcome, cursor or limit.'),
      },
    }),
  },
  '/deliveries/{id}': {
    get: operation('Get a delivery with its trace, recipients and message', {
      operationId: 'getDelivery',
      parameters: [{ ...messageId, description: 'Delivery id.' }],
      responses: {
        '200': json('The delivery.', ref('DeliveryView')),
        '404': error('No delivery has this id.'),
      },
    }),
    delete: operation('Delete a finished delivery with its message and trace', {
      operationId: 'deleteDelivery',
      description:
        'Works for deliveries with or without a message. Sends a `message.deleted` live event.',
      parameters: [{ ...messageId, description: 'Delivery id.' }],
      responses: {
        '204': { description: 'Deleted.' },
        '404': error('No delivery has this id.'),
        '409': error('The delivery is still in progress.'),
      },
    }),
  },
  '/messages': {
    delete: operation('Delete every finished delivery with its message', {
      operationId: 'deleteAllMessages',
      description: 'Deliveries still in progress stay. Sends a `messages.cleared` live event.',
      responses: {
        '200': json('The number of deliveries deleted.', {
          type: 'object',
          properties: { deleted: { type: 'integer' } },
          required: ['deleted'],
        }),
      },
    }),
  },
  '/messages/{id}': {
    get: operation('Get a message', {
      operationId: 'getMessage',
      parameters: [messageId],
      responses: { '200': json('The message.', ref('MessageView')), '404': notFound },
    }),
    delete: operation('Delete a message with its delivery', {
      operationId: 'deleteMessage',
      description: 'Sends a `message.deleted` live event.',
      parameters: [messageId],
      responses: { '204': { description: 'Deleted.' }, '404': notFound },
    }),
  },
  '/messages/{id}/headers': {
    get: operation('List the header fields of a message in order', {
      operationId: 'listHeaders',
      parameters: [messageId],
      responses: {
        '200': json('The header fields.', {
          type: 'object',
          properties: { headers: { type: 'array', items: ref('HeaderRecord') } },
          required: ['headers'],
        }),
        '404': notFound,
      },
    }),
  },
  '/messages/{id}/raw': {
    get: operation('Get the raw source of a message, byte for byte', {
      operationId: 'getRawMessage',
      parameters: [
        messageId,
        {
          name: 'download',
          in: 'query',
          description: '1 sends the source as a file named after the subject, with .eml.',
          schema: { type: 'string', enum: ['1'] },
        },
      ],
      responses: {
        '200': {
          description: 'The message as received.',
          content: { 'message/rfc822': { schema: { type: 'string', format: 'binary' } } },
        },
        '404': notFound,
      },
    }),
  },
  '/messages/{id}/parts': {
    get: operation('List the MIME parts of a message in tree order', {
      operationId: 'listParts',
      parameters: [messageId],
      responses: {
        '200': json('The parts, without their content.', {
          type: 'object',
          properties: { parts: { type: 'array', items: ref('PartRecord') } },
          required: ['parts'],
        }),
        '404': notFound,
      },
    }),
  },
  '/messages/{id}/parts/{partId}': {
    get: operation('Download the decoded content of a part', {
      operationId: 'getPart',
      description:
        'Content-Disposition carries the file name twice (RFC 6266): as ASCII in ' +
        '`filename` and exactly, in UTF-8, in `filename*`.',
      parameters: [
        messageId,
        {
          name: 'partId',
          in: 'path',
          required: true,
          description: 'Part id from the parts list, such as 1.2.',
          schema: { type: 'string' },
        },
        {
          name: 'inline',
          in: 'query',
          description: '1 serves the part inline, as an image in the HTML preview needs.',
          schema: { type: 'string', enum: ['1'] },
        },
      ],
      responses: {
        '200': {
          description: "The part's content after transfer decoding, with its content type.",
          content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
        },
        '404': error('No such message, or no such part, or the part is a multipart container.'),
      },
    }),
  },
  '/messages/{id}/html': {
    get: operation('Get the HTML body prepared for a sandboxed frame', {
      operationId: 'getMessageHtml',
      description:
        'cid: references point to the parts route. A Content-Security-Policy blocks ' +
        'scripts, forms, frames and remote content.',
      parameters: [
        messageId,
        {
          name: 'remote',
          in: 'query',
          description: '1 allows images, styles, fonts and media from remote servers.',
          schema: { type: 'string', enum: ['1'] },
        },
      ],
      responses: {
        '200': {
          description: 'The HTML body.',
          content: { 'text/html': { schema: { type: 'string' } } },
        },
        '404': error('No such message, or the message has no HTML body.'),
      },
    }),
  },
  '/messages/{id}/read': {
    put: operation('Mark a message read or unread', {
      operationId: 'setMessageRead',
      description: 'Sends a `message.read` live event.',
      parameters: [messageId],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: { read: { type: 'boolean' } },
              required: ['read'],
            },
          },
        },
      },
      responses: {
        '200': json('The message after the change.', ref('MessageView')),
        '400': error('The body is not JSON with a boolean `read`.'),
        '404': notFound,
      },
    }),
  },
  '/counts': {
    get: operation('Count messages and deliveries', {
      operationId: 'getCounts',
      responses: { '200': json('The counts.', ref('StoreCounts')) },
    }),
  },
  '/status': {
    get: operation('Describe the running server', {
      operationId: 'getStatus',
      responses: { '200': json('Version, addresses and database.', ref('ServerStatus')) },
    }),
  },
  '/import': {
    get: operation('Get the import limits', {
      operationId: 'getImportLimits',
      responses: {
        '200': json('The message size limit, in bytes.', {
          type: 'object',
          properties: { maxMessageSize: { type: 'integer' } },
          required: ['maxMessageSize'],
        }),
      },
    }),
    post: operation('Import one message as a local delivery', {
      operationId: 'importMessage',
      description:
        'Stores the raw message in the body through the delivery pipeline, with protocol ' +
        'LOCAL and an envelope taken from its Return-Path, From, To, Cc and Bcc headers. ' +
        'The body may be as large as the message size limit; the 1 MiB limit of the other ' +
        'routes does not apply.',
      parameters: [
        {
          name: 'source',
          in: 'query',
          description: 'Where the message came from, such as a file name, for the transcript.',
          schema: { type: 'string' },
        },
      ],
      requestBody: {
        required: true,
        content: { 'message/rfc822': { schema: { type: 'string', format: 'binary' } } },
      },
      responses: {
        '201': json('The stored delivery.', {
          type: 'object',
          properties: {
            deliveryId: { type: 'string' },
            mailFrom: { type: 'string' },
            recipients: { type: 'array', items: { type: 'string' } },
          },
          required: ['deliveryId', 'mailFrom', 'recipients'],
        }),
        '413': error('The message is larger than the message size limit.'),
        '422': error('The body is empty or no email message.'),
        '503': error('Intake is paused, so the message was not stored.'),
      },
    }),
  },
  '/events': {
    get: operation('Stream live events', {
      operationId: 'streamEvents',
      description:
        'Server-Sent Events. Each event is unnamed and carries one LiveEvent as JSON, ' +
        'with its id as the SSE id. A comment is sent every 15 seconds as a heartbeat.',
      parameters: [
        {
          name: 'Last-Event-ID',
          in: 'header',
          description: 'Id of the last event received; the missed events are sent first.',
          schema: { type: 'string' },
        },
        {
          name: 'lastEventId',
          in: 'query',
          description: 'The same as Last-Event-ID, for clients that cannot set headers.',
          schema: { type: 'string' },
        },
      ],
      responses: {
        '200': {
          description: 'An endless stream of live events.',
          content: { 'text/event-stream': { schema: ref('LiveEvent') } },
        },
      },
    }),
  },
  '/openapi.json': {
    get: operation('Get this document', {
      operationId: 'getOpenApi',
      responses: { '200': json('The OpenAPI 3.1 document.', { type: 'object' }) },
    }),
  },
};

/** Adds the common responses to every operation of `extra`. */
function withCommonResponses(extra: Record<string, Schema>): Record<string, Schema> {
  return Object.fromEntries(
    Object.entries(extra).map(([path, operations]) => [
      path,
      Object.fromEntries(
        Object.entries(operations).map(([method, fields]) => {
          const { summary, ...rest } = fields as Schema;
          return [method, operation(summary as string, rest)];
        }),
      ),
    ]),
  );
}

/** Returns the OpenAPI 3.1 document of Mailscope's own API. */
export function openApiDocument(version: string): Schema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Mailscope API',
      version,
      description:
        'The API of the Mailscope inspector: deliveries with their SMTP trace, stored ' +
        'messages, their parts and live events.',
    },
    servers: [{ url: API_PREFIX }],
    // Basic auth applies only when the server was started with --http-auth.
    security: [{}, { basicAuth: [] }],
    paths: {
      ...paths,
      ...withCommonResponses(SEARCH_PATHS),
      ...withCommonResponses(RELEASE_PATHS),
      ...withCommonResponses(RULES_PATHS),
    },
    components: {
      schemas: { ...SCHEMAS, ...SEARCH_SCHEMAS, ...RELEASE_SCHEMAS, ...RULES_SCHEMAS },
      securitySchemes: { basicAuth: { type: 'http', scheme: 'basic' } },
    },
  };
}
