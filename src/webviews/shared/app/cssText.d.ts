// Stylesheets imported by a webview app arrive as their text (esbuild.mjs: the css loader is 'text').
declare module '*.css' {
  const text: string;
  export default text;
}
