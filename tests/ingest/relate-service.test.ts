import fs from 'node:fs';
import path from 'node:path';
import escapeHtml from 'escape-html';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';
import { buildFeed, RELATED_PER_ARTICLE } from '../../src/feeds/build.ts';
import { Urls } from '../../src/feeds/catalog.ts';
import { RENDERERS } from '../../src/feeds/render.ts';
import type { SyncStore } from '../../src/storage/store.ts';
import { ARTICLES, fixtureContent, labelledFeed, readSet, wireLink } from '../helpers/relate-set.ts';
import { edit, request, startService, TEST_BASE, type Running } from '../helpers/service.ts';
import { serveBytes, startUpstream, type Upstream } from '../helpers/upstream-server.ts';

/**
 * Relating by content in the running service: a fixture upstream lists labelled items (tests/fixtures/relate/),
 * the service polls it, and the Karabakh article's related items are the related ones and not the near misses;
 * /{lang}/articles/{slug}/related.json says why; an `excludes` entry written into the article takes one out in
 * the background pass after the edit, which touches that article's relations only.
 */

const KARABAKH = ARTICLES.karabakh!;
const IDLIB = ARTICLES.idlib!;
/** Related to the Karabakh article (its `[karabakh]` rule takes them too: a rule's reason wins). */
const RELATED = ['t007', 't010', 't013', 't015'];
/** Near misses that share words with it and no rule takes (Qarabag FK, the lira, Baku marathon, Yerevan wine). */
const NEAR = ['t050', 't055', 't111', 't112'];
/** Related to the Idlib article, which has no rules: by content alone. */
const IDLIB_ITEMS = ['t019', 't022'];
const link = wireLink;

let up: Upstream;
/** The service with RELATE_BY_CONTENT=on (the feature under test), and one with it off, as by default. */
let s: Running;
let off: Running;
let store: SyncStore;
const chosen = readSet('tuning').filter((i) => [...RELATED, ...NEAR, ...IDLIB_ITEMS].includes(i.id));

beforeAll(async () => {
  up = await startUpstream({ '/wire.xml': serveBytes(labelledFeed(chosen), { 'content-type': 'application/rss+xml' }) });
  const contentDir = fixtureContent();
  fs.writeFileSync(path.join(contentDir, 'sources.yaml'), `- url: ${up.url('/wire.xml')}\n  id: wire\n  language: en\n`);
  s = await startService({ contentDir, env: { RELATE_BY_CONTENT: 'on' } });
  // The article index is built in the background at start; polls relate against it.
  await s.service.ingester.whenIdle();
  store = s.service.store as unknown as SyncStore;
  await s.service.ingester.pollAll();

  // Off: the Karabakh article excludes one of the items its rule takes.
  const offContent = fixtureContent();
  fs.writeFileSync(path.join(offContent, 'sources.yaml'), `- url: ${up.url('/wire.xml')}\n  id: wire\n  language: en\n`);
  edit(offContent, 'articles/rusia-2000-militan-timteng-karabakh/index.id.md', (t) => t.replace('relates:\n', `excludes:\n  - ${link('t010')}\nrelates:\n`));
  off = await startService({ contentDir: offContent });
  await off.service.ingester.whenIdle();
  await off.service.ingester.pollAll();
});
afterAll(async () => {
  await off?.close();
  await s?.close();
  await up?.close();
});

const relatedLinks = (articleId: string) => store.relatedForArticle(articleId, 50).map((r) => r.url);

