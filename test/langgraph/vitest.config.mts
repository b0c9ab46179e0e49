// LangGraph's own checkpointer suite (@langchain/langgraph-checkpoint-validation) runs under vitest:
// its spec files call vitest's describe/it. Files end in .mts so the esbuild bundle of test/ and
// mocha leave them alone.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/langgraph/**/*.test.mts'],
    globals: true,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
