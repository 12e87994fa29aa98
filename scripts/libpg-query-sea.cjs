// Bundled by scripts/package.mjs in place of libpg-query's Emscripten loader: the same loader,
// given the WebAssembly from the single executable's asset `libpg-query.wasm` (the loader would
// read it from a file beside itself, which the executable does not have). The loader honours
// `instantiateWasm` (it ignores `wasmBinary`).
const factory = require('pgharden:libpg-query-factory');
const { getAsset } = require('node:sea');

function withAsset(moduleArg = {}) {
  return factory({
    ...moduleArg,
    instantiateWasm(imports, done) {
      WebAssembly.instantiate(getAsset('libpg-query.wasm'), imports).then((r) => done(r.instance));
      return {};
    },
  });
}
module.exports = withAsset;
module.exports.default = withAsset;
