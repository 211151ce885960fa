import fs from 'node:fs';
import path from 'node:path';
import { strings } from '../i18n/strings.ts';
import type { Category, Site } from './model.ts';
import { readYaml } from './parse.ts';
import type { Problems } from './problems.ts';
import { siteSchema } from './schema.ts';

/**
 * site.yaml to a Site: parsed, validated field by field and across fields (the default language is offered,
 * every category has a label per language), with what it may leave out filled in (a language's `readAlso` from
 * its strings). Null, with `problems` filled, when it cannot be used.
 */
export function loadSite(contentDir: string, problems: Problems): Site | null {
  const file = 'site.yaml';
  let text: string;
  try {
    text = fs.readFileSync(path.join(contentDir, file), 'utf8');
  } catch (err) {
    problems.add(file, null, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    return null;
  }
  const raw = readYaml(file, text, problems);
  if (raw === undefined) return null;
  const parsed = siteSchema.safeParse(raw);
  if (!parsed.success) {
    problems.fromZod(file, parsed.error);
    return null;
  }
  const s = parsed.data;
  const codes = Object.keys(s.languages);
  if (codes.length === 0) problems.add(file, 'languages', 'at least one language is needed');
  if (!codes.includes(s.defaultLanguage)) {
    problems.add(file, 'defaultLanguage', `"${s.defaultLanguage}" is not one of languages (${codes.join(', ')})`);
    return null;
  }
  const ordered = [s.defaultLanguage, ...codes.filter((c) => c !== s.defaultLanguage)];
  const categories: Category[] = [];
  for (const [slug, labels] of Object.entries(s.categories)) {
    const missing = codes.filter((c) => !(c in labels));
    if (missing.length) problems.add(file, `categories.${slug}`, `no label for language ${missing.join(', ')}`);
    categories.push({ slug, label: labels });
  }
  return {
    idAuthority: s.idAuthority,
    defaultLanguage: s.defaultLanguage,
    languages: ordered.map((code) => {
      const l = s.languages[code]!;
      return { code, title: l.title, description: l.description, readAlso: l.readAlso ?? strings(code).readAlso };
    }),
    categories,
    feedItemLimit: s.feedItemLimit,
    copyright: s.copyright,
  };
}

