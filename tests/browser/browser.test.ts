import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { strings } from '../../src/i18n/strings.ts';
import { collectErrors, launchChromium, SCREENSHOTS, startPartner, startPublicService, type Partner } from '../helpers/browser.ts';
import type { Running } from '../helpers/service.ts';

/**
 * What a person sees, in Debian's Chromium: the index, an RSS and an Atom feed opened as a person opens them (a
 * navigation), and a partner's page with the embed script and one with the iframe. Screenshots go to
 * test-results/browser/ (not committed). Without Chromium these fail, naming the package.
 */

// Chromium starts in a second or two, but the machine may be busy.
const SLOW = 60_000;

let s: Running;
let partner: Partner;
let base: string;
let launched: Promise<BrowserContext> | null = null;

/**
 * Chromium, launched by the first test that needs it. Not in beforeAll: vitest reports the tests of a failed hook as
 * skipped, and without Chromium each of these tests must fail, saying which package is missing.
 */
function browser(): Promise<BrowserContext> {
  launched ??= launchChromium().then(async (context) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    return context;
  });
  return launched;
}

/**
 * A feed that asks for XSLT, as publishers did before Chromium's deprecation: the banner check must see its banner.
 * Served as application/xml as such publishers do: Chromium shows application/rss+xml as plain text, XSLT or not.
 */
const XSLT_FEED = `<?xml version="1.0" encoding="utf-8"?>
<?xml-stylesheet type="text/xsl" href="/pretty.xsl"?>
<rss version="2.0"><channel><title>Styled the old way</title><link>http://partner.example/</link><description>d</description></channel></rss>`;
const XSLT = `<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><html><body><h1><xsl:value-of select="/rss/channel/title"/></h1></body></html></xsl:template>
</xsl:stylesheet>`;

beforeAll(async () => {
  s = await startPublicService();
  base = s.origin;
  partner = await startPartner(base, {
    'old-style.rss': { type: 'application/xml', body: XSLT_FEED },
    'pretty.xsl': { type: 'text/xsl', body: XSLT },
  });
}, SLOW);

afterAll(async () => {
  await (await launched?.catch(() => null))?.close();
  await partner?.close();
  await s?.close();
});

async function open(url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await (await browser()).newPage();
  const errors = collectErrors(page);
  const response = await page.goto(url, { waitUntil: 'load' });
  expect(response?.status(), url).toBe(200);
  return { page, errors };
}

/** Chromium 156 paints this element over any page an <?xml-stylesheet?> transformed with XSLT. */
/*
 * Code run in the page is given as text: the tests are type-checked against Node's globals only, and DOM types for
 * the whole program would let browser globals slip into src/ unnoticed.
 */
const inPage = <T>(page: Page, expression: string) => page.evaluate<T>(expression);

const hasXsltBanner = (page: Page) => inPage<boolean>(page, "document.querySelector('xslt-warning-banner') !== null");

const clipboard = (page: Page) => inPage<string>(page, 'navigator.clipboard.readText()');

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });

