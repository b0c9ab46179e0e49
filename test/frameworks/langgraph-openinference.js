// LangGraph JS instrumented by OpenInference (langgraphWeather.js).
'use strict';
const { run } = require('./capture');
const { recordLangGraph } = require('./langgraphWeather');

run(() => recordLangGraph('langgraph-openinference', ['@arizeai/openinference-instrumentation-langchain'], () => {
  const { LangChainInstrumentation } = require('@arizeai/openinference-instrumentation-langchain');
  new LangChainInstrumentation().manuallyInstrument(require('@langchain/core/callbacks/manager'));
}));
