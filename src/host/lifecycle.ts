import * as vscode from 'vscode';

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
    while (this._toDispose.length) {
      try {
        this._toDispose.pop()!.dispose();
      } catch {
        // one failing disposable must not keep the others alive
      }
    }
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
