import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { expect, test } from 'vitest';
import { REPO } from '../helpers/service.ts';

/**
 * Imports point down the data's path: the folders of src/ form no cycle. Each folder is one node,
 * and so is each file at the top of src/ (config.ts, errors.ts, log.ts, service.ts, main.ts); an import inside one
 * folder is not an edge. The test names the cycle it finds, so the import to move is plain to see.
 */

const SRC = path.join(REPO, 'src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The node a file belongs to: its folder under src/, or the file's own name at the top. */
function nodeOf(file: string): string {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length > 1 ? `${rel[0]}/` : rel[0]!;
}

/** Folder-level import graph: node → nodes it imports, with one importing file per edge as the witness. */
function importGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of sourceFiles(SRC)) {
    const from = nodeOf(file);
    const edges = graph.get(from) ?? new Map<string, string>();
    graph.set(from, edges);
    for (const imported of ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (!imported.fileName.startsWith('.')) continue;
      const to = nodeOf(path.resolve(path.dirname(file), imported.fileName));
      if (to !== from && !edges.has(to)) edges.set(to, path.relative(REPO, file));
    }
  }
  return graph;
}

/** Strongly connected components of more than one node (Tarjan): each is a cycle between folders. */
function cycles(graph: Map<string, Map<string, string>>): string[][] {
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    order.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!order.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, order.get(w)!));
    }
    if (low.get(v) === order.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!order.has(v)) visit(v);
  return found;
}

test('the folders of src/ import each other without a cycle', () => {
  const graph = importGraph();
  const described = cycles(graph).map((component) =>
    component
      .flatMap((from) => [...(graph.get(from) ?? [])].filter(([to]) => component.includes(to)).map(([to, witness]) => `${from} → ${to} (${witness})`))
      .join('; '),
  );
  expect(described).toEqual([]);
});

test('the check sees the folders and their imports', () => {
  // Guards the test above against passing on an empty graph.
  const graph = importGraph();
  expect([...graph.keys()]).toEqual(expect.arrayContaining(['content/', 'feeds/', 'ingest/', 'storage/', 'http/', 'service.ts']));
  expect(graph.get('http/')?.has('cache/')).toBe(true);
});
