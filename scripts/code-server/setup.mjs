#!/usr/bin/env node
/**
 * Sets up a real VS Code for the integration and end-to-end tests, offline: code-server 4.100.3 (= VS Code
 * 1.100.3, the newest release whose `engines.node` accepts Node 20) installed from the npm registry into its own
 * folder `.cache/code-server/` (git-ignored, never a dependency of the extension), plus the Debian packages it and
 * the browser tests need (`libkrb5-dev` for code-server's kerberos module, `ripgrep`, `chromium`).
 *
 * Idempotent: every step checks first and does nothing when it is already done, so a second run takes well under a
 * second. Needs only the npm registry and Debian apt: @vscode/ripgrep's postinstall (which would download from
 * GitHub) finds its tarball already in its cache, built from Debian's `rg`; node-gyp uses the local Node headers.
 * The recipe is the measured one in /work/shared/notes/vscode-offline.md.
 *
 *   node scripts/code-server/setup.mjs           # set up (prints what it did and how long each step took)
 *   node scripts/code-server/setup.mjs --check   # only report what is missing; exit 1 if anything is
 *   SELFLABEL_CODE_SERVER_DIR=/some/dir …       # install / use code-server there instead of .cache/code-server
 *
 * As a module: `await ensureCodeServer({ log })` → `{ entry, chromium, version }`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
/** @vscode/ripgrep release fetched by the @vscode/ripgrep version code-server 4.100.3 depends on. */
const RIPGREP_PREBUILT = 'v13.0.0-10';
const RIPGREP_PACKAGE_VERSIONS = ['1.15.11', '1.15.10', '1.15.9', '1.15.14'];

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where code-server is installed: .cache/code-server, or SELFLABEL_CODE_SERVER_DIR (e.g. a CI cache folder). */
export const installDir = path.resolve(process.env.SELFLABEL_CODE_SERVER_DIR || path.join(repoRoot, '.cache', 'code-server'));
export const codeServerEntry = path.join(installDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const marker = path.join(installDir, '.selflabel-setup.json');

/** The Chromium binary the Playwright tests drive (Debian's; never a downloaded browser). */
export function chromiumPath() {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (p && fs.existsSync(p)) return p;
  }
  return undefined;
}

function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

function dpkgInstalled(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/** Is code-server installed, complete, and of the right version? */
export function codeServerInstalled() {
  try {
    const m = JSON.parse(fs.readFileSync(marker, 'utf8'));
    const pkg = JSON.parse(fs.readFileSync(path.join(installDir, 'node_modules', 'code-server', 'package.json'), 'utf8'));
    return m.version === CODE_SERVER_VERSION && pkg.version === CODE_SERVER_VERSION && fs.existsSync(codeServerEntry);
  } catch {
    return false;
  }
}

/** What the apt step would install; `forInstall` adds what building code-server's native modules needs. */
function missingAptPackages(forInstall) {
  const missing = [];
  if (!chromiumPath()) missing.push('chromium');
  if (!which('rg')) missing.push('ripgrep');
  if (forInstall) {
    if (!dpkgInstalled('libkrb5-dev') && !fs.existsSync('/usr/include/gssapi/gssapi.h')) missing.push('libkrb5-dev');
    if (!which('make') || !which('g++')) missing.push('build-essential');
    if (!which('python3')) missing.push('python3');
    if (!which('tar')) missing.push('tar');
  }
  return missing;
}

function run(cmd, args, opts, log) {
  log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...opts });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').slice(-40).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}:\n${out}`);
  }
  return r;
}

