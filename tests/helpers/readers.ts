import { spawnSync } from 'node:child_process';

/**
 * A python3 that has feedparser: Debian's /usr/bin/python3 (python3-feedparser), which a pyenv or venv
 * python3 earlier on PATH may hide. Null when there is none; tests that need it fail then, naming the package.
 */
export function findFeedparserPython(): string | null {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(candidate, ['-c', 'import feedparser'], { stdio: 'ignore' });
    if (r.status === 0) return candidate;
  }
  return null;
}

export const FEEDPARSER_MISSING = 'Python feedparser is missing: apt-get install -y python3-feedparser (.ci/run does)';
