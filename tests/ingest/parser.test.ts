import { describe, expect, it } from 'vitest';
import { parseFeed } from '../../src/ingest/parser.ts';

describe('parser', () => {
  it('reads RSS description and content:encoded as text, as CDATA, empty, or with child elements', async () => {
    const feed = await parseFeed(
      '<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>' +
        '<item><title>a</title><description><p>Hi <b>there</b></p></description><content:encoded><div class="x">Body</div></content:encoded></item>' +
        '<item><title>b</title><description type="html">&lt;p&gt;x&lt;/p&gt;</description><content:encoded></content:encoded></item>' +
        '<item><title>c</title><description></description></item>' +
        '<item><title>d</title><description>plain</description><content:encoded><![CDATA[<p>cdata</p>]]></content:encoded>' +
        '<content:encoded>second</content:encoded></item>' +
        '</channel></rss>',
    );
    expect(feed.items.map((i) => [i.title, i.content, i.summary])).toEqual([
      // Child elements come back as the markup they are, in order, each field its own.
      ['a', '<div class="x">Body</div>', '<p>Hi <b>there</b></p>'],
      ['b', '', '<p>x</p>'],
      ['c', '', ''],
      ['d', '<p>cdata</p>', 'plain'],
    ]);
  });
});