describe('in Chromium', () => {
  test(
    'the index: the titles, a subscribe button that copies the feed address, the embed snippets',
    async () => {
      const { page, errors } = await open(`${base}/`);
      const id = strings('id');
      expect(await page.title()).toBe('Kabar Timur Tengah · Middle East News');
      expect(await page.locator('h1').innerText()).toBe('Kabar Timur Tengah · Middle East News');
      const subscribe = page.locator('section[lang="id"] a.subscribe').first();
      expect(await subscribe.innerText()).toBe(id.subscribe);
      await subscribe.click();
      // It copied instead of navigating, and says so.
      await expect.poll(() => subscribe.innerText()).toBe(id.copied);
      expect(page.url()).toBe(`${base}/`);
      expect(await clipboard(page)).toBe(`${base}/id/feed.rss`);
      // The snippets' copy buttons are shown by the script, and copy the snippet.
      const copy = page.locator('#embed button[data-copy]').first();
      expect(await copy.isVisible()).toBe(true);
      await copy.click();
      expect(await clipboard(page)).toContain(`<script src="${base}/embed.js" async></script>`);
      expect(await hasXsltBanner(page)).toBe(false);
      await shot(page, 'index');
      // On a phone, in dark mode: one column, nothing wider than the screen.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.emulateMedia({ colorScheme: 'dark' });
      expect(await inPage<number>(page, 'document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      expect(await inPage<string>(page, 'getComputedStyle(document.body).backgroundColor')).toBe('rgb(20, 20, 20)');
      await shot(page, 'index-phone-dark');
      expect(errors).toEqual([]);
      await page.close();
    },
    SLOW,
  );

  test(
    'an RSS feed opened by a person: a page in the feed’s language, the address with a copy button, the items, no XSLT banner',
    async () => {
      const { page, errors } = await open(`${base}/id/feed.rss`);
      const id = strings('id');
      expect(await inPage<string>(page, 'document.contentType')).toBe('text/html');
      expect(await page.locator('html').getAttribute('lang')).toBe('id');
      expect(await page.locator('h1').innerText()).toBe('Kabar Timur Tengah');
      expect(await page.locator('#what').innerText()).toBe(id.feedIntro);
      expect(await page.locator('#address').inputValue()).toBe(`${base}/id/feed.rss`);
      const item = page.locator('ul.items li a').first();
      expect(await item.innerText()).toBe('Rusia Nyatakan Ada 2000 Militan Timteng di Karabakh');
      expect(await item.getAttribute('href')).toBe(`${base}/id/articles/rusia-2000-militan-timteng-karabakh/`);
      expect(await page.locator('ul.items time').first().innerText()).toBe('3 November 2020 20.00 WIB');
      const copy = page.getByRole('button', { name: id.copy });
      await copy.click();
      await expect.poll(() => copy.innerText()).toBe(id.copied);
      expect(await clipboard(page)).toBe(`${base}/id/feed.rss`);
      expect(await hasXsltBanner(page)).toBe(false);
      await shot(page, 'feed-rss-id');
      expect(errors).toEqual([]);
      await page.close();
    },
    SLOW,
  );

  test(
    'an Atom feed opened by a person, then its other language and format as a person follows the links',
    async () => {
      const { page, errors } = await open(`${base}/en/feed.atom`);
      expect(await page.locator('h1').innerText()).toBe('Middle East News');
      expect(await page.locator('#what').innerText()).toBe(strings('en').feedIntro);
      expect(await page.locator('ul.items li a').first().innerText()).toBe('Russia Says 2,000 Middle Eastern Militants Are in Karabakh');
      expect(await hasXsltBanner(page)).toBe(false);
      await shot(page, 'feed-atom-en');
      await page.emulateMedia({ colorScheme: 'dark' });
      await shot(page, 'feed-atom-en-dark');
      await page.getByRole('link', { name: 'Kabar Timur Tengah (Indonesia)' }).click();
      await page.waitForURL(`${base}/id/feed.atom`);
      expect(await page.locator('h1').innerText()).toBe('Kabar Timur Tengah');
      await page.getByRole('link', { name: 'RSS 2.0' }).click();
      await page.waitForURL(`${base}/id/feed.rss`);
      expect(await page.locator('#address').inputValue()).toBe(`${base}/id/feed.rss`);
      expect(errors).toEqual([]);
      await page.close();
    },
    SLOW,
  );

  test(
    'the banner check sees the banner where there is one: a feed styled with XSLT, as publishers did',
    async () => {
      const { page } = await open(`${partner.origin}/old-style.rss`);
      await expect.poll(() => hasXsltBanner(page)).toBe(true);
      await shot(page, 'control-xslt-banner');
      await page.close();
    },
    SLOW,
  );

  test(
    'a partner’s page with the embed script shows our headlines with our credit, read through CORS',
    async () => {
      const { page, errors } = await open(`${partner.origin}/script.html`);
      const all = page.locator('#all.kabar-headlines');
      await all.locator('li a').first().waitFor();
      expect(await all.locator('li a').allInnerTexts()).toEqual(['Russia Says 2,000 Middle Eastern Militants Are in Karabakh']);
      expect(await all.locator('li a').first().getAttribute('href')).toBe(`${base}/en/articles/rusia-2000-militan-timteng-karabakh/`);
      expect(await all.locator('.kabar-credit').innerText()).toBe('Headlines from Middle East News');
      expect(await all.locator('.kabar-credit a').getAttribute('href')).toBe(`${base}/en/`);
      const russia = page.locator('#russia.kabar-headlines');
      await russia.locator('li a').first().waitFor();
      expect(await russia.getAttribute('lang')).toBe('id');
      expect(await russia.locator('li a').first().innerText()).toBe('Rusia Nyatakan Ada 2000 Militan Timteng di Karabakh');
      expect(await russia.locator('.kabar-credit').innerText()).toBe('Berita dari Kabar Timur Tengah: Rusia');
      await shot(page, 'partner-script');
      expect(errors).toEqual([]);
      await page.close();
    },
    SLOW,
  );

  test(
    'a partner’s page without scripts shows our headlines in an iframe',
    async () => {
      const { page, errors } = await open(`${partner.origin}/iframe.html`);
      const frame = page.frameLocator('#headlines');
      await frame.locator('ul.items li a').first().waitFor();
      expect(await frame.locator('ul.items li a').allInnerTexts()).toEqual(['Russia Says 2,000 Middle Eastern Militants Are in Karabakh']);
      expect(await frame.locator('.credit').innerText()).toBe('Headlines from Middle East News');
      await shot(page, 'partner-iframe');
      expect(errors).toEqual([]);
      await page.close();
    },
    SLOW,
  );
});
