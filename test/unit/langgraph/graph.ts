// The graph of the LangGraph drills: three nodes, a tool node, a conditional edge (to the tool
// and, in parallel, an audit node), and a subgraph. Each node notes in the effects file that it
// ran, so a test sees what ran twice; a node named by `hold` waits for `<effects>.go` to exist.
import * as fs from 'fs';
import { AIMessage, type BaseMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { Annotation, END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { ToolNode } from '@langchain/langgraph/prebuilt';

const State = Annotation.Root({
  ...MessagesAnnotation.spec,
  log: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

export interface GraphOptions {
  effects: string;
  /** The node that waits (after noting that it ran) until `<effects>.go` exists. */
  hold?: string;
}

export function buildGraph(checkpointer: BaseCheckpointSaver, o: GraphOptions) {
  const ran = async (node: string): Promise<void> => {
    fs.appendFileSync(o.effects, node + '\n');
    if (o.hold !== node) return;
    fs.appendFileSync(o.effects, `${node}:hold\n`);
    while (!fs.existsSync(o.effects + '.go')) await new Promise(r => setTimeout(r, 10));
  };
  const lookup = tool(async ({ query }: { query: string }) => {
    await ran('tool');
    return `found ${query}`;
  }, {
    name: 'lookup', description: 'Looks a word up.',
    schema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
  });
  const sub = new StateGraph(State)
    .addNode('s1', async () => { await ran('s1'); return { log: ['s1'] }; })
    .addNode('s2', async () => { await ran('s2'); return { log: ['s2'] }; })
    .addEdge(START, 's1').addEdge('s1', 's2').addEdge('s2', END)
    .compile();
  return new StateGraph(State)
    .addNode('plan', async () => { await ran('plan'); return { log: ['plan'] }; })
    .addNode('agent', async (s: typeof State.State) => {
      await ran('agent');
      const asked = s.messages.some((m: BaseMessage) => m.getType() === 'tool');
      return {
        log: ['agent'],
        messages: [asked
          ? new AIMessage('done')
          : new AIMessage({ content: '', tool_calls: [{ id: 'call-1', name: 'lookup', args: { query: 'jarvis' } }] })],
      };
    })
    .addNode('tools', new ToolNode([lookup]))
    .addNode('audit', async () => { await ran('audit'); return { log: ['audit'] }; })
    .addNode('sub', sub)
    .addEdge(START, 'plan')
    .addEdge('plan', 'agent')
    .addConditionalEdges('agent', (s: typeof State.State) => {
      const last = s.messages[s.messages.length - 1] as AIMessage;
      return last.tool_calls?.length ? ['tools', 'audit'] : ['sub'];
    }, ['tools', 'audit', 'sub'])
    .addEdge('tools', 'agent')
    .addEdge('audit', 'agent')
    .addEdge('sub', END)
    .compile({ checkpointer });
}

/** How many times each node noted that it ran. */
export function effects(file: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n') : []) {
    if (line) counts[line] = (counts[line] ?? 0) + 1;
  }
  return counts;
}
