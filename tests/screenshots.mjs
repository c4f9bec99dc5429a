// Full-page screenshots of public policy pages with headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core over the DevTools protocol), and the proof that the
// vendored fonts drew them. Called by tests/src/bin/screenshots.rs (see tests/screenshots.sh):
//
//   node tests/screenshots.mjs BASE OUTDIR name=/path ...   (writes OUTDIR/name.png)
//
// A name starting with `-` is checked but not photographed.
//
// A page fails the run unless, after `document.fonts.ready`:
// - every vendored face the page's text needs is `loaded` in `document.fonts` (the page's own
//   script, and the Persian/Arabic names in the language links), and
// - Chromium reports (CSS.getPlatformFontsForNode) that the heading, a paragraph and the
//   language links in Arabic script (and, on a Latin page, the shop name and heading when they
//   are in Arabic script) were drawn with a web font (isCustomFont), never with an installed
//   system font. The page's families are unique ("Harim Vazirmatn"), so an installed
//   Vazirmatn or Noto Naskh Arabic could not stand in for a face that failed to load.
import { createRequire } from 'node:module';

// require() (unlike import) honours NODE_PATH, which names playwright-core's directory.
const { chromium } = createRequire(import.meta.url)('playwright-core');

const [base, outDir, ...specs] = process.argv.slice(2);
if (!base || !outDir || specs.length === 0) {
  console.error('usage: node screenshots.mjs BASE OUTDIR name=/path ...');
  process.exit(2);
}

const FAMILY = { fa: 'Harim Vazirmatn', ar: 'Harim Noto Naskh Arabic' };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--font-render-hinting=none'],
});
let failed = false;
try {
  for (const spec of specs) {
    const [name, path] = spec.split(/=(.*)/s);
    const context = await browser.newContext({ viewport: { width: 960, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const url = new URL(path, base).toString();
    const resp = await page.goto(url, { waitUntil: 'networkidle' });
    if (!resp || resp.status() !== 200) {
      throw new Error(`${url}: status ${resp && resp.status()}`);
    }
    await page.evaluate(() => document.fonts.ready);
    // Which vendored faces this page needs: its own language's, and those of every element in
    // another Arabic-script language (the language links).
    const info = await page.evaluate((FAMILY) => {
      const need = new Set();
      const lang = document.documentElement.lang;
      if (FAMILY[lang]) need.add(FAMILY[lang] + '/400');
      for (const el of document.querySelectorAll('[lang]')) {
        const l = el.getAttribute('lang');
        if (FAMILY[l] && el.textContent.trim()) {
          const w = getComputedStyle(el).fontWeight;
          need.add(FAMILY[l] + '/' + (Number(w) >= 600 ? '700' : '400'));
        }
      }
      if (FAMILY[lang] && document.querySelector('h1')) need.add(FAMILY[lang] + '/700');
      const faces = [...document.fonts].map((f) => ({ family: f.family.replace(/"/g, ''), weight: f.weight, status: f.status }));
      return { lang, need: [...need], faces, dir: getComputedStyle(document.documentElement).direction };
    }, FAMILY);
    const problems = [];
    for (const n of info.need) {
      const [family, weight] = n.split('/');
      const face = info.faces.find((f) => f.family === family && String(f.weight) === weight);
      if (!face || face.status !== 'loaded') {
        problems.push(`${n} is ${face ? face.status : 'not declared'}`);
      }
    }
    if (FAMILY[info.lang] && info.dir !== 'rtl') problems.push(`direction is ${info.dir}`);
    // What Chromium really drew the text with.
    const cdp = await context.newCDPSession(page);
    await cdp.send('DOM.enable');
    await cdp.send('CSS.enable');
    const { root } = await cdp.send('DOM.getDocument', { depth: -1 });
    const selectors = [];
    if (FAMILY[info.lang]) selectors.push('h1', 'main > p', 'section li');
    else selectors.push('.shop bdi', 'h1');
    for (const l of Object.keys(FAMILY)) selectors.push(`.langs a[lang="${l}"]`);
    const used = {};
    for (const sel of selectors) {
      const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: sel });
      if (!nodeId) continue;
      const text = await page.$eval(sel, (el) => el.textContent);
      const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
      if (!FAMILY[info.lang] && !sel.startsWith('.langs')) {
        // On a Latin page only Arabic-script text must come from a vendored face: at most one
        // system glyph per other character (the Latin words and spaces around a Persian name).
        if (!/[\u0600-\u06FF]/.test(text)) continue;
        used[sel] = fonts;
        const other = [...text].filter((c) => !/[\u0600-\u06FF\u200C\u200D]/.test(c)).length;
        const system = fonts.filter((f) => !f.isCustomFont).reduce((n, f) => n + f.glyphCount, 0);
        if (!fonts.some((f) => f.isCustomFont) || system > other) {
          problems.push(`${sel} drawn with ${JSON.stringify(fonts)}`);
        }
        continue;
      }
      used[sel] = fonts;
      // Every glyph from a vendored face: Persian and Arabic pages fall back to Vazirmatn,
      // never to an installed font, for Latin letters and punctuation.
      if (fonts.length === 0 || fonts.some((f) => !f.isCustomFont)) {
        problems.push(`${sel} drawn with ${JSON.stringify(fonts)}`);
      }
    }
    if (!name.startsWith('-')) {
      await page.screenshot({ path: `${outDir}/${name}.png`, fullPage: true });
    }
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    const summary = Object.entries(used)
      .map(([sel, fonts]) => `${sel}: ${fonts.map((f) => `${f.familyName}${f.isCustomFont ? ' (web font)' : ' (SYSTEM)'} x${f.glyphCount}`).join(', ')}`)
      .join('; ');
    console.log(`${name.startsWith('-') ? `${name.slice(1)} (checked only)` : `${name}.png`}  ${url}  960x${height}  lang=${info.lang} dir=${info.dir}`);
    console.log(`  loaded: ${info.faces.filter((f) => f.status === 'loaded').map((f) => `${f.family} ${f.weight}`).join(', ') || 'none'}`);
    console.log(`  drawn with: ${summary}`);
    if (problems.length) {
      failed = true;
      console.error(`FAIL ${name}: ${problems.join('; ')}`);
    }
    await context.close();
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
