/**
 * The URL of the package's WebAssembly module, as a bundler's file loader gives it (esbuild
 * `--loader:.wasm=file`): pass it to `init({ module_or_path })` when the bundle does not sit
 * next to `nudge_edge_bg.wasm`.
 */
declare const url: string;
export default url;
