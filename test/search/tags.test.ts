import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { LiveEvent, MessageTags, TagList } from '../../src/http/api-types.js';
import {
  automaticTags,
  cleanTagName,
  cleanTagNames,
  limitAutomaticTags,
  MAX_TAG_LENGTH,
  MAX_TAGS_PER_MESSAGE,
  plusAddressTags,
  TagStore,
} from '../../src/store/tags.js';
import { openApiHarness, type ApiHarness } from '../http/helpers.js';
import { crlf, readFixture } from '../store/helpers.js';

describe('tag names', () => {
  it.each<[string, string | null]>([
    ['urgent', 'urgent'],
    ['  Billing   Dept ', 'Billing Dept'],
    ['bad/char!', 'bad char'],
    ['v1.2_rc-3', 'v1.2_rc-3'],
    ['Grüße', 'Gr e'],
    ['!!!', null],
    ['', null],
  ])('cleans %j', (name, expected) => {
    expect(cleanTagName(name)).toBe(expected);
  });

  it('drops duplicates without regard to case', () => {
    expect(cleanTagNames(['b', 'A', 'a', 'B ', 'c'])).toEqual(['A', 'b', 'c']);
  });

  it.each<[string, string[]]>([
    ['user+tag@example.test', ['tag']],
    ['user+a+b@example.test', ['a', 'b']],
    ['user@example.test', []],
    ['user+@example.test', ['']],
    ['plus+in+local+part', []],
  ])('reads plus tags of %s', (address, expected) => {
    expect(plusAddressTags(address)).toEqual(expected);
  });

  it('combines X-Tags and plus addresses', () => {
    expect(
      automaticTags({
        xTags: ['one, Two ,', 'three'],
        addresses: ['x+two@example.test', 'y+four@example.test'],
      }),
    ).toEqual(['four', 'one', 'three', 'Two']);
  });
});

describe('tags in the store', () => {
  let api: ApiHarness;

  beforeEach(async () => {
    api = await openApiHarness();
  });

  afterEach(async () => {
    await api.close();
  });

  it('tags a message at commit', async () => {
    const id = await api.deliver(readFixture('search/x-tags.eml'), {
      recipients: ['ivy+alpha+beta@example.test', 'ops+pager@example.test'],
    });

    expect(api.store.queries.getTags(id)).toEqual([
      'alpha',
      'bad char',
      'beta',
      'billing dept',
      'builds',
      'pager',
      'Urgent',
    ]);
    const view = (await (await api.api(`/messages/${id}`)).json()) as { tags: string[] };
    expect(view.tags).toContain('pager');
  });

  it('keeps the first spelling of a tag', async () => {
    const first = await api.deliver(crlf(['X-Tags: Release', 'Subject: one', '', 'x']));
    const second = await api.deliver(crlf(['X-Tags: RELEASE', 'Subject: two', '', 'x']));
    const queries = api.store.queries;

    expect(queries.getTags(first)).toEqual(['Release']);
    expect(queries.getTags(second)).toEqual(['Release']);
    expect(queries.listTags()).toEqual(['Release']);
  });

  it('sets, adds and removes tags', async () => {
    const id = await api.deliver(crlf(['Subject: plain', '', 'x']));
    const queries = api.store.queries;

    queries.setTags([id], ['b', 'a', 'A', 'bad/name']);
    expect(queries.getTags(id)).toEqual(['a', 'b', 'bad name']);
    queries.addTags([id], ['c', 'B']);
    expect(queries.getTags(id)).toEqual(['a', 'b', 'bad name', 'c']);
    queries.removeTags([id], ['A', 'bad name']);
    expect(queries.getTags(id)).toEqual(['b', 'c']);
    queries.setTags([id], []);
    expect(queries.getTags(id)).toEqual([]);
    expect(queries.listTags()).toEqual([]);
  });

  it('renames a tag everywhere', async () => {
    const first = await api.deliver(crlf(['X-Tags: old, keep', 'Subject: one', '', 'x']));
    const second = await api.deliver(crlf(['X-Tags: old', 'Subject: two', '', 'x']));
    const queries = api.store.queries;

    expect(queries.renameTag('OLD', 'New name!')).toBe(true);
    expect(queries.getTags(first)).toEqual(['keep', 'New name']);
    expect(queries.getTags(second)).toEqual(['New name']);
    expect(queries.searchMessages('tag:"new name"').total).toBe(2);
    expect(queries.searchMessages('tag:old').total).toBe(0);
    expect(queries.renameTag('missing', 'x')).toBe(false);
    expect(() => queries.renameTag('keep', 'new NAME')).toThrow('tag already exists: new NAME');
    expect(() => queries.renameTag('keep', '///')).toThrow('invalid tag name: ///');
    expect(queries.renameTag('keep', 'KEEP')).toBe(true);
    expect(queries.getTags(first)).toEqual(['KEEP', 'New name']);
  });

  it('deletes a tag but not its messages', async () => {
    const id = await api.deliver(crlf(['X-Tags: gone, stays', 'Subject: one', '', 'x']));
    const queries = api.store.queries;

    expect(queries.deleteTag('GONE')).toBe(true);
    expect(queries.getTags(id)).toEqual(['stays']);
    expect(queries.deleteTag('gone')).toBe(false);
    expect(queries.searchMessages('').total).toBe(1);
  });

  it('forgets tags of deleted messages', async () => {
    const id = await api.deliver(crlf(['X-Tags: lonely', 'Subject: one', '', 'x']));
    const queries = api.store.queries;

    queries.deleteMessage(id);
    expect(queries.listTags()).toEqual([]);
    expect(queries.renameTag('lonely', 'other')).toBe(false);
  });
});