function aptInstall(pkgs, log) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = isRoot ? [] : which('sudo') ? ['sudo', '-n'] : null;
  if (!sudo) {
    throw new Error(`missing Debian packages: ${pkgs.join(' ')} — run as root or install them: apt-get install ${pkgs.join(' ')}`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const [cmd, ...pre] = sudo.length ? sudo : ['apt-get'];
  const args = (rest) => (sudo.length ? [...pre, 'apt-get', ...rest] : rest);
  // Another apt/dpkg (e.g. a colleague's set-up) may hold the lock: wait for it rather than fail.
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  run(cmd, args([...lock, 'update', '-q']), { env }, log);
  run(cmd, args([...lock, 'install', '-y', '-q', '--no-install-recommends', ...pkgs]), { env }, log);
}

/** @vscode/ripgrep's target triple for this machine. */
function ripgrepTarget() {
  switch (process.arch) {
    case 'x64':
      return 'x86_64-unknown-linux-musl';
    case 'arm64':
      return 'aarch64-unknown-linux-musl';
    case 'arm':
      return 'arm-unknown-linux-gnueabihf';
    default:
      throw new Error(`no ripgrep target known for architecture ${process.arch}`);
  }
}

/** Puts Debian's rg into @vscode/ripgrep's download cache (under our private TMPDIR) so its postinstall never downloads. */
function seedRipgrepCache(tmpDir, log) {
  const rg = which('rg');
  if (!rg) throw new Error('ripgrep (rg) is not installed; apt-get install ripgrep');
  const stage = fs.mkdtempSync(path.join(tmpDir, 'rg-stage-'));
  fs.copyFileSync(rg, path.join(stage, 'rg'));
  fs.chmodSync(path.join(stage, 'rg'), 0o755);
  const name = `ripgrep-${RIPGREP_PREBUILT}-${ripgrepTarget()}.tar.gz`;
  for (const v of RIPGREP_PACKAGE_VERSIONS) {
    const dir = path.join(tmpDir, `vscode-ripgrep-cache-${v}`);
    fs.mkdirSync(dir, { recursive: true });
    const tarball = path.join(dir, name);
    if (!fs.existsSync(tarball)) run('tar', ['-czf', tarball, '-C', stage, 'rg'], {}, () => {});
  }
  fs.rmSync(stage, { recursive: true, force: true });
  log(`seeded ripgrep cache with ${rg} as ${name}`);
}

function installCodeServer(log) {
  fs.mkdirSync(installDir, { recursive: true });
  const tmpDir = path.join(installDir, 'tmp');
  fs.mkdirSync(tmpDir, { recursive: true });
  seedRipgrepCache(tmpDir, log);
  const pkgJson = path.join(installDir, 'package.json');
  if (!fs.existsSync(pkgJson)) {
    fs.writeFileSync(
      pkgJson,
      JSON.stringify(
        { name: 'selflabel-code-server', private: true, description: 'code-server for SelfLabel tests (scripts/code-server/setup.mjs)' },
        null,
        2,
      ),
    );
  }
  const env = {
    ...process.env,
    TMPDIR: tmpDir,
    npm_config_unsafe_perm: 'true',
    npm_config_yes: 'true',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_update_notifier: 'false',
  };
  // node-gyp must build against the local headers instead of downloading them.
  const nodeDir = path.resolve(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(nodeDir, 'include', 'node', 'node.h'))) env.npm_config_nodedir = nodeDir;
  else log(`warning: no Node headers under ${nodeDir}/include/node; node-gyp may try to download them`);
  const npm = which('npm') ?? 'npm';
  const logFile = path.join(installDir, 'install.log');
  log(
    `installing code-server@${CODE_SERVER_VERSION} into ${path.relative(repoRoot, installDir)} (log: ${path.relative(repoRoot, logFile)})`,
  );
  const r = spawnSync(npm, ['install', '--no-save', '--no-package-lock', '--loglevel=http', `code-server@${CODE_SERVER_VERSION}`], {
    cwd: installDir,
    env,
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  });
  fs.writeFileSync(logFile, `${r.stdout ?? ''}\n${r.stderr ?? ''}`);
  if (r.status !== 0 || !fs.existsSync(codeServerEntry)) {
    const tail = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').slice(-40).join('\n');
    throw new Error(
      `npm install code-server@${CODE_SERVER_VERSION} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${tail}`,
    );
  }
  // If some @vscode/ripgrep copy ended up without its binary, give it Debian's rg.
  for (const bin of findRipgrepBinDirs(path.join(installDir, 'node_modules'))) {
    const rgBin = path.join(bin, 'rg');
    if (!fs.existsSync(rgBin)) {
      fs.mkdirSync(bin, { recursive: true });
      fs.copyFileSync(which('rg'), rgBin);
      fs.chmodSync(rgBin, 0o755);
      log(`placed Debian rg at ${path.relative(repoRoot, rgBin)}`);
    }
  }
  fs.rmSync(tmpDir, { recursive: true, force: true });
  fs.writeFileSync(
    marker,
    JSON.stringify({ version: CODE_SERVER_VERSION, installedAt: new Date().toISOString(), node: process.version }, null, 2),
  );
}

