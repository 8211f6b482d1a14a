// The one place the bundle takes the `vscode` module from (esbuild.mjs sends every other
// `import … from 'vscode'` here). esbuild gives each file that imports a CommonJS module its own
// ES-module view of it, copying every property: for the `vscode` API, imported by some 80 files,
// that was about 30 ms of every activation (bench/treeBench.ts profile). Re-exported from here, the
// copy is made once.
export * from 'vscode';