describe('tag routes', () => {
  let api: ApiHarness;

  beforeEach(async () => {
    api = await openApiHarness();
  });

  afterEach(async () => {
    await api.close();
  });

  const jsonRequest = (method: string, body: unknown): RequestInit => ({
    method,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });

  function tagEvents(): LiveEvent[] {
    return api.liveEvents.filter(
      (event) => event.type === 'message.tags' || event.type === 'tags.changed',
    );
  }

  it('replaces, adds and removes the tags of a message', async () => {
    const id = await api.deliver(crlf(['Subject: plain', '', 'x']));

    const put = await api.api(`/messages/${id}/tags`, jsonRequest('PUT', { tags: ['b', 'a'] }));
    expect(put.status).toBe(200);
    expect(((await put.json()) as MessageTags).tags).toEqual(['a', 'b']);

    const post = await api.api(`/messages/${id}/tags`, jsonRequest('POST', { tags: ['c'] }));
    expect(((await post.json()) as MessageTags).tags).toEqual(['a', 'b', 'c']);

    const removed = await api.api(`/messages/${id}/tags/b`, { method: 'DELETE' });
    expect(((await removed.json()) as MessageTags).tags).toEqual(['a', 'c']);

    const get = await api.api(`/messages/${id}/tags`);
    expect(((await get.json()) as MessageTags).tags).toEqual(['a', 'c']);
    expect(tagEvents()).toMatchObject([
      { type: 'message.tags', deliveryId: id, tags: ['a', 'b'] },
      { type: 'message.tags', deliveryId: id, tags: ['a', 'b', 'c'] },
      { type: 'message.tags', deliveryId: id, tags: ['a', 'c'] },
    ]);
    const list = await api.api(`/deliveries?q=${encodeURIComponent('tag:c')}`);
    expect(
      ((await list.json()) as { deliveries: Array<{ tags: string[] }> }).deliveries,
    ).toMatchObject([{ tags: ['a', 'c'] }]);
  });

  it('rejects an invalid body', async () => {
    const id = await api.deliver(crlf(['Subject: plain', '', 'x']));

    const response = await api.api(`/messages/${id}/tags`, jsonRequest('PUT', { tags: 'a' }));
    expect(response.status).toBe(400);
    const notJson = await api.api(`/messages/${id}/tags`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: '{',
    });
    expect(notJson.status).toBe(400);
    expect((await api.api('/messages/unknown/tags')).status).toBe(404);
  });

  it('lists, renames and deletes tags', async () => {
    await api.deliver(crlf(['X-Tags: one, two', 'Subject: a', '', 'x']));
    await api.deliver(crlf(['X-Tags: two', 'Subject: b', '', 'x']));

    const list = (await (await api.api('/tags')).json()) as TagList;
    expect(list.tags).toEqual([
      { name: 'one', messages: 1 },
      { name: 'two', messages: 2 },
    ]);

    const renamed = await api.api('/tags/two', jsonRequest('PUT', { name: 'Zwei' }));
    expect(renamed.status).toBe(200);
    expect(((await renamed.json()) as TagList).tags.map((tag) => tag.name)).toEqual([
      'one',
      'Zwei',
    ]);
    expect((await api.api('/tags/one', jsonRequest('PUT', { name: 'zwei' }))).status).toBe(409);
    expect((await api.api('/tags/one', jsonRequest('PUT', { name: '%%' }))).status).toBe(400);
    expect((await api.api('/tags/none', jsonRequest('PUT', { name: 'x' }))).status).toBe(404);

    expect((await api.api('/tags/one', { method: 'DELETE' })).status).toBe(204);
    expect((await api.api('/tags/one', { method: 'DELETE' })).status).toBe(404);
    expect(tagEvents().map((event) => event.type)).toEqual(['tags.changed', 'tags.changed']);
  });
});

/** Tag names `t0000`, `t0001`, ... */
function manyTags(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `t${String(index).padStart(4, '0')}`);
}