describe('related items found from the article itself', () => {
  test("the article's related items are the related reports, not the near misses", () => {
    const got = relatedLinks(KARABAKH);
    for (const id of RELATED) expect(got).toContain(link(id));
    for (const id of NEAR) expect(got).not.toContain(link(id));
    expect(relatedLinks(IDLIB)).toEqual(expect.arrayContaining(IDLIB_ITEMS.map(link)));
  });

  test("the article's feed lists them with it", () => {
    const snapshot = s.service.content.current;
    const text = RENDERERS.atom(buildFeed(snapshot, { language: 'en', scope: { kind: 'site' }, format: 'atom' }, new Urls(TEST_BASE), store));
    // Its best related items, as many as an article shows (RELATED_PER_ARTICLE), are in its entry.
    const shown = store.relatedForArticle(KARABAKH, RELATED_PER_ARTICLE).map((r) => r.url!);
    expect(shown).toHaveLength(RELATED_PER_ARTICLE);
    for (const url of shown) expect(text).toContain(escapeHtml(url));
    for (const id of NEAR) expect(text).not.toContain(link(id));
  });

  test('related.json tells an editor the score and the shared terms of each, or the rule', async () => {
    type Why = { article: string; threshold: number; items: { url: string; score: number; by: string; terms: string[] }[] };
    const r = await request(`${s.origin}/en/articles/idlib-rusia-turki/related.json`);
    expect(r.status).toBe(200);
    const body = JSON.parse(r.text) as Why;
    expect(body.article).toBe(IDLIB);
    const one = body.items.find((i) => i.url === link('t022'))!;
    expect(one.by).toBe('content');
    expect(one.score).toBeGreaterThanOrEqual(body.threshold);
    expect(one.terms).toEqual(expect.arrayContaining(['faylaq', 'idlib', 'sham']));
    // Best first.
    expect(body.items.map((i) => i.score)).toEqual([...body.items.map((i) => i.score)].sort((a, b) => b - a));
    const seed = JSON.parse((await request(`${s.origin}/id/articles/rusia-2000-militan-timteng-karabakh/related.json`)).text) as Why;
    expect(seed.items.find((i) => i.url === link('t013'))).toMatchObject({ by: 'rule', score: 1, terms: expect.arrayContaining(['karabakh']) as unknown });
    expect((await request(`${s.origin}/en/articles/no-such-article/related.json`)).status).toBe(404);
  });

  test('an excludes entry takes one out after the edit, and only that article is related again', async () => {
    const idlibBefore = store.relatedForArticle(IDLIB, 50).map((r) => r.key);
    const indexBefore = new Map(store.indexedArticles().map((a) => [a.articleId, a.related]));
    edit(s.contentDir, 'articles/rusia-2000-militan-timteng-karabakh/index.id.md', (t) =>
      t.replace('relates:\n', `excludes:\n  - ${link('t010')}\nrelates:\n`),
    );
    expect(s.service.content.reload()).toBe(true);
    await s.service.ingester.whenIdle();
    const got = relatedLinks(KARABAKH);
    expect(got).not.toContain(link('t010'));
    expect(got).toContain(link('t013'));
    expect(store.relatedForArticle(IDLIB, 50).map((r) => r.key)).toEqual(idlibBefore);
    const after = store.indexedArticles();
    for (const a of after) {
      if (a.articleId === KARABAKH) expect(a.related).not.toBe(indexBefore.get(a.articleId));
      else expect(a.related).toBe(indexBefore.get(a.articleId));
    }
  });
});

describe('with RELATE_BY_CONTENT off (the default)', () => {
  const offStore = () => off.service.store as unknown as SyncStore;

  test('it is off unless set to on, and a value other than on or off is refused, naming it', () => {
    expect(loadConfig({}).relateByContent).toBe(false);
    expect(loadConfig({ RELATE_BY_CONTENT: 'on' }).relateByContent).toBe(true);
    expect(() => loadConfig({ RELATE_BY_CONTENT: 'yes' })).toThrow(ConfigError);
    expect(() => loadConfig({ RELATE_BY_CONTENT: 'yes' })).toThrow(/RELATE_BY_CONTENT must be "on" or "off"/);
  });

  test('an article without rules gets no item by its content alone, and nothing is indexed', () => {
    expect(offStore().relatedForArticle(IDLIB, 50)).toEqual([]);
    expect(offStore().indexedArticles()).toEqual([]);
  });

  test("a rule still relates, an excludes entry still takes one of its matches out, and each relation's why is the rule", () => {
    const got = offStore().relatedForArticle(KARABAKH, 50).map((r) => r.url);
    for (const id of RELATED.filter((i) => i !== 't010')) expect(got).toContain(link(id));
    expect(got).not.toContain(link('t010'));
    const why = offStore().relationReasons(KARABAKH, 50);
    expect(why.length).toBe(got.length);
    for (const r of why) expect(r).toMatchObject({ by: 'rule', score: 1, terms: expect.arrayContaining(['karabakh']) as unknown });
  });
});
