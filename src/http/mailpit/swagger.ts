/**
 * A Swagger 2.0 description of the Mailpit API v1 routes that Mailscope serves, returned at
 * GET /api/v1/swagger.json as Mailpit serves its own. It lists each operation with its
 * parameters and statuses. Response bodies are named, not described field by field.
 * The SpamAssassin check is left out because Mailscope does not offer it.
 */

interface Parameter {
  name: string;
  in: 'query' | 'path' | 'body';
  required?: boolean;
  type?: 'string' | 'integer' | 'boolean';
  description?: string;
  schema?: object;
}

interface Operation {
  summary: string;
  parameters?: Parameter[];
  produces?: string[];
  responses: Record<string, { description: string; schema?: object }>;
}

const JSON_TYPE = ['application/json'];
const TEXT_TYPE = ['text/plain'];

const idParameter: Parameter = {
  name: 'ID',
  in: 'path',
  required: true,
  type: 'string',
  description: 'Message database ID, or `latest` for the newest message',
};
/** The message id of the release route, which does not resolve `latest`. */
const exactIdParameter: Parameter = {
  name: 'ID',
  in: 'path',
  required: true,
  type: 'string',
  description: 'Message database ID',
};
const startParameter: Parameter = {
  name: 'start',
  in: 'query',
  type: 'integer',
  description: 'Offset of the first message, default 0',
};
const limitParameter: Parameter = {
  name: 'limit',
  in: 'query',
  type: 'integer',
  description: 'Number of messages, default 50',
};
const tzParameter: Parameter = {
  name: 'tz',
  in: 'query',
  type: 'string',
  description: 'IANA time zone for `before:` and `after:` in the search',
};
const queryParameter: Parameter = {
  name: 'query',
  in: 'query',
  required: true,
  type: 'string',
  description: 'Search query',
};

function body(description: string): Parameter {
  return { name: 'body', in: 'body', required: true, description, schema: { type: 'object' } };
}

function jsonResult(description: string, schema: object = { type: 'object' }) {
  return { description, schema };
}

const ok = { description: 'Plain text `ok`', schema: { type: 'string' } };
const badRequest = { description: 'Plain text error' };
const notFound = { description: 'Message not found' };

function textOperation(summary: string, parameters: Parameter[]): Operation {
  return { summary, parameters, produces: TEXT_TYPE, responses: { 200: ok, 400: badRequest } };
}

