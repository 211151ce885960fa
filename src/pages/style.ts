/*
 * The one stylesheet and the one script of every HTML page (index, language, category, related, article pages, a
 * feed opened in a browser, the iframe embed). Both are inlined in each page rather than served as /style.css and
 * /copy.js: together they are about 3 KB (under 1.5 KB compressed), a first visit (most visitors
 * arrive from a link and read one page) needs no second request before it paints, and there is no versioned URL to
 * keep in step with the pages. Each page is rendered once per change and served from the cache, so inlining costs
 * no work per request either.
 */

/**
 * Fluid from a phone up (one column, at most 44rem wide), dark when the reader's system is (prefers-color-scheme),
 * logical properties (inline-start) so right-to-left pages mirror without rules of their own.
 */
export const STYLE = `:root{color-scheme:light dark;--fg:#1b1b1b;--muted:#575757;--bg:#fff;--link:#0b57d0;--line:#dcdcdc;--box:#f4f4f1}
@media (prefers-color-scheme:dark){:root{--fg:#e6e4e0;--muted:#aaa6a0;--bg:#141414;--link:#8ab4f8;--line:#383838;--box:#1f1f1f}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{font:1.0625rem/1.6 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Naskh Arabic",sans-serif;max-width:44rem;margin:0 auto;padding:1rem 1rem 3rem;color:var(--fg);background:var(--bg);overflow-wrap:break-word}
a{color:var(--link)}
h1{font-size:1.65rem;line-height:1.25;margin:1rem 0 .5rem}
h2{font-size:1.25rem;line-height:1.3;margin:1.75rem 0 .5rem}
img,video{max-width:100%;height:auto}
.meta,.credit,small,.muted{color:var(--muted)}
ul{padding-inline-start:1.25rem}
ul.items{list-style:none;padding:0}
ul.items>li{padding:.65rem 0;border-bottom:1px solid var(--line)}
ul.items p{margin:.25rem 0 0}
.button,button{display:inline-block;font:inherit;font-size:.9rem;line-height:1.4;padding:.25rem .8rem;border:1px solid var(--link);border-radius:999px;background:transparent;color:var(--link);text-decoration:none;cursor:pointer;white-space:nowrap}
.button:hover,button:hover{background:var(--link);color:var(--bg)}
:focus-visible{outline:2px solid var(--link);outline-offset:2px}
.box{background:var(--box);border:1px solid var(--line);border-radius:.5rem;padding:.75rem 1rem;margin:1rem 0}
.box>:first-child{margin-top:0}.box>:last-child{margin-bottom:0}
.address{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.address input{flex:1 1 14rem;min-width:0;font:.95rem ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;padding:.3rem .5rem;border:1px solid var(--line);border-radius:.25rem;background:var(--bg);color:var(--fg)}
pre{overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere;font-size:.85rem;background:var(--box);border:1px solid var(--line);border-radius:.25rem;padding:.5rem}
.scope{display:flex;flex-wrap:wrap;gap:.25rem .6rem;align-items:baseline}
nav.formats{margin:.5rem 0}`;

/**
 * The copy buttons: `data-copy` holds the text, `data-copied` what the button says for two seconds after. Buttons
 * are `hidden` until this script shows them, so a page without scripts shows none that cannot work; a subscribe
 * link is a plain link to the feed (whose browser view shows the address to copy), and copies instead of
 * navigating when it can. A read-only address field selects itself when focused, for copying by hand. The Clipboard API needs a secure context (https, or localhost); elsewhere the older
 * execCommand('copy') does it.
 */
export const COPY_SCRIPT = `(function(){
function copied(b){var o=b.getAttribute('data-label')||b.textContent;b.setAttribute('data-label',o);b.textContent=b.getAttribute('data-copied');setTimeout(function(){b.textContent=o},2000)}
function fallback(b,t){var a=document.createElement('textarea');a.value=t;a.setAttribute('readonly','');a.style.position='fixed';a.style.opacity='0';document.body.appendChild(a);a.select();var ok=false;try{ok=document.execCommand('copy')}catch(e){}a.remove();if(ok)copied(b);else if(b.href)location.href=b.href}
document.addEventListener('click',function(e){var b=e.target instanceof Element?e.target.closest('[data-copy]'):null;if(!b)return;e.preventDefault();var t=b.getAttribute('data-copy');if(navigator.clipboard&&window.isSecureContext)navigator.clipboard.writeText(t).then(function(){copied(b)},function(){fallback(b,t)});else fallback(b,t)});
document.querySelectorAll('button[data-copy][hidden]').forEach(function(b){b.hidden=false});
document.querySelectorAll('input[readonly]').forEach(function(i){i.addEventListener('focus',function(){i.select()})});
})();`;
