#!/usr/bin/env node
// npm install hook: builds the libpcap addon when libpcap's headers are present. Never fails the
// install: without libpcap-dev, reading and printing still work and filters/live capture say what
// to install. TODO(native): implement.
process.exit(0);
