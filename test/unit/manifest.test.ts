// package.json `contributes` and the code agree: every command, view and setting, all `jarvis.`.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { COMMANDS, INTERNAL_COMMANDS, PANEL_CONTAINER, TERMINAL_PROFILE, VIEW_CONTAINER, VIEW_CONTAINERS, VIEWS } from '../../src/ids';
import { ALERT_DEFAULTS } from '../../src/core/alertSettings';
import { CONFIG_DEFAULTS, RESTRICTED_SETTINGS, SETTINGS } from '../../src/host/settings';

const root = path.resolve(__dirname, '../../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const c = pkg.contributes;

describe('package.json manifest', function () {
  it('contributes exactly the commands in src/ids.ts, with the jarvis. prefix and a category', function () {
    const declared: string[] = c.commands.map((x: { command: string }) => x.command).sort();
    assert.deepStrictEqual(declared, Object.values(COMMANDS).sort());
    for (const cmd of c.commands) {
      assert.match(cmd.command, /^jarvis\.[a-zA-Z]+$/);
      assert.strictEqual(cmd.category, 'Jarvis Context', `${cmd.command} has no category`);
      assert.ok(cmd.title, `${cmd.command} has no title`);
    }
  });

  it('every command registered in src/ comes from COMMANDS', function () {
    const used = new Set<string>();
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts')) for (const m of fs.readFileSync(p, 'utf8').matchAll(/COMMANDS\.(\w+)/g)) used.add(m[1]);
      }
    };
    walk(path.join(root, 'src'));
    for (const key of Object.keys(COMMANDS)) assert.ok(used.has(key), `COMMANDS.${key} is never used`);
    const literal = fs.readFileSync(path.join(root, 'src/ids.ts'), 'utf8');
    for (const id of Object.values(COMMANDS)) assert.ok(literal.includes(`'${id}'`));
  });

  it('hides internal commands from the palette', function () {
    const hidden = c.menus.commandPalette.filter((m: { when: string }) => m.when === 'false').map((m: { command: string }) => m.command).sort();
    assert.deepStrictEqual(hidden, [...INTERNAL_COMMANDS].sort());
  });

  it('contributes the views of VIEWS in an activity bar container and a panel container, as VIEW_CONTAINERS says', function () {
    assert.deepStrictEqual(c.viewsContainers.activitybar.map((v: { id: string }) => v.id), [VIEW_CONTAINER]);
    assert.deepStrictEqual(c.viewsContainers.panel.map((v: { id: string }) => v.id), [PANEL_CONTAINER]);
    assert.deepStrictEqual(Object.keys(c.views).sort(), [VIEW_CONTAINER, PANEL_CONTAINER].sort());
    for (const [container, ids] of Object.entries(VIEW_CONTAINERS)) {
      assert.deepStrictEqual(c.views[container].map((v: { id: string }) => v.id), ids, container);
    }
    // initialSize is ignored by the workbench: the side bar holds few enough views to share it
    for (const v of Object.values<{ initialSize?: number }[]>(c.views).flat()) assert.strictEqual(v.initialSize, undefined);
    assert.ok(c.views[VIEW_CONTAINER].length <= 3, 'more than three views share the side bar');
    const views: string[] = Object.values<{ id: string }[]>(c.views).flat().map(v => v.id);
    assert.deepStrictEqual([...views].sort(), Object.values(VIEWS).sort());
    for (const v of views) assert.match(v, /^jarvis\./);
    // `debug` is Run and Debug's own view: its welcome offers the debugger.
    for (const w of c.viewsWelcome) assert.ok(views.includes(w.view) || w.view === 'debug', `welcome for unknown view ${w.view}`);
  });

  it('menus and welcome views only name known commands and views', function () {
    const ids = new Set<string>(Object.values(COMMANDS));
    for (const [menu, entries] of Object.entries<{ command: string; when?: string }[]>(c.menus)) {
      for (const e of entries) {
        assert.ok(ids.has(e.command), `${menu}: unknown command ${e.command}`);
        for (const m of (e.when ?? '').matchAll(/view == ([\w.]+)/g)) assert.ok(Object.values(VIEWS).includes(m[1] as never), `${menu}: unknown view ${m[1]}`);
      }
    }
    for (const w of c.viewsWelcome) {
      for (const m of w.contents.matchAll(/command:(jarvis\.\w+)/g)) assert.ok(ids.has(m[1]), `welcome links unknown ${m[1]}`);
    }
  });

  it('declares exactly the settings readConfig() reads, each with type, default, description and scope', function () {
    const props = c.configuration.properties;
    assert.deepStrictEqual(Object.keys(props).sort(), Object.values(SETTINGS).sort());
    const defaults: Record<string, unknown> = {
      [SETTINGS.contextPath]: CONFIG_DEFAULTS.contextPath,
      [SETTINGS.checkpointInterval]: CONFIG_DEFAULTS.checkpointIntervalSeconds,
      [SETTINGS.historySize]: CONFIG_DEFAULTS.historySize,
      [SETTINGS.imagesKeep]: CONFIG_DEFAULTS.imagesKeep,
      [SETTINGS.imagesMaxMegabytes]: CONFIG_DEFAULTS.imagesMaxMegabytes,
      [SETTINGS.staleAgentMinutes]: CONFIG_DEFAULTS.staleAgentMinutes,
      [SETTINGS.serverEnabled]: CONFIG_DEFAULTS.serverEnabled,
      [SETTINGS.serverPort]: CONFIG_DEFAULTS.serverPort,
      [SETTINGS.retentionDays]: CONFIG_DEFAULTS.retentionDays,
      [SETTINGS.otelTerminalEnvironment]: CONFIG_DEFAULTS.otelTerminalEnvironment,
      // The setting adds to the built-in price table (cost.ts), which is the effective default.
      [SETTINGS.costPrices]: {},
      [SETTINGS.alertsLoopRepeats]: CONFIG_DEFAULTS.alerts.loopRepeats,
      [SETTINGS.alertsLoopWindowSeconds]: CONFIG_DEFAULTS.alerts.loopWindowSeconds,
      [SETTINGS.alertsStalledTaskMinutes]: CONFIG_DEFAULTS.alerts.stalledTaskMinutes,
      [SETTINGS.alertsTaskTokenBudget]: CONFIG_DEFAULTS.alerts.taskTokenBudget,
      [SETTINGS.alertsAgentTokenBudget]: CONFIG_DEFAULTS.alerts.agentTokenBudget,
      [SETTINGS.alertsTaskBudgets]: CONFIG_DEFAULTS.alerts.taskBudgets,
      [SETTINGS.alertsAgentBudgets]: CONFIG_DEFAULTS.alerts.agentBudgets,
      [SETTINGS.alertsNotifications]: CONFIG_DEFAULTS.alerts.notifications,
      [SETTINGS.teamProject]: CONFIG_DEFAULTS.teamProject,
      [SETTINGS.teamSchema]: CONFIG_DEFAULTS.teamSchema,
    };
    for (const [key, p] of Object.entries<Record<string, unknown>>(props)) {
      assert.match(key, /^jarvis\./);
      assert.ok(p.type, `${key}: no type`);
      assert.ok(p.description || p.markdownDescription, `${key}: no description`);
      assert.ok(p.scope, `${key}: no scope`);
      assert.deepStrictEqual(p.default, defaults[key], `${key}: default differs from the code`);
    }
    assert.strictEqual(props['jarvis.checkpointInterval'].default, 30);
    assert.strictEqual(props['jarvis.historySize'].default, 100);
    assert.strictEqual(props['jarvis.staleAgentMinutes'].default, 5);
    assert.strictEqual(props['jarvis.server.port'].default, 0);
    // The engine's defaults (shared/API.md) and the settings' agree.
    assert.strictEqual(props['jarvis.alerts.loopRepeats'].default, ALERT_DEFAULTS.loopRepeats);
    assert.strictEqual(props['jarvis.alerts.loopWindowSeconds'].default * 1000, ALERT_DEFAULTS.loopWindowMs);
    assert.strictEqual(props['jarvis.alerts.stalledTaskMinutes'].default * 60_000, ALERT_DEFAULTS.stalledTaskMs);
  });

  it('declares limited support for untrusted workspaces, restricting every setting that says where records go', function () {
    const trust = pkg.capabilities?.untrustedWorkspaces;
    assert.ok(trust, 'capabilities.untrustedWorkspaces is not declared');
    assert.strictEqual(trust.supported, 'limited');
    assert.ok(typeof trust.description === 'string' && trust.description.length > 40, 'says what Restricted Mode leaves out');
    assert.deepStrictEqual([...trust.restrictedConfigurations].sort(), [...RESTRICTED_SETTINGS].sort());
    // A text setting a folder can set names something (a path, a command, a URL, a place to write), as does a key that says so.
    const namesSomething = /\b(path|folder|directory|file|command|url|uri|executable|program|schema|project)\b/i;
    for (const [key, p] of Object.entries<Record<string, unknown>>(c.configuration.properties)) {
      if (p.scope !== 'resource' && p.scope !== 'window' && p.scope !== 'machine-overridable' && p.scope !== 'language-overridable') continue;
      if (p.type === 'string' || (p.type !== 'object' && namesSomething.test(key))) {
        assert.ok(trust.restrictedConfigurations.includes(key), `${key} (${p.type}, scope ${p.scope}) names where things go or what runs: restrict it`);
      }
    }
  });

  it('runs the example orchestrator only in a trusted workspace', function () {
    const palette = c.menus.commandPalette.find((m: { command: string }) => m.command === COMMANDS.runExample);
    assert.strictEqual(palette?.when, 'isWorkspaceTrusted');
    for (const [menu, entries] of Object.entries<{ command: string; when?: string }[]>(c.menus)) {
      for (const e of entries.filter(x => x.command === COMMANDS.runExample)) assert.match(e.when ?? '', /(^|&& )isWorkspaceTrusted$/, menu);
    }
    for (const w of c.viewsWelcome.filter((x: { contents: string }) => x.contents.includes(`command:${COMMANDS.runExample}`))) {
      assert.match(w.when, /&& isWorkspaceTrusted$/, w.contents);
    }
    for (const wt of c.walkthroughs) {
      for (const st of wt.steps.filter((x: { description: string }) => x.description.includes(`command:${COMMANDS.runExample}`))) {
        assert.strictEqual(st.when, 'isWorkspaceTrusted', st.id);
      }
    }
  });

  it('ships the icon it names', function () {
    for (const v of c.viewsContainers.activitybar) assert.ok(fs.existsSync(path.join(root, v.icon)), v.icon);
  });

  it('has a 128×128 PNG marketplace icon, a banner and keywords', function () {
    const png = fs.readFileSync(path.join(root, pkg.icon));
    assert.strictEqual(png.toString('ascii', 1, 4), 'PNG');
    assert.deepStrictEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128]);
    assert.match(pkg.galleryBanner.color, /^#[0-9a-f]{6}$/i);
    assert.ok(['dark', 'light'].includes(pkg.galleryBanner.theme));
    assert.ok(pkg.keywords.length >= 3 && pkg.keywords.length <= 30, 'the Marketplace takes up to 30 keywords');
    assert.match(fs.readFileSync(path.join(root, 'LICENSE'), 'utf8'), /^MIT License\n\nCopyright \(c\) \d{4} The Jarvis Context authors/);
    assert.strictEqual(pkg.license, 'MIT');
  });

  it('activates only near an orchestrator: its folder, our views and commands, our terminal profile, a timeline left open', function () {
    // views and commands activate implicitly since VS Code 1.74; nothing on startup, no '*'
    assert.deepStrictEqual(pkg.activationEvents, [
      'workspaceContains:memory/context/jarvis/**', `onTerminalProfile:${TERMINAL_PROFILE}`, 'onWebviewPanel:jarvis.timeline',
      // The debugger: F5 with a jarvis configuration, and the "Debug Orchestrator" entry of Run and Debug.
      'onDebugResolve:jarvis', 'onDebugDynamicConfigurations:jarvis',
    ]);
    assert.deepStrictEqual(c.debuggers.map((d: { type: string }) => d.type), ['jarvis']);
    assert.deepStrictEqual(c.terminal.profiles.map((p: { id: string }) => p.id), [TERMINAL_PROFILE]);
  });

  it('welcome views speak plainly: no API paths, no bare setting names, one for every empty view', function () {
    for (const w of c.viewsWelcome) {
      const text = w.contents.replace(/\]\([^)]*\)/g, ']'); // the words, not the link targets
      assert.doesNotMatch(text, /\b(GET|PUT|POST) \/|\/\w+\/\{|jarvis\.[a-z]+[A-Z.]|jarvis-context env|_progress|log_decision/, `${w.view}: ${w.contents}`);
    }
    for (const view of Object.values(VIEWS)) {
      assert.ok(c.viewsWelcome.some((w: { view: string; when: string }) => w.view === view && /jarvis\.state == ready && !jarvis\.has/.test(w.when)), `${view} has no empty-state welcome`);
    }
    const agents = c.viewsWelcome.find((w: { view: string; when: string }) => w.view === VIEWS.agents && w.when.includes('!jarvis.hasAgents'));
    assert.match(agents.contents, /\n\[Run the Example Orchestrator\]\(command:jarvis\.runExample\)\n/);
  });

  it('has a walkthrough whose steps name real commands, views and media', function () {
    const [w] = c.walkthroughs;
    assert.strictEqual(w.id, 'jarvis.gettingStarted');
    const welcome = c.viewsWelcome.map((x: { contents: string }) => x.contents).join('\n');
    assert.ok(welcome.includes(encodeURIComponent(`["${pkg.publisher}.${pkg.name}#${w.id}",false]`)), 'the welcome view opens another walkthrough');
    const ids = new Set<string>(Object.values(COMMANDS));
    for (const step of w.steps) {
      for (const m of step.description.matchAll(/command:(jarvis\.\w+)/g)) assert.ok(ids.has(m[1]), `${step.id}: unknown ${m[1]}`);
      for (const e of step.completionEvents) {
        const m = /^(onCommand|onView):(.+)$/.exec(e);
        assert.ok(m && (m[1] === 'onCommand' ? ids.has(m[2]) : Object.values(VIEWS).includes(m[2] as never)), `${step.id}: ${e}`);
      }
      const media = step.media.image ?? step.media.markdown;
      assert.ok(fs.existsSync(path.join(root, media)), `${step.id}: ${media} missing`);
      if (step.media.image) assert.ok(step.media.altText, `${step.id}: no altText`);
    }
  });
});
