/** CSS files are bundled as text by scripts/build.mjs (`loader: {'.css': 'text'}`) and injected with a nonce. */
declare module '*.css' {
  const css: string;
  export default css;
}
