import { Marked } from 'marked';
import { stripInvalidXmlChars } from '../text.ts';

// One configured instance: no global marked options leak between callers.
const marked = new Marked({ gfm: true, breaks: false, async: false });

/** Article bodies are Markdown written by our editors; the HTML goes into feeds and pages as is. */
export function renderMarkdown(markdown: string): string {
  return stripInvalidXmlChars(marked.parse(markdown, { async: false })).trim();
}

/** Renders on first call and keeps the result; `source` gives the Markdown (it may read it from disk). */
export function lazyMarkdown(source: () => string): () => string {
  let html: string | null = null;
  return () => (html ??= renderMarkdown(source()));
}
