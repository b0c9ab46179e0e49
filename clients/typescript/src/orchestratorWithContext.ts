// Two ways to give an orchestrator a crash-proof memory, as in the seed:
//   const jarvis = new JarvisOrchestratorWithContext(orchestrator);  // wrap an existing instance
//   @integrateContextManager class MyOrchestrator { ... }             // or decorate the class
import type { ContextView } from './types.js';
import { ContextStatus, JarvisContextManager } from './contextManager.js';
import { ContextHooksOptions, contextManagerOf, instrument, managerFor, resumeCalls } from './orchestratorHooks.js';

class OrchestratorContextWrapper<T extends object> {
  readonly contextManager: JarvisContextManager;

  constructor(readonly orchestrator: T, options: ContextHooksOptions = {}) {
    this.contextManager = managerFor(options);
    instrument(orchestrator, this.contextManager, options.orchestratorId);
    // Everything the wrapper does not define is the orchestrator's, as the seed's __getattr__.
    return new Proxy(this, {
      get(wrapper, prop, receiver) {
        if (prop in wrapper) return Reflect.get(wrapper, prop, receiver);
        const value = Reflect.get(orchestrator, prop);
        return typeof value === 'function' ? value.bind(orchestrator) : value;
      },
      set(wrapper, prop, value) {
        return prop in wrapper ? Reflect.set(wrapper, prop, value) : Reflect.set(orchestrator, prop, value);
      },
      has: (wrapper, prop) => prop in wrapper || prop in orchestrator,
    });
  }

  getContextStatus(): Promise<ContextStatus> {
    return this.contextManager.getContextStatus();
  }

  manualCheckpoint(label: string): Promise<{ checkpoint_id: number } | undefined> {
    return this.contextManager.markRecoveryPoint(label);
  }

  restoreContext(): Promise<ContextView | undefined> {
    return this.contextManager.restoreContext();
  }

  /**
   * The seed's start: reads the context back and, when the orchestrator has them, calls
   * resumeTask(currentTask) (or resume_task) for the task it was assigning if that is not
   * finished, and pingAgent(agentId) (or ping_agent) for each stale agent. Undefined when the
   * server is unreachable.
   */
  async resume(): Promise<ContextView | undefined> {
    const view = await this.contextManager.restoreContext();
    if (!view) return undefined;
    const o = this.orchestrator as Record<string, unknown>;
    for (const [name, arg] of resumeCalls(view)) {
      const fn = o[name] ?? o[name === 'resumeTask' ? 'resume_task' : 'ping_agent'];
      if (typeof fn === 'function') await (fn as (a: unknown) => unknown).call(this.orchestrator, arg);
    }
    return view;
  }

  /** Resolves once the records of calls made so far have been sent. */
  flush(): Promise<void> {
    return this.contextManager.flush();
  }

  dispose(): void {
    this.contextManager.dispose();
  }
}

export type JarvisOrchestratorWithContext<T extends object> = OrchestratorContextWrapper<T> & T;

/**
 * Wraps an orchestrator instance: its assignTask / receiveMessage / makeDecision / handleError are
 * recorded before and after they run (patched on the instance itself, so direct calls are recorded
 * too); every other member is reachable through the wrapper.
 */
export const JarvisOrchestratorWithContext = OrchestratorContextWrapper as unknown as {
  new <T extends object>(orchestrator: T, options?: ContextHooksOptions): JarvisOrchestratorWithContext<T>;
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Class = abstract new (...args: any[]) => object;

/**
 * Class decorator (TypeScript 5 standard decorators), also usable as a plain function:
 *   @integrateContextManager class A {}                  integrateContextManager(A)
 *   @integrateContextManager({ url, token }) class B {}  integrateContextManager({ ... })(B)
 * Each instance records its hooked methods; contextManagerOf(instance) gives its manager.
 */
export function integrateContextManager<C extends Class>(target: C, context?: ClassDecoratorContext<C>): C;
export function integrateContextManager(options: ContextHooksOptions): <C extends Class>(target: C, context?: ClassDecoratorContext<C>) => C;
export function integrateContextManager<C extends Class>(
  targetOrOptions: C | ContextHooksOptions,
  _context?: ClassDecoratorContext<C>,
): C | (<D extends Class>(target: D, context?: ClassDecoratorContext<D>) => D) {
  if (typeof targetOrOptions === 'function') return decorate(targetOrOptions, {});
  const options = targetOrOptions;
  return <D extends Class>(target: D) => decorate(target, options);
}

function decorate<C extends Class>(target: C, options: ContextHooksOptions): C {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const Base = target as unknown as new (...args: any[]) => object;
  const Decorated = class extends Base {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    constructor(...args: any[]) {
      super(...args);
      // Instance-level, after the base constructor: overrides in further subclasses are hooked too.
      instrument(this, managerFor(options), options.orchestratorId);
    }
  };
  Object.defineProperty(Decorated, 'name', { value: target.name });
  return Decorated as unknown as C;
}

export { contextManagerOf };
