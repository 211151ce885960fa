import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, test, vi } from 'vitest';
import os from 'node:os';
import { ContentCache } from '../../src/content/cache.ts';
import { LiveContent, SAVE_MAX_DELAY_MS, SAVE_QUIET_MS } from '../../src/content/live.ts';
import { loadContent } from '../../src/content/load.ts';
import { ContentError } from '../../src/errors.ts';
import { copyContent, edit, REPO, request, type Running, startService, write } from '../helpers/service.ts';

const ORIGINAL = 'articles/rusia-2000-militan-timteng-karabakh/index.id.md';
const TRANSLATION = 'articles/rusia-2000-militan-timteng-karabakh/index.en.md';

function problemsOf(dir: string): { file: string; field: string | null; message: string }[] {
  try {
    loadContent(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(ContentError);
    return [...(err as ContentError).problems];
  }
  throw new Error('content loaded although it is invalid');
}

describe('loading the content store', () => {
  test('the seed article loads as one article in Indonesian and English, linked as translations', () => {
    const snapshot = loadContent(path.join(REPO, 'content'));
    expect(snapshot.articles).toHaveLength(1);
    const a = snapshot.articles[0]!;
    expect(a.id).toBe('2020-11-03-lavrov-militan-karabakh');
    expect(a.originalLanguage).toBe('id');
    expect([...a.translations.keys()]).toEqual(['id', 'en']);
    expect(a.translations.get('en')!.translator?.name).toBe('Kabar Feeds translation desk');
    expect(a.translations.get('en')!.authors).toEqual(a.translations.get('id')!.authors);
    expect(a.categories).toContain('konflik-karabakh');
    expect(a.translations.get('id')!.published.toISOString()).toBe('2020-11-03T13:00:00.000Z');
  });

  test.each([
    ['a missing title', ORIGINAL, (t: string) => t.replace(/^title: .*\n/m, ''), 'title', /expected string|Required|received undefined/i],
    ['a date without a zone', ORIGINAL, (t: string) => t.replace('published: 2020-11-03T20:00:00+07:00', 'published: 2020-11-03 20:00'), 'published', /with a zone/],
    ['an impossible date', ORIGINAL, (t: string) => t.replace('published: 2020-11-03T20:00:00+07:00', 'published: 2020-13-45T20:00:00+07:00'), 'published', /not a real date/],
    ['an unknown category', ORIGINAL, (t: string) => t.replace('categories: [konflik-karabakh,', 'categories: [sepak-bola,'), 'categories.0', /unknown category "sepak-bola"/],
    ['a translation of an unknown article', TRANSLATION, (t: string) => t.replace('translationOf: 2020-11-03-lavrov-militan-karabakh', 'translationOf: tidak-ada'), 'translationOf', /no article has id "tidak-ada"/],
    ['a misspelt field', ORIGINAL, (t: string) => t.replace('summary:', 'sumary:'), null, /sumary|summary/],
    ['updated before published', TRANSLATION, (t: string) => t.replace('updated: 2026-11-25T10:00:00+07:00', 'updated: 2026-11-24T10:00:00+07:00'), 'updated', /before published/],
    ['broken YAML', ORIGINAL, (t: string) => t.replace('title: Rusia', 'title: [Rusia'), null, /invalid YAML/],
  ])('%s is reported with the file and the field', (_name, file, change, field, message) => {
    const dir = copyContent();
    edit(dir, file, change);
    const problems = problemsOf(dir);
    const p = problems.find((x) => x.file === file && (field === null || x.field === field));
    expect(p, JSON.stringify(problems)).toBeDefined();
    expect(`${p!.field ?? ''} ${p!.message}`).toMatch(message);
  });

  test('two articles with one id are reported, naming both files', () => {
    const dir = copyContent();
    const copy = fs.readFileSync(path.join(dir, ORIGINAL), 'utf8');
    write(dir, 'articles/salinan/index.id.md', copy);
    const problems = problemsOf(dir);
    expect(problems).toContainEqual({
      file: 'articles/salinan/index.id.md',
      field: 'id',
      message: `id "2020-11-03-lavrov-militan-karabakh" is already used by ${ORIGINAL}`,
    });
  });

  test('a file in a language the site does not offer, and a file without a language, are reported', () => {
    const dir = copyContent();
    write(dir, 'articles/rusia-2000-militan-timteng-karabakh/index.fr.md', '---\ntitle: x\n---\n');
    write(dir, 'articles/rusia-2000-militan-timteng-karabakh/index.md', '---\ntitle: x\n---\n');
    const problems = problemsOf(dir);
    expect(problems.map((p) => p.file)).toEqual(
      expect.arrayContaining(['articles/rusia-2000-militan-timteng-karabakh/index.fr.md', 'articles/rusia-2000-militan-timteng-karabakh/index.md']),
    );
  });

  test('every broken file is reported in one load, not only the first', () => {
    const dir = copyContent();
    edit(dir, ORIGINAL, (t) => t.replace(/^title: .*\n/m, ''));
    edit(dir, TRANSLATION, (t) => t.replace('published: 2026-11-25T10:00:00+07:00', 'published: yesterday'));
    const files = new Set(problemsOf(dir).map((p) => p.file));
    expect(files).toEqual(new Set([ORIGINAL, TRANSLATION]));
  });

  test('a bad site.yaml names the field', () => {
    const dir = copyContent();
    edit(dir, 'site.yaml', (t) => t.replace('defaultLanguage: id', 'defaultLanguage: fr'));
    expect(problemsOf(dir)).toContainEqual(expect.objectContaining({ file: 'site.yaml', field: 'defaultLanguage' }));
  });
});

describe('the parsed-content cache in DATA_DIR', () => {
  test('a restart uses it, an edited file is read again, and a damaged cache is ignored', () => {
    const dir = copyContent();
    const cacheFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-cache-')), 'content-cache.json');
    const first = loadContent(dir, new Date(), ContentCache.read(cacheFile, dir));
    const cache = ContentCache.read(cacheFile, dir);
    expect(cache.files.size).toBe(0);
    const warm = new ContentCache();
    loadContent(dir, new Date(), warm);
    warm.write(cacheFile, dir);
    expect(ContentCache.read(cacheFile, dir).files.size).toBe(2);

    // Unchanged files come from the cache, with the same values (dates revived as dates).
    const again = loadContent(dir, new Date(), ContentCache.read(cacheFile, dir));
    const t1 = first.articles[0]!.translations.get('id')!;
    const t2 = again.articles[0]!.translations.get('id')!;
    expect(t2.published).toEqual(t1.published);
    expect(t2.title).toBe(t1.title);
    expect(t2.bodyHtml()).toBe(t1.bodyHtml());

    // An edit changes the file's identity, so it is parsed again.
    edit(dir, TRANSLATION, (t) => t.replace('title: Russia Says 2,000', 'title: Russia Says Two Thousand'));
    const edited = loadContent(dir, new Date(), ContentCache.read(cacheFile, dir));
    expect(edited.articles[0]!.translations.get('en')!.title).toMatch(/^Russia Says Two Thousand/);

    fs.writeFileSync(cacheFile, '{"version": 1, "files": [[');
    expect(loadContent(dir, new Date(), ContentCache.read(cacheFile, dir)).articles).toHaveLength(1);
  });

  test('a cache of many megabytes with non-ASCII titles reads back the same, line by line', () => {
    const dir = copyContent();
    const cacheFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-cache-')), 'content-cache.json');
    const warm = new ContentCache();
    loadContent(dir, new Date(), warm);
    const [file, entry] = [...warm.files].find(([, e]) => e.outcome.kind === 'original')!;
    const original = entry.outcome;
    if (original.kind !== 'original') throw new Error('unreachable');
    const parsed = original.parsed;
    // Mostly three-byte UTF-8, so the file's read chunks (1 MB) end inside characters.
    const title = (i: number) => `${i} Лавров: «боевики» — لافروف ${'€'.repeat(3000 + (i % 977))}`;
    for (let i = 0; i < 600; i++) {
      const copy = { ...parsed, data: { ...parsed.data, title: title(i) } };
      warm.files.set(`${file}.${i}`, { stamp: `${entry.stamp}.${i}`, outcome: { ...original, parsed: copy } });
    }
    warm.dirty = true;
    warm.write(cacheFile, dir);
    expect(fs.statSync(cacheFile).size).toBeGreaterThan(5 << 20);

    const read = ContentCache.read(cacheFile, dir);
    expect(read.files.size).toBe(warm.files.size);
    for (let i = 0; i < 600; i++) {
      const e = read.files.get(`${file}.${i}`)!;
      expect(e.stamp).toBe(`${entry.stamp}.${i}`);
      if (e.outcome.kind === 'invalid') throw new Error(`entry ${i} read back as invalid`);
      expect(e.outcome.parsed.data.title).toBe(title(i));
      expect(e.outcome.parsed.data.published).toEqual(parsed.data.published);
    }
    expect(read.lastGood?.fingerprint).toBe(warm.lastGood?.fingerprint);
  });

  test('a reload told which folders changed reads only those; the rest is taken from the cache as it was', () => {
    const dir = copyContent();
    const cache = new ContentCache();
    loadContent(dir, new Date(), cache);
    edit(dir, TRANSLATION, (t) => t.replace('title: Russia Says 2,000', 'title: Russia Says Two Thousand'));
    const elsewhere = loadContent(dir, new Date(), cache, new Set(['some-other-article']));
    expect(elsewhere.articles[0]!.translations.get('en')!.title).toMatch(/^Russia Says 2,000/);
    const there = loadContent(dir, new Date(), cache, new Set(['rusia-2000-militan-timteng-karabakh']));
    expect(there.articles[0]!.translations.get('en')!.title).toMatch(/^Russia Says Two Thousand/);
    expect(there.fingerprint).not.toBe(elsewhere.fingerprint);
    // A full reload (no folder list) sees everything.
    edit(dir, TRANSLATION, (t) => t.replace('title: Russia Says Two Thousand', 'title: Russia Says 2000'));
    expect(loadContent(dir, new Date(), cache).articles[0]!.translations.get('en')!.title).toMatch(/^Russia Says 2000/);
  });

  test('the cache file is written once edits settle, not between the edits of a series, and at the latest five minutes after the first', () => {
    const dir = copyContent();
    const cacheFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-cache-')), 'content-cache.json');
    const logger = { info() {}, warn() {}, error() {}, debug() {} } as never;
    const titleInFile = () => {
      const outcome = ContentCache.read(cacheFile, dir).files.get(TRANSLATION)?.outcome;
      return outcome?.kind === 'translation' ? outcome.parsed.data.title : null;
    };
    const retitle = (n: number) => edit(dir, TRANSLATION, (t) => t.replace(/^title: .*$/m, `title: "Edit ${n}"`));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const live = new LiveContent(dir, logger, () => new Date(), cacheFile);
      const first = titleInFile();
      expect(first).toMatch(/^Russia Says 2,000/);
      // A series of edits 20 s apart: nothing written until 30 s after the last.
      for (const n of [1, 2, 3]) {
        retitle(n);
        expect(live.reload()).toBe(true);
        vi.advanceTimersByTime(20_000);
        expect(titleInFile()).toBe(first);
      }
      vi.advanceTimersByTime(SAVE_QUIET_MS - 20_000);
      expect(titleInFile()).toBe('Edit 3');
      // Edits that never settle are written all the same, within SAVE_MAX_DELAY_MS of the first.
      let n = 3;
      for (let elapsed = 0; elapsed <= SAVE_MAX_DELAY_MS && titleInFile() === 'Edit 3'; elapsed += 20_000) {
        retitle(++n);
        live.reload();
        vi.advanceTimersByTime(20_000);
      }
      expect(titleInFile()).not.toBe('Edit 3');
      live.close();
    } finally {
      vi.useRealTimers();
    }
  });

  test('a reload keeps the articles whose files did not change, and a translation follows an edit of its original', () => {
    const dir = copyContent();
    const cache = new ContentCache();
    const first = loadContent(dir, new Date(), cache);
    const again = loadContent(dir, new Date(), cache);
    expect(again.articles[0]).toBe(first.articles[0]);
    // The English file names no authors: it takes the original's, so an edit of the original reaches it.
    edit(dir, ORIGINAL, (t) => t.replace('name: Redaksi LiputanIslam.com (mm)', 'name: Redaksi Kabar'));
    const edited = loadContent(dir, new Date(), cache);
    expect(edited.articles[0]).not.toBe(first.articles[0]);
    expect(edited.articles[0]!.translations.get('id')!.authors[0]!.name).toBe('Redaksi Kabar');
    expect(edited.articles[0]!.translations.get('en')!.authors[0]!.name).toBe('Redaksi Kabar');
    // And an edit of the translation alone gives a new article with the original's translation kept.
    edit(dir, TRANSLATION, (t) => t.replace('title: Russia Says 2,000', 'title: Russia Says Two Thousand'));
    const retitled = loadContent(dir, new Date(), cache);
    expect(retitled.articles[0]!.translations.get('en')!.title).toMatch(/^Russia Says Two Thousand/);
    expect(retitled.articles[0]!.translations.get('id')).toBe(edited.articles[0]!.translations.get('id'));
  });

  test('edits made while serving are in the cache file once the service stops', async () => {
    const s = await startService({ watch: true });
    try {
      edit(s.contentDir, TRANSLATION, (t) => t.replace('title: Russia Says 2,000', 'title: Russia Says Two Thousand'));
      expect(s.service.content.reload()).toBe(true);
    } finally {
      await s.close();
    }
    const cache = ContentCache.read(path.join(s.dataDir, 'content-cache.json'), s.contentDir);
    const outcome = cache.files.get(TRANSLATION)?.outcome;
    expect(outcome?.kind === 'translation' && outcome.parsed.data.title).toMatch(/^Russia Says Two Thousand/);
  });
});

