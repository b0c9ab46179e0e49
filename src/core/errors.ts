// Errors the engine throws on purpose. The server maps them to HTTP statuses; the CLI and the
// extension show their messages as they are, so each says what went wrong and what to do.

export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  /** `problem` says what is wrong with the field, without its name ("must be a string"). */
  constructor(readonly field: string, readonly problem: string) {
    super(`${field}: ${problem}`);
  }
}

/** The record a request names does not exist (a 404 over HTTP); nothing was changed. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(readonly field: string | undefined, message: string) {
    super(field ? `${field}: ${message}` : message);
  }
}

/** The store cannot make a write durable; the write was not acknowledged and is not applied. */
export class PersistenceError extends Error {
  override readonly name = 'PersistenceError';
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}

/** Another live process owns the storage folder. */
export class SecondWriterError extends Error {
  override readonly name = 'SecondWriterError';
  constructor(readonly folder: string, readonly owner: { pid: number; host: string; started_at: string }) {
    super(
      `Another Jarvis Context process (pid ${owner.pid} on ${owner.host}, started ${owner.started_at}) ` +
        `owns ${folder}. Stop it, or use another folder; two writers would corrupt the history.`,
    );
  }
}

export class EngineClosedError extends Error {
  override readonly name = 'EngineClosedError';
  constructor() {
    super('The context engine is closed.');
  }
}
