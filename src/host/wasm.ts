import * as vscode from 'vscode';

/** sql-wasm.wasm as shipped in dist/, read through the extension's own URI (works in remote hosts). */
export async function readWasmBytes(extensionUri: vscode.Uri): Promise<Uint8Array> {
  return vscode.workspace.fs.readFile(vscode.Uri.joinPath(extensionUri, 'dist', 'sql-wasm.wasm'));
}
