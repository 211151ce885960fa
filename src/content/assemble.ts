import type { Article, Site, Translation } from './model.ts';
import type { ParsedFile } from './parse.ts';
import type { Problems } from './problems.ts';
import type { OriginalInput, TranslationInput } from './schema.ts';

/** Links translations to originals and checks what spans files; null (and `problems` filled) when that fails. */
export function assemble(
  site: Site | null,
  originals: readonly ParsedFile<OriginalInput>[],
  translations: readonly ParsedFile<TranslationInput>[],
  problems: Problems,
): Article[] | null {
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
    const translation = toTranslation(o, o.data.id, o.data.authors, null, o.data.categories, true);
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
      toTranslation(t, original.data.id, t.data.authors ?? original.data.authors, t.data.translator, original.data.categories, false),
    );
  }

  if (problems.list.length > 0 || !site) return null;

  const articles: Article[] = [...byId.values()].map(({ original, translations: tr }) => ({
    id: original.data.id,
    slug: original.slug,
    originalLanguage: original.language,
    credit: original.data.source,
    categories: original.data.categories,
    translations: new Map(site.languages.filter((l) => tr.has(l.code)).map((l) => [l.code, tr.get(l.code)!])),
  }));
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