describe('npm run check', () => {
  const run = promisify(execFile);
  const tsx = path.join(REPO, 'node_modules/.bin/tsx');

  test('passes on the shipped content', async () => {
    const { stdout } = await run(tsx, ['src/cli/check.ts', path.join(REPO, 'content')], { cwd: REPO });
    expect(stdout).toContain('content ok: 1 articles, 2 files');
  });

  test('fails with exit code 1 and names the file and field', async () => {
    const dir = copyContent();
    edit(dir, ORIGINAL, (t) => t.replace('categories: [konflik-karabakh,', 'categories: [sepak-bola,'));
    const err = await run(tsx, ['src/cli/check.ts', dir], { cwd: REPO }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toContain(`${ORIGINAL} [categories.0]: unknown category "sepak-bola"`);
  });
});

describe('content changes while serving', () => {
  let s: Running | null = null;
  afterEach(async () => {
    await s?.close();
    s = null;
  });

  async function waitFor(check: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('condition not met within 5 s');
  }

  /** Writes a second article, articles/artikel-baru/, and waits until the Indonesian feed shows it. */
  async function addArticle(run: Running): Promise<void> {
    const original = fs.readFileSync(path.join(run.contentDir, ORIGINAL), 'utf8');
    write(
      run.contentDir,
      'articles/artikel-baru/index.id.md',
      original.replace('id: 2020-11-03-lavrov-militan-karabakh', 'id: artikel-baru').replace(/^title: .*$/m, 'title: Artikel baru'),
    );
    await waitFor(async () => (await request(`${run.origin}/id/feed.atom`)).text.includes('Artikel baru'));
  }

  test('an edit is picked up without a restart, and only the feeds it touches change ETag', async () => {
    s = await startService({ watch: true });
    const run = s;
    const en = await request(`${run.origin}/en/feed.atom`);
    const id = await request(`${run.origin}/id/feed.atom`);
    edit(run.contentDir, TRANSLATION, (t) => t.replace('title: Russia Says 2,000', 'title: Russia Says Two Thousand'));
    await waitFor(async () => (await request(`${run.origin}/en/feed.atom`)).text.includes('Russia Says Two Thousand'));
    const en2 = await request(`${run.origin}/en/feed.atom`);
    expect(en2.headers.etag).not.toBe(en.headers.etag);
    // The Indonesian feed links the English title in its item, so it changes too; its RSS sibling's id stays.
    const id2 = await request(`${run.origin}/id/feed.atom`);
    expect(id2.headers.etag).not.toBe(id.headers.etag);
    expect(id2.text).toContain('Russia Says Two Thousand');
    const ids = (t: string) => [...t.matchAll(/<id>([^<]+)<\/id>/g)].map((m) => m[1]);
    expect(ids(en2.text)).toEqual(ids(en.text));
  });

  test('a new article folder is picked up while serving', async () => {
    s = await startService({ watch: true });
    const run = s;
    await addArticle(run);
    expect((await request(`${run.origin}/id/articles/artikel-baru/`)).status).toBe(200);
    // And an edit inside that new folder is seen too.
    edit(run.contentDir, 'articles/artikel-baru/index.id.md', (t) => t.replace('title: Artikel baru', 'title: Artikel terbaru'));
    await waitFor(async () => (await request(`${run.origin}/id/feed.atom`)).text.includes('Artikel terbaru'));
  });

  test('a removed article folder and a site.yaml change are picked up while serving', async () => {
    s = await startService({ watch: true });
    const run = s;
    await addArticle(run);
    fs.rmSync(path.join(run.contentDir, 'articles/artikel-baru'), { recursive: true });
    await waitFor(async () => !(await request(`${run.origin}/id/feed.atom`)).text.includes('Artikel baru'));
    expect((await request(`${run.origin}/id/articles/artikel-baru/`)).status).toBe(404);
    edit(run.contentDir, 'site.yaml', (t) => t.replace('en: Middle East', 'en: The Middle East'));
    await waitFor(async () => (await request(`${run.origin}/en/feed.atom`)).text.includes('The Middle East'));
  });

  test('a broken edit keeps the last good version in service and /healthz says why', async () => {
    s = await startService();
    const before = await request(`${s.origin}/id/feed.rss`);
    edit(s.contentDir, ORIGINAL, (t) => t.replace('published: 2020-11-03T20:00:00+07:00', 'published: kemarin'));
    expect(s.service.content.reload()).toBe(false);
    const after = await request(`${s.origin}/id/feed.rss`);
    expect(after.status).toBe(200);
    expect(after.headers.etag).toBe(before.headers.etag);
    const health = JSON.parse((await request(`${s.origin}/healthz`)).text) as { content: { rejectedChange: unknown[] | null } };
    expect(health.content.rejectedChange).toContainEqual(expect.objectContaining({ file: ORIGINAL, field: 'published' }));
    // Fixing it clears the report.
    edit(s.contentDir, ORIGINAL, (t) => t.replace('published: kemarin', 'published: 2020-11-03T20:00:00+07:00'));
    s.service.content.reload();
    expect((JSON.parse((await request(`${s.origin}/healthz`)).text) as typeof health).content.rejectedChange).toBeNull();
  });

  test('re-rendering unchanged content keeps ETag and Last-Modified', async () => {
    let now = new Date('2026-11-25T10:00:00Z');
    s = await startService({ now: () => now });
    const first = await request(`${s.origin}/id/feed.rss`);
    now = new Date('2026-11-25T11:00:00Z');
    // A change elsewhere (a new category label in English) invalidates everything; the Indonesian RSS bytes stay the same.
    edit(s.contentDir, 'site.yaml', (t) => t.replace('en: Middle East', 'en: The Middle East'));
    expect(s.service.content.reload()).toBe(true);
    const second = await request(`${s.origin}/id/feed.rss`);
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(second.headers['last-modified']).toBe(first.headers['last-modified']);
    const enAtom = await request(`${s.origin}/en/feed.atom`);
    expect(enAtom.headers['last-modified']).toBe('Wed, 25 Nov 2026 11:00:00 GMT');
  });
});
