// Files imported by a webview app (esbuild.mjs): a stylesheet arrives as its text, a font as a
// data: URI.
declare module '*.css' {
  const text: string;
  export default text;
}
declare module '*.ttf' {
  const dataUrl: string;
  export default dataUrl;
}
