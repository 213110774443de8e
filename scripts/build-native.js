#!/usr/bin/env node
// npm install hook (and `npm run build:native`): builds the libpcap addon in native/ with node-gyp
// when libpcap's headers are present. Never fails the install: without libpcap-dev (or a compiler),
// reading and printing still work, and filters and live capture say what to install.
//
// The machine may be offline: node headers come from npm's configured nodedir (npm passes it to
// install scripts as npm_config_nodedir), falling back to the headers next to the running node.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const nativeDir = path.join(root, 'native');

function warn(msg) {
  process.stderr.write(`portscope: warning: ${msg}; filters and live capture are disabled (apt-get install libpcap-dev, then npm rebuild)\n`);
  process.exit(0);
}

function haveLibpcapHeaders() {
  const dirs = ['/usr/include', '/usr/local/include', '/opt/homebrew/include'];
  if (process.env.CPATH) dirs.unshift(...process.env.CPATH.split(':').filter(Boolean));
  return dirs.some((d) => fs.existsSync(path.join(d, 'pcap', 'pcap.h'))); // what native/src includes
}

/** node-gyp: a local install, else the one bundled with npm. */
function findNodeGyp() {
  const tries = [];
  try {
    tries.push(require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] }));
  } catch {
    /* not installed locally */
  }
  if (process.env.npm_execpath) {
    tries.push(path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  tries.push(path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return tries.find((f) => fs.existsSync(f));
}

/** Directory holding include/node/node_api.h: npm's nodedir, else the running node's prefix. */
function findNodeDir() {
  const fromNpm = process.env.npm_config_nodedir;
  if (fromNpm && fs.existsSync(path.join(fromNpm, 'include', 'node', 'node_api.h'))) return fromNpm;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) return prefix;
  return fromNpm || undefined;
}

if (process.env.PORTSCOPE_SKIP_NATIVE) warn('PORTSCOPE_SKIP_NATIVE is set, not building the libpcap addon');
if (!haveLibpcapHeaders()) warn('libpcap headers (pcap/pcap.h) not found, not building the libpcap addon');
const gyp = findNodeGyp();
if (!gyp) warn('node-gyp not found, not building the libpcap addon');

const args = [gyp, 'rebuild'];
const nodedir = findNodeDir();
if (nodedir) args.push(`--nodedir=${nodedir}`);
const quiet = !process.argv.includes('--verbose');
const r = spawnSync(process.execPath, args, {
  cwd: nativeDir,
  stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
  encoding: 'utf8',
});
if (r.status !== 0) {
  if (quiet) process.stderr.write(`${r.stdout || ''}${r.stderr || ''}`.split('\n').filter((l) => !l.startsWith('gyp info')).join('\n') + '\n');
  warn(`building the libpcap addon failed (node-gyp exit ${r.status})`);
}
process.stdout.write(`portscope: built native/build/Release/portscope.node\n`);