function findRipgrepBinDirs(nodeModules, depth = 0, out = []) {
  if (depth > 6 || !fs.existsSync(nodeModules)) return out;
  const rg = path.join(nodeModules, '@vscode', 'ripgrep');
  if (fs.existsSync(path.join(rg, 'package.json'))) out.push(path.join(rg, 'bin'));
  for (const name of fs.readdirSync(nodeModules)) {
    const scoped = name.startsWith('@') ? fs.readdirSync(path.join(nodeModules, name)).map((n) => path.join(name, n)) : [name];
    for (const n of scoped) {
      const nested = path.join(nodeModules, n, 'node_modules');
      if (fs.existsSync(nested)) findRipgrepBinDirs(nested, depth + 1, out);
    }
  }
  // code-server keeps VS Code's own dependencies under lib/vscode.
  if (depth === 0) {
    const vs = path.join(nodeModules, 'code-server', 'lib', 'vscode', 'node_modules');
    if (fs.existsSync(vs)) findRipgrepBinDirs(vs, depth + 1, out);
  }
  return out;
}

/**
 * Makes sure everything is there; installs what is missing. Returns the code-server entry script and Chromium path.
 * @param {{ log?: (msg: string) => void, browser?: boolean }} [opts] browser: also require Chromium (default true)
 */
export async function ensureCodeServer(opts = {}) {
  const log = opts.log ?? ((m) => console.log(`[setup] ${m}`));
  const t0 = performance.now();
  const lap = (what, since) => log(`${what}: ${((performance.now() - since) / 1000).toFixed(1)} s`);
  const needInstall = !codeServerInstalled();
  const apt = missingAptPackages(needInstall).filter((p) => opts.browser !== false || p !== 'chromium');
  if (apt.length > 0) {
    const t = performance.now();
    log(`apt packages missing: ${apt.join(' ')}`);
    aptInstall(apt, log);
    lap('apt-get', t);
  }
  if (needInstall) {
    const t = performance.now();
    installCodeServer(log);
    lap(`code-server@${CODE_SERVER_VERSION} install`, t);
  }
  const chromium = chromiumPath();
  if (opts.browser !== false && !chromium) throw new Error('Chromium is not installed (apt-get install chromium)');
  lap(apt.length || needInstall ? 'setup total' : 'already set up; check', t0);
  return { entry: codeServerEntry, chromium, version: CODE_SERVER_VERSION };
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  if (process.argv.includes('--check')) {
    const missing = [
      ...missingAptPackages(!codeServerInstalled()),
      ...(codeServerInstalled() ? [] : [`code-server@${CODE_SERVER_VERSION}`]),
    ];
    console.log(missing.length ? `missing: ${missing.join(', ')}` : 'code-server and Chromium are ready');
    process.exit(missing.length ? 1 : 0);
  }
  try {
    const r = await ensureCodeServer();
    console.log(`[setup] code-server ${r.version}: ${path.relative(repoRoot, r.entry)}; chromium: ${r.chromium}`);
  } catch (e) {
    console.error(`[setup] failed: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  }
}
