import { afterAll, beforeAll, expect, it } from 'vitest';
import { copyContent, startService, write, type Running } from '../../helpers/service.ts';
import { startHub, type FixtureHub } from '../../helpers/upstream-hub.ts';
import { serveBytes, startUpstream, type Upstream } from '../../helpers/upstream-server.ts';

/** The schedule goes on while a hub pushes, but its ticks poll only once the slower fallback interval has passed. */

let up: Upstream;
let hub: FixtureHub;
let running: Running;

const feed = (hubLink: string) =>
  `<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>T</title>` +
  `<link>https://news.example/</link>${hubLink}<item><title>a</title><link>https://news.example/a</link></item></channel></rss>`;

beforeAll(async () => {
  up = await startUpstream();
  hub = await startHub((u) => running.local(u));
  up.routes.set('/pushed.xml', serveBytes(feed(`<atom:link rel="hub" href="${hub.url}"/>`)));
  up.routes.set('/plain.xml', serveBytes(feed('')));
  const contentDir = copyContent();
  const every = (id: string) => `- url: ${up.url(`/${id}.xml`)}\n  id: ${id}\n  schedule: "* * * * * *"\n`;
  write(contentDir, 'sources.yaml', every('pushed') + every('plain'));
  running = await startService({ contentDir, env: { WEBSUB_SUBSCRIBE: 'on' }, pollJitterMs: 0 });
});

afterAll(async () => {
  await running?.close();
  await hub?.close();
  await up?.close();
});

const polls = (p: string) => up.requests.filter((r) => r.path === p).length;

it('skips the scheduled polls of a pushed source until six hours after its last poll, while the others poll on schedule', async () => {
  running.service.ingester.start();
  const deadline = Date.now() + 10_000;
  const slowed = async () => {
    const s = (await running.service.ingester.status()).find((x) => x.id === 'pushed')!;
    return s.pushed && s.nextPollAt !== null && new Date(s.nextPollAt).getTime() > Date.now() + 5 * 3600_000;
  };
  while (!(await slowed()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(await slowed()).toBe(true);
  const [pushed, plain] = [polls('/pushed.xml'), polls('/plain.xml')];
  await new Promise((r) => setTimeout(r, 2500));
  expect(polls('/pushed.xml')).toBe(pushed);
  expect(polls('/plain.xml')).toBeGreaterThanOrEqual(plain + 2);
  expect(hub.requests.filter((r) => r.mode === 'subscribe')).toHaveLength(1);
});
