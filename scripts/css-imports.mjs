// The webviews' CSS is bundled as text (scripts/build.mjs, injected with a nonce): an `@import '<relative path>';`
// line (a whole line) is replaced by that file's text, recursively, so that the views share webview/shared/page.css
// and the order of the cascade is the order of the lines. Used by the build and by test/unit/webviewCss.test.ts.
import fs from 'node:fs';
import path from 'node:path';

/** The text of CSS file `file` with its `@import` lines inlined; `deps` collects every file read (for watch mode). */
export function cssWithImports(file, deps = new Set(), chain = []) {
  if (chain.includes(file)) throw new Error(`${file}: @import cycle (${[...chain, file].map((f) => path.basename(f)).join(' → ')})`);
  deps.add(file);
  const text = fs.readFileSync(file, 'utf8');
  return text.replace(/^@import\s+['"]([^'"]+)['"]\s*;[ \t]*$/gm, (_, spec) => {
    const target = path.resolve(path.dirname(file), spec);
    if (!fs.existsSync(target)) throw new Error(`${file}: @import '${spec}' not found`);
    return cssWithImports(target, deps, [...chain, file]).trimEnd();
  });
}
