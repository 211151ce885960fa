/**
 * `npx tsx bench/relate-service-only.ts [--reuse] [--in-process]`: issue 14's background re-relate in the running
 * service alone, as `npm run bench` measures it (bench/run.ts, measureRelateInService: its world under
 * bench/.work/relate, the built service, wrk and the bare server; BENCH_DURATION etc. as there). With --in-process,
 * also the in-process figures through the relate worker, as `npm run bench` runs it. Prints the targets, then the
 * figures as JSON.
 */
import { installCleanup } from './lib/proc.ts';
import { relateTargets, RELATE_PHASES, type RelateFigures } from './lib/relate-service.ts';
import { disturbed, log, measureRelateInService, preflight, quietly, relateInProcess, serviceCommand, warnings } from './run.ts';

async function main(): Promise<void> {
  const { serverCore, loadCore } = preflight();
  const inProcess = process.argv.includes('--in-process') ? await relateInProcess(serverCore) : null;
  const command = await serviceCommand();
  const service = await quietly(RELATE_PHASES.service, () => measureRelateInService(command, serverCore, loadCore));
  const figures: RelateFigures = { inProcess, service };
  for (const t of relateTargets(figures, disturbed)) console.log(`${t.met ? 'met    ' : 'NOT MET'}  ${t.name}: ${t.measured} (goal ${t.target})${t.disturbed ? ' [disturbed]' : ''}`);
  for (const w of warnings) console.log(`warning: ${w}`);
  console.log(JSON.stringify(figures, null, 2));
}

installCleanup();
main().then(
  () => {
    log('done');
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`relate-service-only failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
