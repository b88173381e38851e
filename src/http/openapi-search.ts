import { apiError, json, messageIdParameter, ref, type Schema } from './openapi-parts.js';
import { DEFAULT_WAIT_MS, MAX_WAIT_MS } from './wait-route.js';

/** The search language in a few lines, for the `q` parameters. */
export const SEARCH_LANGUAGE_DESCRIPTION =
  'A query in Mailpit\'s search language: words and "quoted phrases" in the decoded text ' +
  '(subject, addresses, body, attachment names, X- header values), all ANDed; `-` or `!` ' +
  'negates a term; from:, to:, cc:, bcc:, reply-to:, addressed:, subject:, message-id:, ' +
  'tag:, is:read, is:unread, is:tagged, has:attachment, has:inline, after:DATE, ' +
  'before:DATE, larger:SIZE, smaller:SIZE; and the envelope fields mail-from:, rcpt: and ' +
  'outcome:committed|aborted|interrupted|in-progress. Empty matches everything.';

const timeZone: Schema = {
  name: 'tz',
  in: 'query',
  description:
    'IANA time zone for dates without a zone in after: and before:; server time if missing.',
  schema: { type: 'string', examples: ['Europe/Berlin'] },
};

const tagName: Schema = {
  name: 'name',
  in: 'path',
  required: true,
  description: 'Tag name, compared without regard to ASCII case.',
  schema: { type: 'string' },
};

const tagsBody = (description: string): Schema => ({
  required: true,
  description,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: { tags: { type: 'array', items: { type: 'string' } } },
        required: ['tags'],
      },
    },
  },
});

const messageTags = json('The tags of the message after the change.', ref('MessageTags'));
const messageNotFound = apiError('No visible message has this id.');
const badTags = apiError('The body is not JSON with a `tags` array of strings.');

/** The paths of search, tags and waiting, merged into the document by openapi.ts. */
export const SEARCH_PATHS: Record<string, Schema> = {
  '/wait': {
    get: {
      summary: 'Wait for a message that matches a search',
      operationId: 'waitForMessage',
      description:
        'Returns the newest matching message at once when one exists, or as soon as one is ' +
        'committed (or becomes a match through a tag or read change), without polling. ' +
        'Unknown query parameters are rejected with 400, so that a misspelt filter is not ignored.',
      parameters: [
        {
          name: 'q',
          in: 'query',
          description: SEARCH_LANGUAGE_DESCRIPTION,
          schema: { type: 'string' },
        },
        {
          name: 'timeout',
          in: 'query',
          description: 'Milliseconds to wait.',
          schema: { type: 'integer', minimum: 0, maximum: MAX_WAIT_MS, default: DEFAULT_WAIT_MS },
        },
        {
          name: 'query',
          in: 'query',
          description: "Mailpit's name for `q`. When both are given they must be equal.",
          schema: { type: 'string' },
        },
        {
          name: 'since',
          in: 'query',
          description:
            'Only messages received at or after this time, in milliseconds since the epoch, so ' +
            'that a test run reusing one server skips the mail of earlier tests.',
          schema: { type: 'integer', minimum: 0 },
        },
        timeZone,
      ],
      responses: {
        '200': json(
          'The newest matching message, as the delivery list shows it.',
          ref('WaitResult'),
        ),
        '204': { description: 'No matching message arrived within the timeout.' },
        '400': apiError(
          'An invalid timeout or since, different q and query, or an unknown parameter.',
        ),
      },
    },
  },
  '/tags': {
    get: {
      summary: 'List the tags with their number of messages',
      operationId: 'listTags',
      responses: { '200': json('Every tag in use, sorted by name.', ref('TagList')) },
    },
  },
  '/tags/{name}': {
    put: {
      summary: 'Rename a tag on every message',
      operationId: 'renameTag',
      description:
        'The new name is cleaned as Mailpit cleans it. Sends a `tags.changed` live event.',
      parameters: [tagName],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: { name: { type: 'string' } },
              required: ['name'],
            },
          },
        },
      },
      responses: {
        '200': json('The tags after the change.', ref('TagList')),
        '400': apiError('The body has no `name`, or the name has no valid character.'),
        '404': apiError('No message has this tag.'),
        '409': apiError('Another tag already has the new name.'),
      },
    },
    delete: {
      summary: 'Remove a tag from every message',
      operationId: 'deleteTag',
      description: 'Deletes no message. Sends a `tags.changed` live event.',
      parameters: [tagName],
      responses: {
        '204': { description: 'Deleted.' },
        '404': apiError('No message has this tag.'),
      },
    },
  },
  '/messages/{id}/tags': {
    get: {
      summary: 'List the tags of a message',
      operationId: 'getMessageTags',
      parameters: [messageIdParameter],
      responses: { '200': json('The tags, sorted.', ref('MessageTags')), '404': messageNotFound },
    },
    put: {
      summary: 'Replace the tags of a message',
      operationId: 'setMessageTags',
      description: 'Names are cleaned; an empty list clears the tags. Sends `message.tags`.',
      parameters: [messageIdParameter],
      requestBody: tagsBody('The new tags.'),
      responses: { '200': messageTags, '400': badTags, '404': messageNotFound },
    },
    post: {
      summary: 'Add tags to a message',
      operationId: 'addMessageTags',
      description: 'Names are cleaned. Sends a `message.tags` live event.',
      parameters: [messageIdParameter],
      requestBody: tagsBody('The tags to add.'),
      responses: { '200': messageTags, '400': badTags, '404': messageNotFound },
    },
  },
  '/messages/{id}/tags/{name}': {
    delete: {
      summary: 'Remove a tag from a message',
      operationId: 'removeMessageTag',
      description: 'Sends a `message.tags` live event.',
      parameters: [messageIdParameter, tagName],
      responses: { '200': messageTags, '404': messageNotFound },
    },
  },
};

const tags: Schema = { type: 'array', items: { type: 'string' } };

/** The schemas of search, tags and waiting, merged into the document by openapi.ts. */
export const SEARCH_SCHEMAS: Record<string, Schema> = {
  TagList: {
    type: 'object',
    properties: {
      tags: {
        type: 'array',
        items: {
          type: 'object',
          properties: { name: { type: 'string' }, messages: { type: 'integer' } },
          required: ['name', 'messages'],
        },
      },
    },
    required: ['tags'],
  },
  MessageTags: { type: 'object', properties: { tags }, required: ['tags'] },
  WaitResult: {
    type: 'object',
    properties: { id: { type: 'string' }, delivery: ref('DeliverySummary') },
    required: ['id', 'delivery'],
  },
};
