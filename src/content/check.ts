import path from 'node:path';
import { ConfigError, ContentError } from '../errors.ts';
import { loadSources } from '../ingest/sources.ts';
import { loadContent } from './load.ts';

/**
 * `npm run check [CONTENT_DIR]`: validates the content tree and sources.yaml without serving.
 * Prints every problem with its file and field; exits 1 when there is any.
 */
const dir = path.resolve(process.argv[2] ?? process.env.CONTENT_DIR ?? './content');
let failed = false;
try {
  const snapshot = loadContent(dir);
  const translations = snapshot.articles.reduce((n, a) => n + a.translations.size, 0);
  process.stdout.write(`content ok: ${snapshot.articles.length} articles, ${translations} files, ${snapshot.site.categories.length} categories in ${dir}\n`);
} catch (err) {
  if (!(err instanceof ContentError)) throw err;
  failed = true;
  process.stderr.write(`${err.message}\n`);
}
try {
  const sources = loadSources(dir);
  process.stdout.write(`sources ok: ${sources.length} upstream feeds\n`);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  failed = true;
  process.stderr.write(`sources.yaml: ${err.message}\n`);
}
process.exit(failed ? 1 : 0);
