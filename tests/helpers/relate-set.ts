import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import escapeHtml from 'escape-html';
import { loadContent } from '../../src/content/load.ts';
import type { ContentSnapshot } from '../../src/content/model.ts';
import { relateTargets } from '../../src/content/relate-targets.ts';
import { compileContentRelater, type SyncContentRelater } from '../../src/ingest/relate-content.ts';
import { openStore, type SyncStore } from '../../src/storage/store.ts';
import { REPO } from './service.ts';

/** The labelled set of tests/fixtures/relate/ (README there: rubric and origins). */
export const RELATE_FIXTURES = path.join(REPO, 'tests/fixtures/relate');

/** The fixture's short names of the articles items are labelled against. */
export const ARTICLES: Readonly<Record<string, string>> = {
  karabakh: '2020-11-03-lavrov-militan-karabakh',
  idlib: '2020-10-27-idlib-rusia-turki',
  izmir: '2020-10-31-gempa-izmir',
  election: '2020-11-05-pemilu-as',
  vaccine: '2020-11-02-vaksin-covid-indonesia',
  libya: '2020-10-24-libya-ceasefire',
};

export interface LabelledItem {
  id: string;
  lang: 'en' | 'id';
  title: string;
  summary: string;
  categories: string[];
  /** Short names (ARTICLES) of the articles it relates to. */
  rel: string[];
  kind: 'related' | 'near' | 'noise';
  origin: string;
}

export const readSet = (name: 'tuning' | 'held-out'): LabelledItem[] =>
  JSON.parse(fs.readFileSync(path.join(RELATE_FIXTURES, `${name}.json`), 'utf8')) as LabelledItem[];

/** The link a fixture upstream gives a labelled item. */
export const wireLink = (id: string): string => `https://wire.example/${id}`;

/** An RSS 2.0 feed of labelled items, one hour apart from 2020-11-01, linked by wireLink. */
export function labelledFeed(items: readonly LabelledItem[]): string {
  const entries = items.map(
    (it, i) => `<item><title>${escapeHtml(it.title)}</title><link>${wireLink(it.id)}</link><guid>${wireLink(it.id)}</guid>
      <description>${escapeHtml(it.summary)}</description><pubDate>${new Date(Date.UTC(2020, 10, 1, i)).toUTCString()}</pubDate></item>`,
  );
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><link>https://wire.example/</link>${entries.join('')}</channel></rss>`;
}

/** The repository's content with the fixture's extra articles, in a fresh directory. */
export function fixtureContent(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-relate-'));
  fs.cpSync(path.join(REPO, 'content'), dir, { recursive: true });
  fs.rmSync(path.join(dir, 'sources.yaml'), { force: true });
  fs.cpSync(path.join(RELATE_FIXTURES, 'content'), dir, { recursive: true });
  return dir;
}

/** A store whose article index holds `snapshot`'s articles, and the service's relater over it. */
export function indexedRelater(snapshot: ContentSnapshot, options: { rules?: boolean; body?: boolean } = {}): { store: SyncStore; relate: SyncContentRelater } {
  const store = openStore(fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-relate-data-')));
  const targets = relateTargets(snapshot, true);
  store.indexArticles(
    targets.map((t) => {
      const doc = t.text!.doc();
      return { articleId: t.articleId, fingerprint: t.text!.fingerprint, head: doc.head, body: options.body === false ? [] : doc.body };
    }),
    [],
  );
  const used = options.rules === false ? targets.map((t) => ({ ...t, rules: [] })) : targets;
  return { store, relate: compileContentRelater(used, store.articleSearch()) };
}

export interface Figures {
  precision: number;
  recall: number;
  truePositives: number;
  falsePositives: string[];
  falseNegatives: string[];
}

/** Precision and recall over (item, article) pairs. */
export function evaluate(items: readonly LabelledItem[], relate: SyncContentRelater): Figures {
  const byId = new Map(Object.entries(ARTICLES).map(([short, id]) => [id, short]));
  let tp = 0;
  const fp: string[] = [];
  const fn: string[] = [];
  for (const it of items) {
    const got = new Set(
      relate({ title: it.title, summary: it.summary, categories: it.categories, language: it.lang, url: null }).articleIds.map((a) => byId.get(a) ?? a),
    );
    for (const a of got) {
      if (it.rel.includes(a)) tp++;
      else fp.push(`${it.id}→${a}`);
    }
    for (const a of it.rel) if (!got.has(a)) fn.push(`${it.id}→${a}`);
  }
  return {
    precision: tp + fp.length === 0 ? 1 : tp / (tp + fp.length),
    recall: tp + fn.length === 0 ? 1 : tp / (tp + fn.length),
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
  };
}

export function loadFixtureSnapshot(): ContentSnapshot {
  return loadContent(fixtureContent(), new Date('2026-11-25T00:00:00Z'));
}
