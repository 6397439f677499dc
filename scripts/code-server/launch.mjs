/**
 * Starts a throw-away code-server (VS Code 1.100.3 in the browser, remote Node extension host) for tests and for
 * `scripts/start-vscode.mjs`, and stops it without leaving processes behind.
 *
 *   const cs = await launchCodeServer({ workspace, settings: { 'selflabel.workers': 1 } });
 *   cs.url                                  // http://127.0.0.1:PORT/
 *   cs.workbenchUrl({ folder, extensionDevelopmentPath, extensionTestsPath })   // opens VS Code with SelfLabel from source
 *   await cs.stop();
 *
 * Each server gets a free 127.0.0.1 port, a scratch HOME / XDG_* / user-data / extensions folder under the system
 * temp dir (removed on stop), `EXTENSIONS_GALLERY='{}'` (no marketplace calls), no auth, no telemetry, no update
 * check, no workspace-trust prompt (or, with `workspaceTrust: true`, trust enabled and the folder untrusted). The server runs in its own process group; stop() — and, as a safety net, this
 * process exiting or being interrupted — kills that whole group (extension host and its children included).
 * code-server must be set up first: scripts/code-server/setup.mjs.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { codeServerEntry, codeServerInstalled } from './setup.mjs';

/** Settings every test instance starts with: quiet, no prompts, nothing fetched from the internet. */
export const baseSettings = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'window.restoreWindows': 'none',
  'files.hotExit': 'off',
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

/** A free TCP port on 127.0.0.1 (the OS picks it; the server binds it a moment later). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

function get(url, timeoutMs) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

const live = new Set();
let hooksInstalled = false;
function installExitHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // Synchronous last resort: whatever is still running dies with us.
  process.on('exit', () => {
    for (const s of live) s.cleanupNow();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      for (const s of live) s.cleanupNow();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

/**
 * @typedef {object} LaunchOptions
 * @property {string} [workspace]     folder opened by default (absolute path)
 * @property {Record<string, unknown>} [settings]  user settings, merged over baseSettings
 * @property {Record<string, string>} [env]        extra environment for the server and its extension host
 * @property {number} [port]          fixed port (default: a free one)
 * @property {(line: string) => void} [onOutput]   receives the server's output lines
 * @property {number} [timeoutMs]     how long to wait for /healthz (default 60 s)
 * @property {string} [keepLogsIn]    on stop, copy the server's log here (a file path)
 * @property {boolean} [workspaceTrust] true: workspace trust is ENABLED (no --disable-workspace-trust,
 *   `security.workspace.trust.enabled: true`, no startup prompt), so a folder opens untrusted (Restricted Mode)
 *   unless trusted by hand. Default false: trust is disabled and every folder is trusted.
 * @property {string[]} [installExtensions]  .vsix files installed into the fresh extensions dir before the server
 *   starts (`code-server --install-extension F --extensions-dir E`); throws if an install fails
 */

/**
 * Launches code-server and resolves when /healthz answers.
 * @param {LaunchOptions} [opts]
 * @returns {Promise<{url: string, port: number, pid: number, scratch: string, userDataDir: string, extensionsDir: string, logFile: string,
 *   workbenchUrl: (o?: {folder?: string, extensionDevelopmentPath?: string, extensionTestsPath?: string}) => string,
 *   stop: () => Promise<void>}>}
 */
