// Composition root; filled in by the extension work (issue 4).
export function activate(): void {}
export function deactivate(): void {}
