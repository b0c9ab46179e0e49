// Help texts of `jarvis-context` and each of its commands.

const PATH_HELP = `  --path DIR         storage folder (default: $JARVIS_CONTEXT_PATH, else ./memory/context/jarvis)`;

export const USAGE = `Usage: jarvis-context <command> [options]

Crash-proof memory of an AI agent orchestrator, from a terminal.

Commands:
  serve       run the REST server on a storage folder until SIGINT/SIGTERM
  status      show session, checkpoint and record counts
  checkpoint  take a checkpoint now (kept as a recovery point)
  recover     recover a folder whose writer died; print the report's path
  report      print the latest recovery report
  export      write everything (context, tables) as JSON
  cleanup     remove history older than N days (recovery points are kept)
  env         print shell lines setting JARVIS_CONTEXT_URL, _TOKEN, _PATH and OTEL_*

Commands other than serve talk to the server when one owns the folder (endpoint.json),
and open the folder directly otherwise.

Run 'jarvis-context <command> --help' for a command's options.
Exit status: 0 done, 1 failed, 2 wrong usage.
`;

export const COMMAND_HELP: Record<string, string> = {
  serve: `Usage: jarvis-context serve [--path DIR] [--port N] [--database-url-file FILE --project NAME [--schema S]] [watchdog options]

Opens the storage folder (recovering it if its last writer crashed), serves the REST API on
127.0.0.1 and writes endpoint.json (url, token, pid) into the folder. The same port takes
OpenTelemetry traces (OTLP/HTTP, POST /v1/traces; see 'env'). SIGINT or SIGTERM shut down
cleanly: requests in flight finish, then a final checkpoint.

${PATH_HELP}
  --port N           port (default: $JARVIS_CONTEXT_PORT, else the folder's previous port when
                     free, else any free port)
  --database-url-file FILE
                     team mode: also replicate every acknowledged write to the PostgreSQL
                     whose URL this file holds (postgres://user:password@host:5432/db?sslmode=require;
                     keep it chmod 600; default $JARVIS_CONTEXT_DATABASE_URL). Writes never wait for it.
  --database-url URL the same, the URL given here: a password in it shows in the process list
                     until the server has started (it warns); prefer the file or the variable.
  --project NAME     the team project this folder belongs to (default $JARVIS_CONTEXT_PROJECT)
  --schema S         PostgreSQL schema of the tables (default $JARVIS_CONTEXT_SCHEMA, else jarvis_context)

Watchdogs (GET /alerts); each flag overrides its environment variable:
  --no-alerts                    no watchdog at all (JARVIS_ALERTS=0)
  --stale-agent-minutes N        a busy agent not seen for N min is stuck (JARVIS_STALE_AGENT_MINUTES, 5)
  --loop-repeats N               the same call or message N times is a loop (JARVIS_ALERT_LOOP_REPEATS, 5)
  --loop-window-seconds S        ... within S seconds (JARVIS_ALERT_LOOP_WINDOW_SECONDS, 120)
  --stalled-task-minutes M       an in-progress task without progress for M min is stalled
                                 (JARVIS_ALERT_STALLED_TASK_MINUTES, 15)
  --task-token-budget N          tokens any one task may use, 0 none (JARVIS_ALERT_TASK_TOKEN_BUDGET, 0)
  --agent-token-budget N         tokens any one agent may use, 0 none (JARVIS_ALERT_AGENT_TOKEN_BUDGET, 0)

Environment: JARVIS_CHECKPOINT_INTERVAL (s), JARVIS_CONTEXT_HISTORY_SIZE, JARVIS_CONTEXT_IMAGES
(database images kept under checkpoints/, default 3) and JARVIS_CONTEXT_IMAGES_MB (their total
size, default 256; the newest is always kept). What one OTLP export may hold (README,
"OpenTelemetry"): JARVIS_OTLP_MAX_SPANS (20000), JARVIS_OTLP_MAX_ATTRIBUTES (128),
JARVIS_OTLP_MAX_EVENTS (128), JARVIS_OTLP_MAX_VALUE_LENGTH (1048576), JARVIS_OTLP_MAX_DEPTH (16).
`,
  status: `Usage: jarvis-context status [--path DIR]

Prints the status as JSON: session, last checkpoint, record counts, persistence state.

${PATH_HELP}
`,
  checkpoint: `Usage: jarvis-context checkpoint [--path DIR] [--label L]

Takes a manual checkpoint, kept as a recovery point, and prints it as JSON. It stores what
changed in the context since the previous checkpoint (nothing, if unchanged) by one durable write;
any checkpoint still opens as the whole state of its moment.

${PATH_HELP}
  --label L          a name for it (optional)
`,
  recover: `Usage: jarvis-context recover [--path DIR]

Recovers a folder whose writer is gone (opening it replays the journal and writes a recovery
report) and prints the report's path. When nothing crashed, or a server owns the folder, runs
the recovery analysis now and prints that report's path.

${PATH_HELP}
`,
  report: `Usage: jarvis-context report [--path DIR] [--format md|json]

Prints the latest recovery report (Markdown by default). Exits with 1 when there is none.

${PATH_HELP}
  --format md|json   output format (default md)
`,
  export: `Usage: jarvis-context export [--path DIR] [--out FILE]

Writes the context and every table as JSON to FILE, or to stdout.

${PATH_HELP}
  --out FILE         where to write (default: stdout)
`,
  cleanup: `Usage: jarvis-context cleanup --older-than-days N [--dry-run] [--path DIR]

Removes decisions, messages, task history and snapshots older than N days, and the database
images under checkpoints/ beyond the retention (JARVIS_CONTEXT_IMAGES, JARVIS_CONTEXT_IMAGES_MB).
Recovery points are kept, with every older snapshot their deltas need. Prints what was (or, with
--dry-run, would be) removed.

${PATH_HELP}
  --older-than-days N  age limit in days (required)
  --dry-run            only count
`,
  env: `Usage: jarvis-context env [--path DIR]

Prints 'export JARVIS_CONTEXT_URL=...', 'export JARVIS_CONTEXT_TOKEN=...' and
'export JARVIS_CONTEXT_PATH=...' (the folder, absolute) for the server that owns the folder,
and the OTEL_EXPORTER_OTLP_* and OTEL_SEMCONV_STABILITY_OPT_IN lines that
send an OpenTelemetry SDK's traces to it (POST /v1/traces), for eval in a shell:
eval "$(jarvis-context env)". Exits with 1 when no server is running.

${PATH_HELP}
`,
};
