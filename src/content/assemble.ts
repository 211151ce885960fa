import type { Article, Site, Translation } from './model.ts';
import type { ParsedFile } from './parse.ts';
import type { Problems } from './problems.ts';
import type { OriginalInput, TranslationInput } from './schema.ts';

/**
 * What assemble made of the files of earlier loads (ContentCache keeps one): a file's translation and an
 * article are made again only when a file they come from was read again, so an edit of one article of ten
 * thousand rebuilds that article's objects, not all of them (less CPU per reload, and less garbage for the
 * collector while the service serves and fans out the change). Keyed by the parsed files, which a load replaces
 * when it reads a file again.
 */
export class AssembledMemo {
  readonly translations = new WeakMap<ParsedFile<OriginalInput | TranslationInput>, { original: ParsedFile<OriginalInput>; translation: Translation }>();
  readonly articles = new WeakMap<ParsedFile<OriginalInput>, { parts: readonly Translation[]; article: Article }>();
}

/** Links translations to originals and checks what spans files; null (and `problems` filled) when that fails. */
export function assemble(
  site: Site | null,
  originals: readonly ParsedFile<OriginalInput>[],
  translations: readonly ParsedFile<TranslationInput>[],
  problems: Problems,
  memo: AssembledMemo = new AssembledMemo(),
): Article[] | null {
  /** The translation `make` would give for file `f` of `original`, the one made before if neither changed. */
  const remembered = (f: ParsedFile<OriginalInput | TranslationInput>, original: ParsedFile<OriginalInput>, make: () => Translation): Translation => {
    const known = memo.translations.get(f);
    if (known && known.original === original && known.translation.stamp === f.stamp) return known.translation;
    const translation = make();
    memo.translations.set(f, { original, translation });
    return translation;
  };
  const categorySlugs = new Set(site?.categories.map((c) => c.slug) ?? []);
  const byId = new Map<string, { original: ParsedFile<OriginalInput>; translations: Map<string, Translation> }>();
  const slugs = new Map<string, string>();
  for (const o of originals) {
    const other = byId.get(o.data.id);
    if (other) {
      problems.add(o.file, 'id', `id "${o.data.id}" is already used by ${other.original.file}`);
      continue;
    }
    const slugOwner = slugs.get(o.slug);
    if (slugOwner) {
      problems.add(o.file, null, `folder "${o.slug}" already holds the original ${slugOwner}`);
      continue;
    }
    slugs.set(o.slug, o.file);
    o.data.categories.forEach((c, i) => {
      if (site && !categorySlugs.has(c)) {
        problems.add(o.file, `categories.${i}`, `unknown category "${c}" (site.yaml defines: ${[...categorySlugs].join(', ')})`);
      }
    });
    checkDates(o, problems);
    const translation = remembered(o, o, () => toTranslation(o, o.data.id, o.data.authors, null, o.data.categories, true));
    byId.set(o.data.id, { original: o, translations: new Map([[o.language, translation]]) });
  }

  for (const t of translations) {
    const entry = byId.get(t.data.translationOf);
    if (!entry) {
      problems.add(t.file, 'translationOf', `no article has id "${t.data.translationOf}"`);
      continue;
    }
    const original = entry.original;
    if (entry.translations.has(t.language)) {
      problems.add(t.file, null, `article "${original.data.id}" already has a ${t.language} version: ${entry.translations.get(t.language)!.file}`);
      continue;
    }
    if (t.data.categories && [...t.data.categories].sort().join() !== [...original.data.categories].sort().join()) {
      problems.add(t.file, 'categories', `must be left out or equal those of the original ${original.file}`);
    }
    checkDates(t, problems);
    entry.translations.set(
      t.language,
      remembered(t, original, () => toTranslation(t, original.data.id, t.data.authors ?? original.data.authors, t.data.translator, original.data.categories, false)),
    );
  }

  if (problems.list.length > 0 || !site) return null;

  const articles: Article[] = [...byId.values()].map(({ original, translations: tr }) => {
    // In the order of the site's languages: the same parts in the same order make the same article.
    const parts: Translation[] = [];
    for (const l of site.languages) {
      const t = tr.get(l.code);
      if (t) parts.push(t);
    }
    const known = memo.articles.get(original);
    if (known && known.parts.length === parts.length && known.parts.every((p, i) => p === parts[i])) return known.article;
    const article: Article = {
      id: original.data.id,
      slug: original.slug,
      originalLanguage: original.language,
      credit: original.data.source,
      categories: original.data.categories,
      translations: new Map(parts.map((t) => [t.language, t])),
    };
    memo.articles.set(original, { parts, article });
    return article;
  });
  // Newest first (by the original's publication), then by id: sorted on precomputed keys.
  const keyed = articles.map((a) => ({ a, t: a.translations.get(a.originalLanguage)!.published.getTime() }));
  keyed.sort((x, y) => y.t - x.t || x.a.id.localeCompare(y.a.id));
  return keyed.map((k) => k.a);
}

function checkDates(f: ParsedFile<OriginalInput | TranslationInput>, problems: Problems): void {
  if (f.data.updated && f.data.updated.at < f.data.published.at) {
    problems.add(f.file, 'updated', 'is before published');
  }
}

function toTranslation(
  f: ParsedFile<OriginalInput | TranslationInput>,
  articleId: string,
  authors: OriginalInput['authors'],
  translator: TranslationInput['translator'] | null,
  categories: readonly string[],
  isOriginal: boolean,
): Translation {
  const d = f.data;
  return {
    articleId,
    language: f.language,
    file: f.file,
    title: d.title,
    summary: d.summary,
    published: d.published.at,
    updated: (d.updated ?? d.published).at,
    publishedUtcOffset: d.published.utcOffset,
    updatedUtcOffset: (d.updated ?? d.published).utcOffset,
    authors,
    translator,
    isOriginal,
    categories,
    tags: d.tags,
    image: d.image ?? null,
    bodyHtml: f.bodyHtml,
    bodyMarkdown: f.bodyMarkdown,
    stamp: f.stamp,
    rules: d.relates,
    excludes: d.excludes.flatMap((e) => ('rule' in e ? [e.rule] : [])),
    excludeUrls: d.excludes.flatMap((e) => ('url' in e ? [e.url] : [])),
  };
}
