import type { Language } from '../content/model.ts';
import { html, type SafeHtml } from '../html/html.ts';
import { direction, fill, strings } from '../i18n/strings.ts';
import type { ReaderDay, ReaderReport } from '../model/readers.ts';

/**
 * The newsroom's page of who reads us (/stats), in the site's default language: per feed, a small chart of the
 * last 30 days drawn here as SVG (subscribers as bars, other pollers as a line), so the page needs no script and
 * no charting library, and reads the same without styles (each chart has a text alternative).
 */

const W = 300;
const H = 64;

function chart(days: readonly ReaderDay[], label: string): SafeHtml {
  const max = Math.max(1, ...days.map((d) => Math.max(d.subscribers, d.pollers)));
  const step = W / days.length;
  const y = (n: number) => (H - (n / max) * (H - 4)).toFixed(1);
  const bars = days.map((d, i) =>
    d.subscribers > 0
      ? html`<rect x="${(i * step + 1).toFixed(1)}" y="${y(d.subscribers)}" width="${(step - 2).toFixed(1)}" height="${(H - Number(y(d.subscribers))).toFixed(1)}"><title>${d.day}: ${d.subscribers}</title></rect>`
      : '',
  );
  const line = days.map((d, i) => `${(i * step + step / 2).toFixed(1)},${y(d.pollers)}`).join(' ');
  return html`<svg class="chart" role="img" aria-label="${label}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg"><line x1="0" y1="${H - 0.5}" x2="${W}" y2="${H - 0.5}" class="axis"/><g class="subscribers">${bars}</g><polyline class="pollers" fill="none" points="${line}"/></svg>`;
}

export function statsPage(report: ReaderReport, lang: Language): string {
  const s = strings(lang);
  const t = s.stats;
  const words = (template: string, parts: Record<string, string | number>) => fill(template, parts).join('');
  const aggregators = Object.entries(report.today.aggregators).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const feeds = report.feeds.map((f) => {
    const last = f.days[f.days.length - 1]!;
    return html`<section>
<h2><a href="${f.url}">${f.feed}</a></h2>
${chart(f.days, words(t.chart, { feed: f.feed, subscribers: last.subscribers, pollers: last.pollers }))}
<p class="legend"><span class="key subscribers"></span> ${t.subscribers}: ${last.subscribers} · <span class="key pollers"></span> ${t.pollers}: ${last.pollers}</p>
</section>
`;
  });
  return html`<!DOCTYPE html>
<html lang="${lang}"${direction(lang) === 'rtl' ? html` dir="rtl"` : ''}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${t.title}</title>
<style>body{font:1rem/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#111;background:#fff}a{color:#0645ad}h2{font-size:1rem;margin:1.5rem 0 .3rem}.chart{display:block;max-width:100%;height:auto;background:#f6f7f9}.chart .subscribers{fill:#2b6cb0}.chart .pollers{stroke:#c05621;stroke-width:2}.chart .axis{stroke:#999}.key{display:inline-block;width:.8em;height:.8em}.key.subscribers{background:#2b6cb0}.key.pollers{background:#c05621}small,.legend{color:#444}@media (prefers-color-scheme:dark){body{color:#eee;background:#111}a{color:#8ab4f8}.chart{background:#1d1f23}small,.legend{color:#bbb}}</style>
</head>
<body>
<main>
<h1>${t.title}</h1>
<p>${words(t.intro, { days: report.days.length })}</p>
<p><small>${t.privacy}</small></p>
<p><time datetime="${report.from}">${report.from}</time> – <time datetime="${report.to}">${report.to}</time> (UTC)</p>
<p><strong>${words(t.today, { subscribers: report.today.subscribers, pollers: report.today.pollers })}</strong></p>
${aggregators.length > 0 ? html`<h2>${t.byAggregator}</h2><ul>${aggregators.map(([a, n]) => html`<li>${a}: ${n}</li>`)}</ul>` : ''}
${report.feeds.length === 0 ? html`<p>${t.nothing}</p>` : feeds}
</main>
</body>
</html>
`.value;
}
