"""JarvisSaver's crash-through: while the server is down a put is spooled durably and read back
locally; once a server answers, the next saver on the folder sends the spool, in order."""

import os
import unittest

from test_jarvis_context import TempDirTest, free_port

try:
    from langgraph.checkpoint.base import empty_checkpoint
    from jarvis_context.langgraph import JarvisSaver
except ImportError as e:  # the extra is not installed
    raise unittest.SkipTest("langgraph-checkpoint is not installed (pip install './clients/python[langgraph]'): %s" % e)


def checkpoint(id_: str, values: dict) -> dict:
    c = empty_checkpoint()
    c["id"] = id_
    c["channel_values"] = dict(values)
    c["channel_versions"] = {k: 1 for k in values}
    return c


class SaverSpoolTest(TempDirTest):
    def test_put_while_the_server_is_down_is_spooled_read_locally_and_sent_once_it_is_back(self) -> None:
        port = free_port()
        saver = JarvisSaver(self.folder, url="http://127.0.0.1:%d" % port, token="t")
        cfg = {"configurable": {"thread_id": "t1", "checkpoint_ns": ""}}
        cfg1 = saver.put(cfg, checkpoint("0001", {"a": "one", "b": [1, 2]}), {"source": "input", "step": -1, "parents": {}}, {"a": 1, "b": 1})
        saver.put_writes(cfg1, [("a", "pending")], "task-1")
        spooled = [n for n in os.listdir(self.folder) if n.startswith("langgraph.spool.")]
        self.assertEqual(len(spooled), 1)
        local = saver.get_tuple(cfg)
        self.assertEqual(local.checkpoint["channel_values"], {"a": "one", "b": [1, 2]})
        self.assertEqual(local.pending_writes, [("task-1", "a", "pending")])

        # The server comes back; a new saver in this process (as after a restart: the spool file is
        # its pid's) takes the spool in and sends it.
        server = self.server(port=port)
        saver2 = JarvisSaver(self.folder, url=server.endpoint["url"], token=server.endpoint["token"], spool=False)
        self.assertIsNone(saver2.get_tuple(cfg))
        saver.close()
        saver = JarvisSaver(self.folder, url=server.endpoint["url"], token=server.endpoint["token"])
        self.assertTrue(saver.flush())
        self.assertEqual([n for n in os.listdir(self.folder) if n.startswith("langgraph.spool.")], [])
        remote = saver2.get_tuple(cfg)
        self.assertEqual(remote.checkpoint["channel_values"], {"a": "one", "b": [1, 2]})
        self.assertEqual(remote.pending_writes, [("task-1", "a", "pending")])
        self.assertEqual(len(list(saver2.list(cfg))), 1)
        saver.close()
        saver2.close()


if __name__ == "__main__":
    unittest.main()
