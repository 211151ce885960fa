import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Parser from 'rss-parser';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { FEEDPARSER_MISSING, findFeedparserPython } from '../helpers/readers.ts';
import { copyContent, request, startService, type Running } from '../helpers/service.ts';

/**
 * Titles and summaries are plain text that may hold markup characters. RSS `<description>` is read as
 * HTML by readers, so it carries the HTML that shows the text; Atom and JSON Feed say the type (text).
 * Whatever the format, a reader shows exactly the text we wrote.
 */

const TITLE = `AT&T <b> vs "5 < 6" & 'x'`;
const SUMMARY = `AT&T <b> vs 5 < 6: "quoted" & 'single', &amp; stays literal, and so does <script>alert(1)</script>.`;

let s: Running;
let work: string;
beforeAll(async () => {
  const contentDir = copyContent();
  const dir = path.join(contentDir, 'articles', 'markup-in-text');
  fs.mkdirSync(dir);
  const yaml = (v: string) => `'${v.replaceAll("'", "''")}'`;
  fs.writeFileSync(
    path.join(dir, 'index.en.md'),
    `---\nid: markup-in-text\ntitle: ${yaml(TITLE)}\nsummary: ${yaml(SUMMARY)}\npublished: 2026-11-26T09:00:00Z\nauthors: [Desk]\nsource: { name: Desk }\ncategories: [turki]\n---\nBody.\n`,
  );
  s = await startService({ contentDir });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-text-'));
});
afterAll(async () => {
  await s?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Undoes HTML character references, as a reader rendering HTML does (the ones escape-html writes and &amp;). */
function htmlText(html: string): string {
  return html.replace(/&(lt|gt|quot|#39|amp);/g, (_m, name: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[name]!);
}

test('RSS <description> is the escaped HTML of the summary: rss-parser shows the text', async () => {
  const xml = (await request(`${s.origin}/en/feed.rss`)).text;
  const feed = await new Parser().parseString(xml);
  const item = feed.items.find((i) => i.guid?.includes('markup-in-text'))!;
  expect(item.title).toBe(TITLE);
  // The description holds HTML with no markup of its own: only the text's characters, escaped.
  expect(item.content).not.toMatch(/<[a-z/]/i);
  expect(htmlText(item.content!)).toBe(SUMMARY);
  expect(item.contentSnippet).toBe(SUMMARY);
});

test('Python feedparser shows the same title and summary in RSS, Atom and JSON Feed', async () => {
  const python = findFeedparserPython();
  if (!python) throw new Error(FEEDPARSER_MISSING);
  const files: Record<string, string> = {};
  for (const format of ['rss', 'atom']) {
    files[format] = path.join(work, `feed.${format}`);
    fs.writeFileSync(files[format], (await request(`${s.origin}/en/feed.${format}`)).body);
  }
  const script = `
import json, sys, feedparser
out = {}
for name in sys.argv[1:]:
    d = feedparser.parse(name)
    e = [e for e in d.entries if 'markup-in-text' in e.id][0]
    out[name] = {'bozo': bool(d.bozo), 'title': e.title, 'title_type': e.title_detail.type, 'summary': e.summary, 'summary_type': e.summary_detail.type}
json.dump(out, sys.stdout)
`;
  const out = JSON.parse(execFileSync(python, ['-c', script, files.rss!, files.atom!], { encoding: 'utf8' })) as Record<
    string,
    { bozo: boolean; title: string; title_type: string; summary: string; summary_type: string }
  >;
  const rss = out[files.rss!]!;
  const atom = out[files.atom!]!;
  expect(rss.bozo || atom.bozo).toBe(false);
  // feedparser gives HTML for HTML content and plain text for text: either way, the text a reader shows.
  const shown = (value: string, type: string) => (type === 'text/html' ? htmlText(value) : value);
  expect(rss.summary_type).toBe('text/html');
  expect(shown(rss.summary, rss.summary_type)).toBe(SUMMARY);
  expect(shown(rss.title, rss.title_type)).toBe(TITLE);
  expect(atom.summary_type).toBe('text/plain');
  expect(atom.summary).toBe(SUMMARY);
  expect(atom.title_type).toBe('text/plain');
  expect(atom.title).toBe(TITLE);

  const json = JSON.parse((await request(`${s.origin}/en/feed.json`)).text) as { items: { id: string; title: string; summary: string }[] };
  const item = json.items.find((i) => i.id.includes('markup-in-text'))!;
  expect(item.title).toBe(TITLE);
  expect(item.summary).toBe(SUMMARY);
});
