"""JarvisSaver (jarvis_context.langgraph) against LangGraph's checkpointer conformance suite, through
its async methods and again through its sync ones (which graph.invoke uses), on a real server.

The suite is langgraph-checkpoint-conformance: installed, or named by JARVIS_LANGGRAPH_CONFORMANCE
(the folder holding its `langgraph/`), or in shared/langgraph-conformance beside the repository.
Without it, or without langgraph-checkpoint itself, the tests are skipped and say why."""

import asyncio
import importlib
import os
import shutil
import sys
import tempfile
import unittest

from test_jarvis_context import REPO, Server

# What the suite must pass: the required groups and the optional ones we implement.
CAPABILITIES = ["put", "put_writes", "get_tuple", "list", "delete_thread", "delete_for_runs", "copy_thread", "prune", "delta_channel_history"]


def _find_suite():
    """(validate, checkpointer_test) from the suite, or a reason it cannot be had."""
    try:
        importlib.import_module("langgraph.checkpoint.base")
    except ImportError as e:
        return None, "langgraph-checkpoint is not installed (pip install './clients/python[langgraph]'): %s" % e
    places = [os.environ.get("JARVIS_LANGGRAPH_CONFORMANCE"), os.path.join(os.path.dirname(REPO), "shared", "langgraph-conformance")]
    for place in [None] + [p for p in places if p]:
        if place is not None:
            if not os.path.isdir(os.path.join(place, "langgraph", "checkpoint", "conformance")):
                continue
            # `langgraph.checkpoint` is a namespace package: the suite's folder merges into it.
            if place not in sys.path:
                sys.path.append(place)
        try:
            conformance = importlib.import_module("langgraph.checkpoint.conformance")
            return (conformance.validate, conformance.checkpointer_test), None
        except ImportError:
            continue
    return None, ("the LangGraph conformance suite was not found: not installed, JARVIS_LANGGRAPH_CONFORMANCE unset, "
                  "and no shared/langgraph-conformance beside the repository")


class ConformanceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        suite, reason = _find_suite()
        if suite is None:
            raise unittest.SkipTest(reason)
        cls.suite = suite
        cls.root = tempfile.mkdtemp(prefix="jarvis-py-lg-")
        cls.folder = os.path.join(cls.root, "store")
        os.makedirs(cls.folder)
        cls.server = Server(cls.folder).start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.stop()
        shutil.rmtree(cls.root, ignore_errors=True)

    def _run(self, saver_class: type) -> None:
        from jarvis_context.langgraph import JarvisSaver  # noqa: F401 (import checked before the suite runs)

        ep = self.server.endpoint

        async def factory():
            # No spool: a server that cannot be reached must fail the suite, not be answered locally.
            saver = saver_class(self.folder, url=ep["url"], token=ep["token"], spool=False)
            # Each capability's tests start on an empty store, as with a new stock saver.
            for t in {t.config["configurable"]["thread_id"] for t in saver.list(None)}:
                saver.delete_thread(t)
            try:
                yield saver
            finally:
                saver.close()

        validate, checkpointer_test = self.suite
        registered = checkpointer_test(name=saver_class.__name__)(factory)
        report = asyncio.run(validate(registered, capabilities=set(CAPABILITIES)))
        failures = {cap: report.results[cap].failures or 'not run' for cap in CAPABILITIES if report.results[cap].passed is not True}
        self.assertEqual(failures, {}, "conformance failures: %r" % failures)
        counts = {cap: report.results[cap].tests_passed for cap in CAPABILITIES}
        sys.stderr.write("\n  %s: %d conformance tests passed %r\n" % (saver_class.__name__, sum(counts.values()), counts))

    def test_async_methods(self) -> None:
        from jarvis_context.langgraph import JarvisSaver
        self._run(JarvisSaver)

    def test_sync_methods(self) -> None:
        self._run(_sync_driven())


def _sync_driven() -> type:
    """JarvisSaver whose async methods call its sync ones on the loop's thread: the suite then
    exercises put, get_tuple, list, ... as graph.invoke calls them."""
    from jarvis_context.langgraph import JarvisSaver

    class SyncDrivenJarvisSaver(JarvisSaver):
        async def aget_tuple(self, config):
            return self.get_tuple(config)

        async def alist(self, config, *, filter=None, before=None, limit=None):
            for t in self.list(config, filter=filter, before=before, limit=limit):
                yield t

        async def aput(self, config, checkpoint, metadata, new_versions):
            return self.put(config, checkpoint, metadata, new_versions)

        async def aput_writes(self, config, writes, task_id, task_path=""):
            self.put_writes(config, writes, task_id, task_path)

        async def adelete_thread(self, thread_id):
            self.delete_thread(thread_id)

        async def adelete_for_runs(self, run_ids):
            self.delete_for_runs(run_ids)

        async def acopy_thread(self, source_thread_id, target_thread_id):
            self.copy_thread(source_thread_id, target_thread_id)

        async def aprune(self, thread_ids, *, strategy="keep_latest"):
            self.prune(thread_ids, strategy=strategy)

        async def aget_delta_channel_history(self, *, config, channels):
            return self.get_delta_channel_history(config=config, channels=channels)

    return SyncDrivenJarvisSaver


if __name__ == "__main__":
    unittest.main()
