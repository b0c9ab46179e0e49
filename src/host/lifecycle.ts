import * as vscode from 'vscode';

let disposalErrorSink: ((err: unknown) => void) | undefined;

/**
 * Where errors thrown while disposing go: the composition root points this at the log. With no
 * sink, dispose() throws them (together) once everything is released, so none vanishes.
 */
export function onDisposalError(sink: ((err: unknown) => void) | undefined): void {
  disposalErrorSink = sink;
}

/** Owns disposables and releases them in reverse order (last registered, first disposed). */
export class Disposable implements vscode.Disposable {
  private readonly _toDispose: { dispose(): unknown }[] = [];
  private _disposed = false;

  protected get isDisposed(): boolean {
    return this._disposed;
  }

  protected _register<T extends { dispose(): unknown }>(d: T): T {
    if (this._disposed) {
      d.dispose();
    } else {
      this._toDispose.push(d);
    }
    return d;
  }

  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    const errors: unknown[] = [];
    while (this._toDispose.length) {
      try {
        this._toDispose.pop()!.dispose();
      } catch (e) {
        errors.push(e); // one failing disposable must not keep the others alive
      }
    }
    if (errors.length === 0) return;
    if (disposalErrorSink) for (const e of errors) disposalErrorSink(e);
    else throw errors.length === 1 ? errors[0] : new AggregateError(errors, `${errors.length} disposables failed`);
  }
}

export function toDisposable(fn: () => void): vscode.Disposable {
  return { dispose: fn };
}

/** A setInterval that is a Disposable. */
export function interval(ms: number, fn: () => void): vscode.Disposable {
  const handle = setInterval(fn, ms);
  return toDisposable(() => clearInterval(handle));
}

/**
 * Calls `fn` every `ms` milliseconds on wall-clock boundaries (12:00:05, 12:00:10, …), so timers
 * in different places that show the same clock tick together.
 */
export function alignedInterval(ms: number, fn: () => void): vscode.Disposable {
  let handle: ReturnType<typeof setTimeout> | undefined;
  const schedule = () => {
    handle = setTimeout(() => {
      schedule();
      fn();
    }, ms - (Date.now() % ms) + 5);
  };
  schedule();
  return toDisposable(() => clearTimeout(handle));
}
