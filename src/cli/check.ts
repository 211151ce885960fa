import { loadConfig } from '../config.ts';
import { ContentError } from '../errors.ts';
import { readSources, SourcesError } from '../ingest/sources.ts';
import { loadContent } from '../content/load.ts';

/**
 * `npm run check [CONTENT_DIR]`: validates the content tree and sources.yaml without serving, with the service's
 * own loaders: loadConfig resolves CONTENT_DIR (a DIR argument stands for it) as `npm start` does, loadContent
 * reads the content, readSources reads sources.yaml (as LiveSources does). Prints every problem with its file and
 * field; exits 1 when there is any.
 *
 * The rest of the environment is not checked: check runs where content is edited (an editor's shell, CI, a test
 * runner, which sets BASE_URL=/ for its own use), not in the service's environment, and `npm start` already stops
 * with a message naming any bad variable.
 */
const dirArg = process.argv[2];
const contentDir = loadConfig({ CONTENT_DIR: dirArg ?? process.env.CONTENT_DIR }).contentDir;
let failed = false;
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
