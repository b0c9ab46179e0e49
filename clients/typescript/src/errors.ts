// The one error the client throws: the API's `{ error: { code, message } }` with the HTTP status,
// or a client-side code (status 0) when no answer came back.

/** Codes the client sets itself, when the server gave no usable answer. */
export type ClientErrorCode = 'no_endpoint' | 'unreachable' | 'timeout' | 'bad_response' | 'bad_request';

export class JarvisContextError extends Error {
  override readonly name: string = 'JarvisContextError';
  constructor(
    /** HTTP status; 0 when there was no answer (see `code`). */
    readonly status: number,
    /** The API's error code (`bad_request`, `unauthorized`, ...) or a ClientErrorCode. */
    readonly code: string,
    message: string,
    readonly method?: string,
    readonly path?: string,
    /** The field a 400 names, when the API says which. */
    readonly field?: string,
  ) {
    super(method && path ? `${method} ${path}: ${message} (${status || code})` : message);
  }

  /** True when the server could not be reached at all: the write was not acknowledged. */
  get unreachable(): boolean {
    return this.status === 0 && (this.code === 'unreachable' || this.code === 'no_endpoint');
  }
}

/** Bad input, refused before anything was sent or spooled; `field` names the culprit. */
export class JarvisContextValidationError extends JarvisContextError {
  override readonly name = 'JarvisContextValidationError';
  constructor(field: string, message: string) {
    super(400, 'bad_request', `${field}: ${message}`, undefined, undefined, field);
  }
}

/**
 * The debugger stopped the run (Stop while this call was held at a breakpoint). The write itself
 * was stored; catch this to end the run cleanly. Only the held call raises: later calls work, so
 * the orchestrator can still record how it stopped.
 */
export class RunCancelled extends Error {
  override readonly name = 'RunCancelled';
  constructor(readonly holdId: string, method?: string, path?: string) {
    super(`the debugger stopped the run at hold ${holdId}${method && path ? ` (${method} ${path})` : ''}`);
  }
}
