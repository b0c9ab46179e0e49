// The type checker resolves modules as Node 10 did (tsconfig.json), which ignores a package's
// `exports`: this names the types of @langchain/langgraph/prebuilt, which the bundler resolves itself.
declare module '@langchain/langgraph/prebuilt' {
  export { ToolNode } from '@langchain/langgraph/dist/prebuilt/index.js';
}
