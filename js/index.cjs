// Node (CommonJS): the functions are ready on require; the wasm loads synchronously.
module.exports = require('./pkg/node/nudge_edge.js');