export async function launchCodeServer(opts = {}) {
  if (!codeServerInstalled()) {
    throw new Error('code-server is not set up: run `node scripts/code-server/setup.mjs` first');
  }
  installExitHooks();
  const port = opts.port ?? (await freePort());
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-cs-'));
  const dirs = {
    home: path.join(scratch, 'home'),
    config: path.join(scratch, 'xdg-config'),
    data: path.join(scratch, 'xdg-data'),
    cache: path.join(scratch, 'xdg-cache'),
    state: path.join(scratch, 'xdg-state'),
    runtime: path.join(scratch, 'xdg-runtime'),
    userData: path.join(scratch, 'user-data'),
    extensions: path.join(scratch, 'extensions'),
  };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  const trustSettings = opts.workspaceTrust
    ? {
        'security.workspace.trust.enabled': true,
        'security.workspace.trust.startupPrompt': 'never',
        'security.workspace.trust.banner': 'never',
      }
    : {};
  fs.writeFileSync(
    path.join(dirs.userData, 'User', 'settings.json'),
    JSON.stringify({ ...baseSettings, ...trustSettings, ...opts.settings }, null, 2),
  );

  const args = [
    codeServerEntry,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    ...(opts.workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--user-data-dir',
    dirs.userData,
    '--extensions-dir',
    dirs.extensions,
  ];
  if (opts.workspace) args.push(opts.workspace);
  const env = {
    ...process.env,
    HOME: dirs.home,
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    XDG_STATE_HOME: dirs.state,
    XDG_RUNTIME_DIR: dirs.runtime,
    EXTENSIONS_GALLERY: '{}',
    ...opts.env,
  };
  delete env.VSCODE_IPC_HOOK_CLI; // never talk to a VS Code we happen to run inside
  delete env.ELECTRON_RUN_AS_NODE;

  for (const vsix of opts.installExtensions ?? []) {
    const r = spawnSync(
      process.execPath,
      [codeServerEntry, '--install-extension', vsix, '--extensions-dir', dirs.extensions, '--user-data-dir', dirs.userData],
      {
        env,
        cwd: scratch,
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    if (r.status !== 0) {
      fs.rmSync(scratch, { recursive: true, force: true });
      throw new Error(
        `code-server --install-extension ${vsix} failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ''}):\n${(r.stdout ?? '') + (r.stderr ?? '')}`,
      );
    }
  }

  const logFile = path.join(scratch, 'code-server.log');
  const logFd = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, args, { env, cwd: scratch, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let exited = child.exitCode !== null;
  const exitPromise = new Promise((resolve) =>
    child.once('exit', (code, sig) => {
      exited = true;
      resolve({ code, sig });
    }),
  );
  const onData = (buf) => {
    fs.writeSync(logFd, buf);
    if (opts.onOutput) for (const line of buf.toString().split('\n')) if (line.trim()) opts.onOutput(line);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);

  const server = {
    killNow() {
      if (!exited && child.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    },
    /** Synchronous: for exit and signal hooks, where nothing async runs any more. */
    cleanupNow() {
      server.killNow();
      try {
        fs.rmSync(scratch, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
    },
  };
  live.add(server);

  let stopped = false;
  async function stop() {
    if (stopped) return;
    stopped = true;
    if (!exited && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const timer = setTimeout(() => server.killNow(), 5000);
      await exitPromise;
      clearTimeout(timer);
    }
    // The group leader is gone; make sure nothing else of the group survived (extension host, pty, watchers).
    if (child.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* nothing left */
      }
    }
    live.delete(server);
    try {
      fs.closeSync(logFd);
    } catch {
      /* closed */
    }
    if (opts.keepLogsIn) {
      fs.mkdirSync(path.dirname(opts.keepLogsIn), { recursive: true });
      fs.copyFileSync(logFile, opts.keepLogsIn);
    }
    fs.rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  }

  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (exited) {
      const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
      await stop();
      throw new Error(`code-server exited before it was ready:\n${tail}`);
    }
    if ((await get(`${url}healthz`, 1000)) === 200) break;
    if (Date.now() > deadline) {
      const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
      await stop();
      throw new Error(`code-server did not answer ${url}healthz within ${opts.timeoutMs ?? 60_000} ms:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }

  /** The workbench URL opening `folder`, optionally with an extension from source and a test suite. */
  function workbenchUrl(o = {}) {
    const remote = (p) => `vscode-remote://127.0.0.1:${port}${path.resolve(p).split(path.sep).map(encodeURIComponent).join('/')}`;
    const payload = [];
    if (o.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(o.extensionDevelopmentPath)]);
    if (o.extensionTestsPath) payload.push(['extensionTestsPath', remote(o.extensionTestsPath)]);
    const q = new URLSearchParams();
    const folder = o.folder ?? opts.workspace;
    if (folder) q.set('folder', path.resolve(folder));
    if (payload.length) q.set('payload', JSON.stringify(payload));
    return `${url}?${q.toString()}`;
  }

  return {
    url,
    port,
    pid: /** @type {number} */ (child.pid),
    scratch,
    userDataDir: dirs.userData,
    extensionsDir: dirs.extensions,
    logFile,
    workbenchUrl,
    stop,
  };
}
