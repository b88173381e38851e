/** Building blocks shared by the parts of Mailscope's OpenAPI document. */

export type Schema = Record<string, unknown>;

/** Builds a reference to a schema in `components.schemas`. */
export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

/** Builds a response with a JSON body. */
export function json(description: string, schema: Schema): Schema {
  return { description, content: { 'application/json': { schema } } };
}

/** Builds an error response, whose body is an `ApiError`. */
export const apiError = (description: string): Schema => json(description, ref('ApiError'));

/** The `id` path parameter of the message routes. */
export const messageIdParameter: Schema = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'Message id, which is also the id of its delivery.',
  schema: { type: 'string' },
};
