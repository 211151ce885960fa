import { z } from 'zod';

/**
 * Schemas for what authors write: site.yaml and each article's front matter. Unknown keys are errors,
 * so a misspelt field (`publised:`) is reported instead of silently ignored.
 */

const LANG = /^[a-z]{2,3}(-[A-Z][a-z]{3})?(-[A-Z]{2}|-\d{3})?$/;
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** An ISO 8601 instant with an explicit zone: the zone is part of what the author meant. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export const languageCode = z.string().regex(LANG, 'must be a language code such as "id", "en" or "pt-BR"');
export const slug = z.string().regex(SLUG, 'must be lower-case letters, digits and single hyphens');

const httpUrl = z
  .string()
  .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), 'must be an absolute http(s) URL');

const nonEmpty = z.string().trim().min(1, 'must not be empty');

/**
 * An instant as the author wrote it: the moment, and the UTC offset it was written in (minutes east of UTC), so
 * pages can show it in the article's own zone (20.00 WIB, not 13.00 UTC).
 */
export interface ZonedInstant {
  at: Date;
  utcOffset: number;
}

export const instant = z
  .string()
  .regex(INSTANT, 'must be an ISO 8601 date and time with a zone, e.g. 2020-11-03T20:00:00+07:00')
  .transform((s, ctx): ZonedInstant => {
    const d = new Date(s);
    const zone = /(Z|([+-])(\d{2}):(\d{2}))$/.exec(s)!;
    const utcOffset = zone[1] === 'Z' ? 0 : (zone[2] === '-' ? -1 : 1) * (Number(zone[3]) * 60 + Number(zone[4]));
    if (Number.isNaN(d.getTime()) || Math.abs(utcOffset) > 18 * 60) {
      ctx.addIssue({ code: 'custom', message: `is not a real date: ${s}` });
      return z.NEVER;
    }
    return { at: d, utcOffset };
  });

const person = z.union([
  nonEmpty.transform((name) => ({ name, url: null })),
  z.strictObject({ name: nonEmpty, url: httpUrl.nullable().default(null) }),
]);

/** `a|b` is one term with two spellings; a rule is one term or a list of terms that must all occur. */
const term = nonEmpty.transform((s) =>
  s
    .split('|')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t.length > 0),
);
const rule = z.union([term.transform((t) => [t]), z.array(term).min(1, 'a rule needs at least one term')]);
/** What an editor forces out: an item's link (an absolute http(s) URL), or a rule as in `relates`. */
const exclude = z.union([
  z.string().trim().regex(/^https?:\/\/\S+$/i).refine((s) => URL.canParse(s), 'must be an absolute http(s) URL').transform((url) => ({ url })),
  rule.transform((r) => ({ rule: r })),
]);

export const siteSchema = z.strictObject({
  idAuthority: z
    .string()
    .regex(
      /^[a-z0-9.-]+\.[a-z]{2,},\d{4}(-\d{2}(-\d{2})?)?$/,
      'must be a tag: URI authority, a domain and a date, e.g. "example.org,2026"',
    ),
  defaultLanguage: languageCode,
  copyright: z.string().nullable().default(null),
  feedItemLimit: z.number().int().min(1).max(500).default(50),
  languages: z.record(
    languageCode,
    z.strictObject({ title: nonEmpty, description: nonEmpty, readAlso: nonEmpty.optional() }),
  ),
  categories: z.record(slug, z.record(languageCode, nonEmpty)).default({}),
});
export type SiteInput = z.infer<typeof siteSchema>;

const common = {
  title: nonEmpty,
  summary: nonEmpty,
  published: instant,
  updated: instant.optional(),
  authors: z.array(person).min(1, 'needs at least one author').optional(),
  categories: z.array(slug).optional(),
  tags: z.array(nonEmpty).default([]),
  image: z.strictObject({ url: httpUrl, alt: z.string() }).optional(),
  relates: z.array(rule).default([]),
  excludes: z.array(exclude).default([]),
};

export const originalSchema = z.strictObject({
  ...common,
  id: slug,
  authors: z.array(person).min(1, 'needs at least one author'),
  source: z.strictObject({ name: nonEmpty, url: httpUrl.nullable().default(null), note: z.string().nullable().default(null) }),
  categories: z.array(slug).default([]),
});
export type OriginalInput = z.infer<typeof originalSchema>;

export const translationSchema = z.strictObject({
  ...common,
  translationOf: slug,
  translator: person,
});
export type TranslationInput = z.infer<typeof translationSchema>;
