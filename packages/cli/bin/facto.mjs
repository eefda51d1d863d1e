#!/usr/bin/env node
// The `facto` command. Everything lives in main() (tested in-process); this file only binds it to
// the real process. exitCode rather than process.exit(), so pending output is flushed first.
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
