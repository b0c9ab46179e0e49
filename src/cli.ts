#!/usr/bin/env node
// jarvis-context command line; filled in with the REST server work.
process.stdout.write('jarvis-context: not built yet\n');
