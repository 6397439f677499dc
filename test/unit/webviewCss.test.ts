/**
 * The webviews' shared page CSS (webview/shared/page.css): the review grid's and the map's style.css import it, and
 * the build inlines it in place (scripts/css-imports.mjs), once, before the view's own rules; a missing import or a
 * cycle is a build error naming the file.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
type CssWithImports = (file: string, deps?: Set<string>) => string;
const load = async (): Promise<CssWithImports> => (await import(path.join(ROOT, 'scripts', 'css-imports.mjs'))).cssWithImports;

test('the review grid and the map share the page CSS, inlined once before their own rules', async () => {
  const cssWithImports = await load();
  const page = fs.readFileSync(path.join(ROOT, 'webview/shared/page.css'), 'utf8').trimEnd();
  for (const view of ['review', 'map']) {
    const file = path.join(ROOT, 'webview', view, 'style.css');
    const deps = new Set<string>();
    const css = cssWithImports(file, deps);
    assert.equal(css.split(page).length, 2, `${view}: page.css exactly once`);
    assert.doesNotMatch(css, /^@import/m, `${view}: no @import left`);
    assert.ok(css.indexOf(page) < css.search(/^\.sl-(?!toolbar|summary)/m), `${view}: the page's rules come before the view's`);
    assert.deepEqual([...deps].map((f) => path.relative(ROOT, f)).sort(), [`webview/${view}/style.css`, 'webview/shared/page.css']);
  }
});

test('a missing import or an import cycle is an error naming the file', async () => {
  const cssWithImports = await load();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-css-'));
  try {
    fs.writeFileSync(path.join(dir, 'a.css'), "@import './b.css';\n.a {}\n");
    fs.writeFileSync(path.join(dir, 'b.css'), "@import './a.css';\n");
    fs.writeFileSync(path.join(dir, 'c.css'), "@import './nope.css';\n");
    fs.writeFileSync(path.join(dir, 'd.css'), "/* see @import './b.css'; */\n.d {}\n");
    assert.throws(() => cssWithImports(path.join(dir, 'a.css')), /@import cycle \(a\.css → b\.css → a\.css\)/);
    assert.throws(() => cssWithImports(path.join(dir, 'c.css')), /c\.css: @import '\.\/nope\.css' not found/);
    assert.equal(cssWithImports(path.join(dir, 'd.css')), "/* see @import './b.css'; */\n.d {}\n", 'only whole @import lines');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
