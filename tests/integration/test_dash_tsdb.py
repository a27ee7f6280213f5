"""cairn-dash with cairn-tsdb as its Prometheus datasource, as the stack deploys them:
the headless-Chromium render tests of test_dash_ui (the shipped dashboards and Node Exporter
Full, every panel drawn with canvas pixels, no console error) and the /api/ds/query and
datasource-proxy tests of test_dash_api, run unchanged with cairn-tsdb scraping the fixture
exporter in-process in place of Prometheus 2.42."""
import os
import unittest

import dashlib

dashlib.DATASOURCE = "cairn-tsdb"

import test_dash_api  # noqa: E402  (after choosing the datasource)
import test_dash_ui  # noqa: E402


def setUpModule():
    test_dash_ui.setUpModule()
    test_dash_api.setUpModule()
    for m in (test_dash_ui, test_dash_api):
        assert m.PROM.proc.args[0] == os.environ["CAIRN_TSDB_BIN"], m.PROM.proc.args


def tearDownModule():
    try:
        test_dash_api.tearDownModule()
    finally:
        test_dash_ui.tearDownModule()


class RenderOnTsdb(test_dash_ui.Render):
    pass


class QueriesOnTsdb(test_dash_api.Queries):
    pass


def load_tests(loader, tests, pattern):
    # Only the classes above: the imported modules' own classes run in their own tests.
    suite = unittest.TestSuite()
    for case in (RenderOnTsdb, QueriesOnTsdb):
        suite.addTests(loader.loadTestsFromTestCase(case))
    return suite


if __name__ == "__main__":
    unittest.main()
