import { loadConfig } from '../config.ts';
import { ConfigError, ContentError } from '../errors.ts';
import { readSources, SourcesError } from '../ingest/sources.ts';
import { loadContent } from './load.ts';

/**
 * `npm run check [CONTENT_DIR]`: validates, without serving, what `npm start` would read, with the service's own
 * loaders: the environment (loadConfig; a DIR argument stands for CONTENT_DIR), the content tree (loadContent)
 * and sources.yaml (readSources, which LiveSources uses too). Prints every problem with its file and field;
 * exits 1 when there is any.
 */
const dirArg = process.argv[2];
const env = dirArg ? { ...process.env, CONTENT_DIR: dirArg } : process.env;
let failed = false;
let contentDir: string;
try {
  contentDir = loadConfig(env).contentDir;
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  failed = true;
  process.stderr.write(`${err.message}\n`);
  // The content is still checked: CONTENT_DIR alone cannot be invalid (unset or empty means ./content).
  contentDir = loadConfig({ CONTENT_DIR: env.CONTENT_DIR }).contentDir;
}
try {
  const snapshot = loadContent(contentDir);
  const translations = snapshot.articles.reduce((n, a) => n + a.translations.size, 0);
  process.stdout.write(`content ok: ${snapshot.articles.length} articles, ${translations} files, ${snapshot.site.categories.length} categories in ${contentDir}\n`);
} catch (err) {
  if (!(err instanceof ContentError)) throw err;
  failed = true;
  process.stderr.write(`${err.message}\n`);
}
const { sources, problems } = readSources(contentDir);
if (problems.length === 0) process.stdout.write(`sources ok: ${sources.length} upstream feeds\n`);
else {
  failed = true;
  process.stderr.write(`${new SourcesError(problems).message}\n`);
}
process.exit(failed ? 1 : 0);
