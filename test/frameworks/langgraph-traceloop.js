// LangGraph JS instrumented by OpenLLMetry (Traceloop) (langgraphWeather.js).
'use strict';
const { run } = require('./capture');
const { recordLangGraph } = require('./langgraphWeather');

run(() => recordLangGraph('langgraph-traceloop', ['@traceloop/instrumentation-langchain'], provider => {
  const { LangChainInstrumentation } = require('@traceloop/instrumentation-langchain');
  const instrumentation = new LangChainInstrumentation({ traceContent: true });
  instrumentation.setTracerProvider(provider);
  instrumentation.manuallyInstrument({ callbackManagerModule: require('@langchain/core/callbacks/manager') });
}));