describe('tag limits', () => {
  let api: ApiHarness;

  beforeEach(async () => {
    api = await openApiHarness();
  });

  afterEach(async () => {
    await api.close();
  });

  const jsonRequest = (method: string, body: unknown): RequestInit => ({
    method,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const longTag = 'x'.repeat(5000);

  it('limits automatic tags', () => {
    const result = limitAutomaticTags({
      xTags: [[longTag, ...manyTags(3000)].join(',')],
      addresses: [],
    });
    expect(result.tags).toEqual(manyTags(MAX_TAGS_PER_MESSAGE));
    expect(result.tooLong).toBe(1);
    expect(result.overLimit).toBe(3000 - MAX_TAGS_PER_MESSAGE);
  });

  it('ignores excess header tags', async () => {
    // Folded so that no header line passes 1000 octets.
    const xTags = [longTag.slice(0, 900), ...manyTags(3000)].join(',\r\n ');
    const id = await api.deliver(crlf([`X-Tags: ${xTags}`, 'Subject: many tags', '', 'x']));

    const tags = api.store.queries.getTags(id);
    expect(tags).toHaveLength(MAX_TAGS_PER_MESSAGE);
    expect(tags).toEqual(manyTags(MAX_TAGS_PER_MESSAGE));
    const list = await api.request('/api/v1/messages');
    const body = (await list.json()) as { messages: Array<{ Tags: string[] }> };
    expect(body.messages[0]?.Tags).toHaveLength(MAX_TAGS_PER_MESSAGE);
  });

  it('logs ignored header tags', async () => {
    const id = await api.deliver(
      crlf([`X-Tags: ${['y'.repeat(101), ...manyTags(60)].join(', ')}`, 'Subject: s', '', 'x']),
    );
    const warnings: unknown[] = [];
    const tags = new TagStore(api.store.db, { warn: (...args: unknown[]) => warnings.push(args) });

    expect(tags.applyAutomatic(id)).toHaveLength(MAX_TAGS_PER_MESSAGE);
    expect(warnings).toEqual([
      [
        expect.objectContaining({ messageId: id, tooLong: 1, overLimit: 10 }),
        'automatic tags past the limits were ignored',
      ],
    ]);
  });

  it('rejects too many tags in the API', async () => {
    const id = await api.deliver(crlf(['Subject: plain', '', 'x']));
    const route = `/messages/${id}/tags`;

    const put = await api.api(route, jsonRequest('PUT', { tags: manyTags(51) }));
    expect(put.status).toBe(400);
    expect(((await put.json()) as { error: string }).error).toContain('at most 50 tags');

    const fits = await api.api(route, jsonRequest('PUT', { tags: manyTags(50) }));
    expect(fits.status).toBe(200);
    const post = await api.api(route, jsonRequest('POST', { tags: ['one more'] }));
    expect(post.status).toBe(400);
    expect(api.store.queries.getTags(id)).toEqual(manyTags(50));

    const mailpit = await api.request(
      '/api/v1/tags',
      jsonRequest('PUT', {
        IDs: [id],
        Tags: manyTags(51),
      }),
    );
    expect(mailpit.status).toBe(400);
    expect(await mailpit.text()).toContain('at most 50 tags');
    expect(api.store.queries.getTags(id)).toEqual(manyTags(50));
  });

  it('rejects excess tags in send', async () => {
    const send = (tags: string[]) =>
      api.request(
        '/api/v1/send',
        jsonRequest('POST', {
          From: { Email: 'app@example.test' },
          To: [{ Email: 'user@example.test' }],
          Subject: 'Tagged',
          Tags: tags,
        }),
      );

    const many = await send(manyTags(51));
    expect(many.status).toBe(400);
    expect(((await many.json()) as { Error: string }).Error).toContain('51 tags');
    const long = await send([longTag]);
    expect(long.status).toBe(400);
    expect(((await long.json()) as { Error: string }).Error).toContain('5000 characters');

    const fits = await send(manyTags(50));
    expect(fits.status).toBe(200);
    const { ID } = (await fits.json()) as { ID: string };
    expect(api.store.queries.getTags(ID)).toEqual(manyTags(50));
  });

  it('rejects long tags in the API', async () => {
    const id = await api.deliver(crlf(['X-Tags: short', 'Subject: plain', '', 'x']));
    const route = `/messages/${id}/tags`;
    const tooLong = 'z'.repeat(MAX_TAG_LENGTH + 1);

    const put = await api.api(route, jsonRequest('PUT', { tags: [tooLong] }));
    expect(put.status).toBe(400);
    const message = ((await put.json()) as { error: string }).error;
    expect(message).toContain(`has ${MAX_TAG_LENGTH + 1} characters`);
    expect(message.length).toBeLessThan(200);

    const post = await api.api(route, jsonRequest('POST', { tags: [tooLong] }));
    expect(post.status).toBe(400);
    const exact = await api.api(route, jsonRequest('POST', { tags: ['z'.repeat(MAX_TAG_LENGTH)] }));
    expect(exact.status).toBe(200);

    const rename = await api.api('/tags/short', jsonRequest('PUT', { name: tooLong }));
    expect(rename.status).toBe(400);
    const mailpitRename = await api.request(
      '/api/v1/tags/short',
      jsonRequest('PUT', {
        Name: tooLong,
      }),
    );
    expect(mailpitRename.status).toBe(400);
    expect(api.store.queries.getTags(id)).toEqual(['short', 'z'.repeat(MAX_TAG_LENGTH)]);
  });
});
