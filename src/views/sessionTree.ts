import * as vscode from 'vscode';
import type { ContextEngineApi } from '../core/engineApi';
import type { ChangeKind } from '../core/types';
import { ChangeBatch } from '../host/changes';
import { AGE_STEP_MS } from '../format';
import { alignedInterval, Disposable } from '../host/lifecycle';
import { errorWithStack } from '../core/errorText';
import { SerialQueue } from '../core/serialQueue';
import type { Sessions } from '../host/sessions';

export const RECOVERING_MESSAGE = 'Recovering after a crash…';

export interface TreeNode {
  readonly key: string;
}

export interface LoadedModel {
  /** Changes when nodes were added, removed or reordered: the whole tree repaints. */
  structure: string;
  /** One signature per node key: a node whose signature changed repaints alone. */
  signatures: Map<string, string>;
}

/**
 * A tree over the current session's engine. Data is loaded when the engine reports a change of one
 * of `kinds` (debounced by the session); `getChildren` only reads what was loaded. Node objects
 * are kept per key so `fire(node)` repaints just that node.
 */
export abstract class SessionTree<N extends TreeNode> extends Disposable implements vscode.TreeDataProvider<N> {
  protected readonly _onDidChangeTreeData = this._register(new vscode.EventEmitter<N | N[] | undefined>());
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private structure: string | undefined;
  private signatures = new Map<string, string>();
  private readonly nodes = new Map<string, N>();
  private readonly loading = new SerialQueue();
  private queued = false;
  private _loaded = 0;
  private ticker: vscode.Disposable | undefined;
  /** Views that show ages ("20 s ago") set this: they reload on the age clock while visible. */
  protected readonly showsAges: boolean = false;

  constructor(protected readonly sessions: Sessions, private readonly kinds: ChangeKind[], private readonly log: vscode.LogOutputChannel) {
    super();
    this._register(sessions.onDidChange(({ session, batch }) => {
      if (session === sessions.current) this.update(batch);
    }));
    this._register(sessions.onDidChangeCurrent(() => this.update(ChangeBatch.everything())));
    this.update(ChangeBatch.everything());
  }

  /**
   * Binds the provider to its tree view. A view that shows ages reloads on the shared age clock
   * while it is visible (nodes whose text did not change are not repainted), and not at all while
   * it is hidden or collapsed; it catches up as soon as it shows again.
   */
  attach(view: vscode.TreeView<N>): this {
    const sync = (visible: boolean) => {
      if (!this.showsAges || visible === !!this.ticker) return;
      if (visible) {
        this.ticker = alignedInterval(AGE_STEP_MS, () => this.update(ChangeBatch.everything()));
        this.update(ChangeBatch.everything());
      } else {
        this.ticker?.dispose();
        this.ticker = undefined;
      }
    };
    this._register(view.onDidChangeVisibility(e => sync(e.visible)));
    this._register({ dispose: () => sync(false) });
    sync(view.visible);
    // While the current folder's store recovers from a crash the view says so; its rows come as
    // soon as the store is loaded.
    let saying = false;
    const say = () => {
      const recovering = this.sessions.current?.state === 'recovering';
      if (recovering === saying) return;
      saying = recovering;
      // Cleared once the rows of the loaded store are in: the view is never empty in between.
      if (recovering) view.message = RECOVERING_MESSAGE;
      else void this.whenIdle().then(() => { if (!saying) view.message = undefined; });
    };
    this._register(this.sessions.onDidChange(say));
    this._register(this.sessions.onDidChangeCurrent(say));
    say();
    return this;
  }

  /** Whether the age clock is running (tests). */
  get ticking(): boolean {
    return !!this.ticker;
  }

  protected get engine(): ContextEngineApi | undefined {
    return this.sessions.current?.engine;
  }

  /** Resolves once every update asked for so far has been loaded and announced (used by tests). */
  whenIdle(): Promise<void> {
    return this.loading.idle();
  }

  /** How many loads have completed (tests wait for a change to arrive). */
  get loadCount(): number {
    return this._loaded;
  }

  update(batch: ChangeBatch): void {
    if (!batch.has(...this.kinds)) return;
    // A load queued and not started yet will read what this batch changed: changes arriving faster
    // than a load takes must not pile loads up.
    if (this.queued) return;
    this.queued = true;
    this.loading.run(() => {
      this.queued = false;
      return this.reload();
    }).catch(err => {
      this.log.error(`[views] ${this.constructor.name} failed to load: ${errorWithStack(err)}`);
    });
  }

  private async reload(): Promise<void> {
    const model = await this.load(this.engine);
    this._loaded++;
    const prev = this.signatures;
    this.signatures = model.signatures;
    if (model.structure !== this.structure) {
      this.structure = model.structure;
      for (const key of [...this.nodes.keys()]) if (!model.signatures.has(key)) this.nodes.delete(key);
      this._onDidChangeTreeData.fire(undefined);
      return;
    }
    const changed: N[] = [];
    for (const [key, sig] of model.signatures) {
      const node = this.nodes.get(key);
      if (node && prev.get(key) !== sig) changed.push(node);
    }
    if (changed.length) this._onDidChangeTreeData.fire(changed);
  }

  /** The same object for the same key, so the tree can match a repaint to its element. */
  protected node(key: string, create: () => N): N {
    let n = this.nodes.get(key);
    if (!n) this.nodes.set(key, (n = create()));
    return n;
  }

  protected abstract load(engine: ContextEngineApi | undefined): Promise<LoadedModel>;
  abstract getTreeItem(element: N): vscode.TreeItem;
  abstract getChildren(element?: N): N[];
  getParent(_element: N): N | undefined {
    return undefined;
  }
}
