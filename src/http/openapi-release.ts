import { apiError, json, messageIdParameter, ref, type Schema } from './openapi-parts.js';

const nullableString: Schema = { type: ['string', 'null'] };
const stringList: Schema = { type: 'array', items: { type: 'string' } };

/** The relay settings object, without `enabled` and with the password, as PUT takes it. */
const settingsProperties: Schema = {
  server: {
    type: ['object', 'null'],
    properties: { host: { type: 'string' }, port: { type: 'integer' } },
    required: ['host', 'port'],
    description: 'SMTP server that receives released messages; null turns release off.',
  },
  tls: { enum: ['none', 'starttls', 'tls'] },
  allowSelfSigned: { type: 'boolean' },
  from: { ...nullableString, description: 'Envelope sender; null keeps the original.' },
  allowedRecipients: {
    ...stringList,
    description: 'Address, `*` wildcard or /REGEX/ patterns; empty allows every recipient.',
  },
  relayMatching: {
    ...nullableString,
    description: 'Search query whose new messages are released automatically.',
  },
};

/** The relay routes, in the form openapi.ts merges into its paths. */
export const RELEASE_PATHS: Record<string, Schema> = {
  '/relay': {
    get: {
      summary: 'Get the relay settings',
      operationId: 'getRelaySettings',
      responses: { '200': json('The settings, without the password.', ref('RelaySettings')) },
    },
    put: {
      summary: 'Change the relay settings',
      operationId: 'updateRelaySettings',
      description:
        'Fields left out keep their value. An `auth` without `password` keeps the current ' +
        'password of the same user. The fields sent are stored in the database and outlast ' +
        'a restart, except that a field set by a CLI option or MAILSCOPE_RELAY_* variable ' +
        'takes that value again at start.',
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: {
                ...settingsProperties,
                auth: {
                  type: ['object', 'null'],
                  properties: { user: { type: 'string' }, password: { type: 'string' } },
                  required: ['user'],
                },
              },
            },
          },
        },
      },
      responses: {
        '200': json('The settings after the change.', ref('RelaySettings')),
        '400': apiError('A field is invalid; the error names it.'),
        '500': apiError('Saving the settings in the database failed; nothing changed.'),
      },
    },
  },
  '/messages/{id}/release': {
    post: {
      summary: 'Release a message to the relay server',
      operationId: 'releaseMessage',
      description:
        'Sends the raw source unchanged. Without `to`, or with an empty one, the message ' +
        'goes to its original envelope recipients. Each release that reaches the allowlist ' +
        'check is recorded on the message.',
      parameters: [messageIdParameter],
      requestBody: {
        required: false,
        content: {
          'application/json': {
            schema: { type: 'object', properties: { to: stringList } },
          },
        },
      },
      responses: {
        '200': json('The server accepted the message.', ref('ReleaseRecord')),
        '400': apiError('An address is invalid, or there is no recipient.'),
        '403': json(
          'A recipient matches no allowlist pattern; nothing was sent.',
          ref('ReleaseRecord'),
        ),
        '404': apiError('No visible message has this id.'),
        '409': apiError('Release is off: no relay server is configured.'),
        '502': json('The connection or the relay server failed the release.', ref('ReleaseRecord')),
      },
    },
  },
  '/messages/{id}/releases': {
    get: {
      summary: 'List the releases of a message',
      operationId: 'listReleases',
      parameters: [messageIdParameter],
      responses: {
        '200': json('Every release, oldest first.', {
          type: 'object',
          properties: { releases: { type: 'array', items: ref('ReleaseRecord') } },
          required: ['releases'],
        }),
        '404': apiError('No visible message has this id.'),
      },
    },
  },
};

export const RELEASE_SCHEMAS: Record<string, Schema> = {
  RelaySettings: {
    type: 'object',
    properties: {
      enabled: { type: 'boolean' },
      ...settingsProperties,
      auth: {
        type: ['object', 'null'],
        properties: { user: { type: 'string' }, passwordSet: { type: 'boolean' } },
      },
    },
  },
  ReleaseRecord: {
    type: 'object',
    properties: {
      seq: { type: 'integer' },
      messageId: { type: 'string' },
      at: { type: 'integer', description: 'Start, in milliseconds since the epoch.' },
      durationMs: { type: 'integer' },
      trigger: { enum: ['manual', 'automatic', 'mailpit'] },
      server: { type: 'string', description: 'The relay server as host:port.' },
      mailFrom: { type: 'string' },
      recipients: stringList,
      outcome: { enum: ['sent', 'not-allowed', 'failed'] },
      reply: { ...nullableString, description: "The server's last reply." },
      rejected: {
        type: 'array',
        items: {
          type: 'object',
          properties: { address: { type: 'string' }, reply: { type: 'string' } },
        },
      },
      error: nullableString,
    },
  },
};
