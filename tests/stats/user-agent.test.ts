import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { aggregatorReport, type AggregatorReport } from '../../src/stats/user-agent.ts';
import { REPO } from '../helpers/service.ts';

interface Entry {
  ua: string;
  expect: AggregatorReport | null;
  origin: string;
}
const table = JSON.parse(fs.readFileSync(path.join(REPO, 'tests/fixtures/user-agents.json'), 'utf8')) as { agents: Entry[] };

test.each(table.agents.map((e) => [e.ua, e] as const))('reads the subscriber report of %s', (_ua, e) => {
  expect(e.origin).not.toBe('');
  expect(aggregatorReport(e.ua)).toEqual(e.expect);
});

test('reads counts written with thousands separators', () => {
  expect(aggregatorReport('SomeReader/2.1 (1,204 readers)')).toEqual({ aggregator: 'SomeReader', feedRef: '', subscribers: 1204 });
});
