/**
 * Workers are separate Node processes started by bench/run.ts (pinned to the service core): they read their
 * input from the JSON file named by argv[2] and write their result to the JSON file named by argv[3].
 */
import fs from 'node:fs';

export function runWorker<I, O>(fn: (input: I) => Promise<O> | O): void {
  const [inFile, outFile] = process.argv.slice(2);
  if (!inFile || !outFile) {
    process.stderr.write('usage: node --import tsx <worker.ts> <input.json> <output.json>\n');
    process.exit(2);
  }
  const input = JSON.parse(fs.readFileSync(inFile, 'utf8')) as I;
  Promise.resolve()
    .then(() => fn(input))
    .then(
      (out) => {
        fs.writeFileSync(outFile, JSON.stringify(out, null, 2));
        process.exit(0);
      },
      (err: unknown) => {
        process.stderr.write(`worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        process.exit(1);
      },
    );
}
