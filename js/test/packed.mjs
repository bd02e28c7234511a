// The npm package as users install it, for the tests that need it so: `npm pack` on js/, the
// tarball installed into an empty project in a temporary folder. Needs the built package
// (`bash js/scripts/build.sh`).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const exec = promisify(execFile);
export const pkgDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The root dev tooling (typescript, esbuild, playwright-core, Segment's SDKs). */
export const rootModules = path.join(pkgDir, '..', 'node_modules');

/** Runs a command; its output, or a failure that shows it. */
export async function runIn(cwd, file, args) {
  try {
    return (await exec(file, args, { cwd, maxBuffer: 16 << 20 })).stdout;
  } catch (e) {
    assert.fail(`${file} ${args.join(' ')} failed:\n${e.stdout}\n${e.stderr}`);
  }
}

/**
 * Packs the package and installs the tarball into a fresh project: `{ app, files, write,
 * remove }`, where `files` are the tarball's paths, `write(files)` writes name → text into the
 * project and `remove()` deletes it all.
 */
export async function installPacked() {
  assert.ok(existsSync(path.join(pkgDir, 'pkg/web/nudge_edge_bg.wasm')), 'build the package first: bash js/scripts/build.sh');
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'nudge-edge-pack-'));
  const [packed] = JSON.parse(await runIn(pkgDir, 'npm', ['pack', '--json', '--pack-destination', tmp]));
  const app = path.join(tmp, 'app');
  const write = async (files) => {
    for (const [name, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(app, name)), { recursive: true });
      await writeFile(path.join(app, name), text);
    }
  };
  await write({ 'package.json': JSON.stringify({ name: 'app', version: '1.0.0', private: true }) });
  // The tarball has no dependencies: nothing is fetched.
  await runIn(app, 'npm', ['install', '--offline', '--no-audit', '--no-fund', path.join(tmp, packed.filename)]);
  return { app, files: packed.files.map((f) => f.path).sort(), write, remove: () => rm(tmp, { recursive: true, force: true }) };
}