const paths: Record<string, Record<string, Operation>> = {
  '/api/v1/messages': {
    get: {
      summary: 'List messages, newest first',
      parameters: [startParameter, limitParameter],
      produces: JSON_TYPE,
      responses: { 200: jsonResult('MessagesSummary'), 400: badRequest },
    },
    put: textOperation('Set the read status of messages by IDs or search', [
      tzParameter,
      body('{"Read": bool, "IDs": [string], "Search": string}'),
    ]),
    delete: textOperation('Delete messages by IDs, or all messages', [body('{"IDs": [string]}')]),
  },
  '/api/v1/search': {
    get: {
      summary: 'Search messages',
      parameters: [queryParameter, startParameter, limitParameter, tzParameter],
      produces: JSON_TYPE,
      responses: { 200: jsonResult('MessagesSummary'), 400: badRequest },
    },
    delete: textOperation('Delete the messages that match a search', [queryParameter, tzParameter]),
  },
  '/api/v1/send': {
    post: {
      summary: 'Store a message built from JSON',
      parameters: [body('SendRequest: From, To, Cc, Bcc, Subject, Text, HTML, Attachments')],
      produces: JSON_TYPE,
      responses: {
        200: jsonResult('{"ID": string}'),
        400: jsonResult('{"Error": string}'),
        413: jsonResult('{"Error": string}'),
      },
    },
  },
  '/api/v1/tags': {
    get: {
      summary: 'List all tags, sorted by name',
      produces: JSON_TYPE,
      responses: { 200: jsonResult('Tags', { type: 'array', items: { type: 'string' } }) },
    },
    put: textOperation('Replace the tags of messages', [
      body('{"Tags": [string], "IDs": [string]}'),
    ]),
  },
  '/api/v1/tags/{Tag}': {
    put: textOperation('Rename a tag', [
      { name: 'Tag', in: 'path', required: true, type: 'string' },
      body('{"Name": string}'),
    ]),
    delete: textOperation('Remove a tag from every message', [
      { name: 'Tag', in: 'path', required: true, type: 'string' },
    ]),
  },
  '/api/v1/message/{ID}': {
    get: {
      summary: 'Return a message and mark it read',
      parameters: [idParameter],
      produces: JSON_TYPE,
      responses: { 200: jsonResult('Message'), 404: notFound },
    },
  },
  '/api/v1/message/{ID}/headers': {
    get: {
      summary: 'Return the header fields of a message',
      parameters: [idParameter],
      produces: JSON_TYPE,
      responses: { 200: jsonResult('MessageHeaders'), 404: notFound },
    },
  },
  '/api/v1/message/{ID}/raw': {
    get: {
      summary: 'Return the source of a message',
      parameters: [
        idParameter,
        { name: 'dl', in: 'query', type: 'string', description: '`1` to download' },
      ],
      produces: TEXT_TYPE,
      responses: { 200: { description: 'Message source' }, 404: notFound },
    },
  },
  '/api/v1/message/{ID}/part/{PartID}': {
    get: {
      summary: 'Return a decoded attachment or inline part',
      parameters: [idParameter, { name: 'PartID', in: 'path', required: true, type: 'string' }],
      produces: ['application/octet-stream'],
      responses: { 200: { description: 'Part content' }, 404: notFound },
    },
  },
  '/api/v1/message/{ID}/part/{PartID}/thumb': {
    get: {
      summary: 'Return a 180x120 JPEG thumbnail of an image part',
      parameters: [idParameter, { name: 'PartID', in: 'path', required: true, type: 'string' }],
      produces: ['image/jpeg'],
      responses: { 200: { description: 'JPEG image' }, 400: badRequest },
    },
  },
  '/api/v1/message/{ID}/release': {
    post: {
      summary: 'Release a message through the configured relay server',
      parameters: [exactIdParameter, body('{"To": [string]}')],
      produces: TEXT_TYPE,
      responses: { 200: ok, 400: badRequest, 404: notFound },
    },
  },
  '/api/v1/message/{ID}/html-check': {
    get: {
      summary: 'Check the HTML body for client support',
      parameters: [idParameter],
      produces: JSON_TYPE,
      responses: { 200: jsonResult('HTMLCheckResponse'), 400: badRequest, 404: notFound },
    },
  },
  '/api/v1/message/{ID}/link-check': {
    get: {
      summary: 'Check the links of a message',
      parameters: [
        idParameter,
        { name: 'follow', in: 'query', type: 'boolean', description: 'Follow redirects' },
      ],
      produces: JSON_TYPE,
      responses: { 200: jsonResult('LinkCheckResponse'), 400: badRequest, 404: notFound },
    },
  },
  '/api/v1/info': {
    get: {
      summary: 'Return application information',
      produces: JSON_TYPE,
      responses: { 200: jsonResult('AppInformation') },
    },
  },
  '/api/v1/webui': {
    get: {
      summary: 'Return the web UI configuration',
      produces: JSON_TYPE,
      responses: { 200: jsonResult('WebUIConfiguration') },
    },
  },
  '/api/v1/chaos': {
    get: {
      summary: 'Return the chaos triggers',
      produces: JSON_TYPE,
      responses: { 200: jsonResult('ChaosTriggers'), 400: badRequest },
    },
    put: {
      summary: 'Set the chaos triggers',
      parameters: [body('ChaosTriggers: Sender, Recipient, Authentication')],
      produces: JSON_TYPE,
      responses: { 200: jsonResult('ChaosTriggers'), 400: badRequest },
    },
  },
  '/view/{ID}.html': {
    get: {
      summary: 'Render the HTML body and mark the message read',
      parameters: [
        idParameter,
        { name: 'embed', in: 'query', type: 'string', description: '`1` for an iframe' },
      ],
      produces: ['text/html'],
      responses: { 200: { description: 'HTML body' }, 404: notFound },
    },
  },
  '/view/{ID}.txt': {
    get: {
      summary: 'Return the text body and mark the message read',
      parameters: [idParameter],
      produces: TEXT_TYPE,
      responses: { 200: { description: 'Text body' }, 404: notFound },
    },
  },
};

/** Builds the Swagger 2.0 document; `version` is Mailscope's version. */
export function mailpitSwagger(version: string): object {
  return {
    swagger: '2.0',
    info: {
      title: 'Mailscope: Mailpit-compatible API',
      description: "Mailpit's API v1, served by Mailscope for Mailpit clients.",
      version,
    },
    basePath: '/',
    schemes: ['http', 'https'],
    consumes: JSON_TYPE,
    produces: JSON_TYPE,
    paths,
  };
}
