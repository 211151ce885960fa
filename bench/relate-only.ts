/**
 * Runs the relating-by-content measurement alone (bench/lib/relate.ts): `npx tsx bench/relate-only.ts`
 * (`--articles N --items N` for smaller runs). Prints the figures as JSON and checks them against issue 14's goals.
 */
import { RELATE_DEFAULTS, runRelateBench } from './lib/relate.ts';

const arg = (name: string): number | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : Number(process.argv[i + 1]);
};

const result = runRelateBench({
  ...RELATE_DEFAULTS,
  articles: arg('articles') ?? RELATE_DEFAULTS.articles,
  items: arg('items') ?? RELATE_DEFAULTS.items,
});
console.log(JSON.stringify(result, null, 2));
const goals = [
  ['relating one new item, mean < 1 ms', result.perItemMs.mean < 1],
  ['full re-relate of every item < 30 s', result.fullRelate.ms < 30_000],
] as const;
for (const [what, ok] of goals) console.log(`${ok ? 'met    ' : 'NOT MET'} ${what}`);
