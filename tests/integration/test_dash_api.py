"""cairn-dash's HTTP API against Grafana's shapes and status codes, with a real
Prometheus 2.42 on loopback as the datasource."""
import copy
import json
import os
import threading
import time
import unittest
import urllib.parse

import dashlib
from dashlib import Dash


def setUpModule():
    global EXPORTER, PROM, DASH
    EXPORTER = dashlib.Exporter()
    PROM = dashlib.Prometheus([("app", EXPORTER.port)])
    DASH = Dash(env={"CAIRN_DASH_DATASOURCES": dashlib.datasources_yaml(PROM.url)})


def tearDownModule():
    DASH.cleanup()
    PROM.stop()
    EXPORTER.stop()


def model(title, **kw):
    d = {"title": title, "tags": ["t1"], "panels": [], "schemaVersion": 36}
    d.update(kw)
    return d


class Health(unittest.TestCase):
    def test_health_is_unauthenticated_with_grafana_shape(self):
        st, body, h = DASH.call("GET", "/api/health", auth=False)
        self.assertEqual(st, 200)
        self.assertEqual(body["database"], "ok")
        self.assertIn("version", body)
        self.assertIn("commit", body)

    def test_anonymous_is_refused(self):
        st, body, _ = DASH.call("GET", "/api/search", auth=False)
        self.assertEqual(st, 401)
        self.assertEqual(body, {"message": "Unauthorized"})

    def test_unknown_api_path_is_json_404(self):
        st, body, _ = DASH.call("GET", "/api/nope")
        self.assertEqual((st, body), (404, {"message": "Not found"}))

    def test_metrics_count_requests(self):
        DASH.call("GET", "/api/health", auth=False)
        st, text, _ = DASH.call("GET", "/metrics", auth=False)
        self.assertEqual(st, 200)
        self.assertRegex(text, r'grafana_api_response_status_total\{code="200",'
                               r'handler="/api/health"\} [1-9]')


class Dashboards(unittest.TestCase):
    def save(self, m, **kw):
        body = {"dashboard": m}
        body.update(kw)
        return DASH.call("POST", "/api/dashboards/db", body)

    def test_save_get_update_conflicts_versions_delete(self):
        st, r, _ = self.save(model("Crud one"))
        self.assertEqual(st, 200, r)
        self.assertEqual(r["status"], "success")
        self.assertEqual(r["version"], 1)
        self.assertEqual(r["slug"], "crud-one")
        self.assertEqual(r["url"], "/d/%s/crud-one" % r["uid"])
        uid = r["uid"]

        st, got, _ = DASH.call("GET", "/api/dashboards/uid/" + uid)
        self.assertEqual(st, 200)
        self.assertEqual(got["dashboard"]["title"], "Crud one")
        self.assertEqual(got["dashboard"]["version"], 1)
        self.assertEqual(got["meta"]["slug"], "crud-one")
        self.assertTrue(got["meta"]["canSave"])
        self.assertFalse(got["meta"]["provisioned"])

        m = got["dashboard"]
        m["title"] = "Crud one"
        m["description"] = "second"
        st, r2, _ = self.save(m, message="second save")
        self.assertEqual((st, r2["version"]), (200, 2))

        # saving the stale version 1 again is a conflict
        m["version"] = 1
        st, r3, _ = self.save(m)
        self.assertEqual(st, 412)
        self.assertEqual(r3["status"], "version-mismatch")
        # overwrite wins
        st, r4, _ = self.save(m, overwrite=True)
        self.assertEqual((st, r4["version"]), (200, 3))

        # same title in the same folder, other uid
        st, r5, _ = self.save(model("Crud one"))
        self.assertEqual(st, 412)
        self.assertEqual(r5, {"message": "A dashboard with the same name in the folder "
                                         "already exists", "status": "name-exists"})

        st, vers, _ = DASH.call("GET", "/api/dashboards/uid/%s/versions" % uid)
        self.assertEqual(st, 200)
        self.assertEqual([v["version"] for v in vers], [3, 2, 1])
        self.assertEqual(vers[1]["message"], "second save")
        st, v2, _ = DASH.call("GET", "/api/dashboards/uid/%s/versions/2" % uid)
        self.assertEqual(st, 200)
        self.assertEqual(v2["data"]["description"], "second")

        st, d, _ = DASH.call("DELETE", "/api/dashboards/uid/" + uid)
        self.assertEqual(st, 200)
        self.assertEqual(d["title"], "Crud one")
        self.assertEqual(d["message"], "Dashboard Crud one deleted")
        st, _, _ = DASH.call("GET", "/api/dashboards/uid/" + uid)
        self.assertEqual(st, 404)

    def test_unknown_uid(self):
        for method in ("GET", "DELETE"):
            st, body, _ = DASH.call(method, "/api/dashboards/uid/doesnotexist")
            self.assertEqual((st, body), (404, {"message": "Dashboard not found"}))
        st, _, _ = DASH.call("GET", "/api/dashboards/uid/doesnotexist/versions")
        self.assertEqual(st, 404)

    def test_bad_json_and_missing_title(self):
        st, body, _ = DASH.call("POST", "/api/dashboards/db", raw=b"{not json",
                                headers={"Content-Type": "application/json"})
        self.assertEqual((st, body), (400, {"message": "bad request data"}))
        st, body, _ = DASH.call("POST", "/api/dashboards/db", {"dashboard": {"panels": []}})
        self.assertEqual(st, 400)
        self.assertEqual(body["message"], "Dashboard title cannot be empty")

    def test_ten_megabyte_body_is_refused(self):
        big = b'{"dashboard":{"title":"big","x":"' + b"a" * (10 << 20) + b'"}}'
        try:
            st, _, _ = DASH.call("POST", "/api/dashboards/db", raw=big,
                                 headers={"Content-Type": "application/json"})
        except (ConnectionError, OSError):
            st = 413  # the server may close before the client finishes writing
        self.assertEqual(st, 413)
        st, _, _ = DASH.call("GET", "/api/health")
        self.assertEqual(st, 200)

    def test_search_by_query_tag_type_and_folders(self):
        st, f, _ = DASH.call("POST", "/api/folders", {"title": "Team A", "uid": "team-a"})
        self.assertEqual(st, 200, f)
        self.assertEqual(f["uid"], "team-a")
        self.assertEqual(f["title"], "Team A")
        st, again, _ = DASH.call("POST", "/api/folders", {"title": "Team A"})
        self.assertEqual(st, 409)
        st, r, _ = self.save(model("Searchable zeta", tags=["zeta", "prod"]), folderUid="team-a")
        self.assertEqual(st, 200, r)
        st, res, _ = DASH.call("GET", "/api/search?query=zeta")
        self.assertEqual(len(res), 1)
        hit = res[0]
        self.assertEqual(hit["type"], "dash-db")
        self.assertEqual(sorted(hit["tags"]), ["prod", "zeta"])
        self.assertEqual(hit["folderUid"], "team-a")
        self.assertEqual(hit["folderTitle"], "Team A")
        self.assertEqual(hit["uri"], "db/searchable-zeta")
        st, res, _ = DASH.call("GET", "/api/search?tag=zeta&tag=prod")
        self.assertEqual([x["uid"] for x in res], [r["uid"]])
        st, res, _ = DASH.call("GET", "/api/search?tag=zeta&tag=nope")
        self.assertEqual(res, [])
        st, res, _ = DASH.call("GET", "/api/search?type=dash-folder")
        self.assertIn("team-a", [x["uid"] for x in res])
        self.assertTrue(all(x["type"] == "dash-folder" for x in res))
        st, lst, _ = DASH.call("GET", "/api/folders")
        self.assertIn({"id": f["id"], "uid": "team-a", "title": "Team A"}, lst)
        st, one, _ = DASH.call("GET", "/api/folders/team-a")
        self.assertEqual(one["title"], "Team A")
        st, _, _ = DASH.call("GET", "/api/folders/nope")
        self.assertEqual(st, 404)
        st, d, _ = DASH.call("DELETE", "/api/folders/team-a")
        self.assertEqual(st, 200)
        st, _, _ = DASH.call("GET", "/api/dashboards/uid/" + r["uid"])
        self.assertEqual(st, 404)  # Grafana deletes a folder's dashboards with it

    def test_import_node_exporter_full_with_inputs_reads_back_equal(self):
        with open(os.path.join(dashlib.DATA, "node-exporter-full.json")) as f:
            original = json.load(f)
        m = copy.deepcopy(original)
        m["__inputs"] = [{"name": "DS_PROM", "type": "datasource", "pluginId": "prometheus"}]
        m["description"] = "datasource ${DS_PROM}"
        st, r, _ = DASH.call("POST", "/api/dashboards/import", {
            "dashboard": m, "overwrite": True,
            "inputs": [{"name": "DS_PROM", "type": "datasource", "pluginId": "prometheus",
                        "value": "prometheus"}]})
        self.assertEqual(st, 200, r)
        self.assertTrue(r["imported"])
        self.assertEqual(r["title"], original["title"])
        self.assertEqual(r["importedUrl"], "/d/%s/%s" % (r["uid"], r["slug"]))
        st, got, _ = DASH.call("GET", "/api/dashboards/uid/" + r["uid"])
        back = got["dashboard"]
        self.assertEqual(back["description"], "datasource prometheus")
        self.assertNotIn("__inputs", back)
        for k in ("id", "version", "uid", "description"):
            back.pop(k, None)
            original.pop(k, None)
        self.assertEqual(back, original)


class Datasources(unittest.TestCase):
    def test_crud_by_uid_name_and_id(self):
        body = {"name": "Extra", "type": "prometheus", "url": PROM.url, "access": "proxy",
                "uid": "extra-ds", "jsonData": {"timeInterval": "5s"}}
        st, r, _ = DASH.call("POST", "/api/datasources", body)
        self.assertEqual(st, 200, r)
        self.assertEqual(r["message"], "Datasource added")
        self.assertEqual(r["name"], "Extra")
        self.assertEqual(r["datasource"]["uid"], "extra-ds")
        ds_id = r["id"]
        st, dup, _ = DASH.call("POST", "/api/datasources", body)
        self.assertEqual(st, 409)
        self.assertEqual(dup["message"], "data source with the same name already exists")
        st, by_uid, _ = DASH.call("GET", "/api/datasources/uid/extra-ds")
        st2, by_name, _ = DASH.call("GET", "/api/datasources/name/Extra")
        st3, by_id, _ = DASH.call("GET", "/api/datasources/%d" % ds_id)
        self.assertEqual((st, st2, st3), (200, 200, 200))
        self.assertEqual(by_uid, by_name)
        self.assertEqual(by_uid, by_id)
        self.assertEqual(by_uid["jsonData"], {"timeInterval": "5s"})
        body["url"] = PROM.url + "/"
        st, up, _ = DASH.call("PUT", "/api/datasources/uid/extra-ds", body)
        self.assertEqual(st, 200, up)
        self.assertEqual(up["message"], "Datasource updated")
        self.assertEqual(up["datasource"]["version"], 2)
        st, lst, _ = DASH.call("GET", "/api/datasources")
        self.assertEqual(sorted(x["name"] for x in lst), ["Extra", "Prometheus"])
        st, d, _ = DASH.call("DELETE", "/api/datasources/name/Extra")
        self.assertEqual((st, d["message"]), (200, "Data source deleted"))
        st, nf, _ = DASH.call("GET", "/api/datasources/uid/extra-ds")
        self.assertEqual((st, nf), (404, {"message": "Data source not found"}))

    def test_provisioned_datasource_is_read_only(self):
        st, ds, _ = DASH.call("GET", "/api/datasources/uid/prometheus")
        self.assertEqual(st, 200)
        self.assertTrue(ds["readOnly"])
        self.assertTrue(ds["isDefault"])
        self.assertEqual(ds["url"], PROM.url)
        st, r, _ = DASH.call("DELETE", "/api/datasources/uid/prometheus")
        self.assertEqual((st, r), (403, {"message": "Cannot delete read-only data source"}))
        st, r, _ = DASH.call("PUT", "/api/datasources/uid/prometheus", {"name": "Prometheus"})
        self.assertEqual((st, r), (403, {"message": "Cannot update read-only data source"}))

    def test_frontend_settings(self):
        st, s, _ = DASH.call("GET", "/api/frontend/settings")
        self.assertEqual(st, 200)
        self.assertEqual(s["defaultDatasource"], "Prometheus")
        self.assertEqual(s["datasources"]["Prometheus"]["uid"], "prometheus")
        self.assertEqual(s["appSubUrl"], "")


class Queries(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # 10 s of samples: step-aligned ends (5 s steps below) still see several
        PROM.wait_samples('up{job="app"}', 10)

    def query(self, queries, frm="now-5m", to="now"):
        return DASH.call("POST", "/api/ds/query", {"queries": queries, "from": frm, "to": to})

    def test_range_query_returns_frames_with_legend(self):
        st, r, _ = self.query([{"refId": "A", "datasource": {"uid": "prometheus",
                                                            "type": "prometheus"},
                                "expr": 'up{job=~"app|prometheus"}', "range": True,
                                "legendFormat": "{{job}}", "maxDataPoints": 300}])
        self.assertEqual(st, 200, r)
        frames = r["results"]["A"]["frames"]
        self.assertEqual(r["results"]["A"]["status"], 200)
        self.assertEqual(sorted(f["schema"]["name"] for f in frames), ["app", "prometheus"])
        f = frames[0]
        fields = f["schema"]["fields"]
        self.assertEqual([x["name"] for x in fields], ["Time", "Value"])
        self.assertEqual(fields[0]["type"], "time")
        self.assertEqual(fields[1]["labels"]["instance"].split(":")[0], "127.0.0.1")
        self.assertEqual(fields[1]["config"]["displayNameFromDS"], f["schema"]["name"])
        times, values = f["data"]["values"]
        self.assertGreaterEqual(len(times), 2)
        self.assertEqual(len(times), len(values))
        self.assertEqual(values[-1], 1)
        # 5m over 300 points rounds to 1s, the datasource's timeInterval
        self.assertEqual(fields[0]["config"]["interval"], 1000)

    def test_macros_are_expanded(self):
        st, r, _ = self.query([{"refId": "B", "expr": "sum(rate(http_requests_total[$__rate_interval])) "
                                "+ 0 * $__range_s + 0 * $__interval_ms",
                                "range": True, "maxDataPoints": 100}], frm="now-10m")
        self.assertEqual(st, 200, r)
        ex = r["results"]["B"]["frames"][0]["schema"]["meta"]["executedQueryString"]
        # step = 10m/100 = 6s -> rounded 5s; rate interval max(5s+1s, 4*1s) = 6s
        self.assertIn("[6s]", ex)
        self.assertIn("0 * 600 + 0 * 5000", ex)
        self.assertIn("Step: 5s", ex)

    def test_instant_query_and_errors(self):
        st, r, _ = self.query([{"refId": "C", "expr": 'up{job="app"}', "instant": True}])
        self.assertEqual(st, 200, r)
        f = r["results"]["C"]["frames"][0]
        self.assertEqual(f["data"]["values"][1], [1])
        st, r, _ = self.query([{"refId": "D", "expr": "sum(("}])
        self.assertEqual(st, 400)
        self.assertIn("parse error", r["results"]["D"]["error"])
        st, r, _ = self.query([{"refId": "E", "expr": "up",
                                "datasource": {"uid": "missing"}}])
        self.assertEqual(r["results"]["E"]["error"], "data source not found")
        st, r, _ = self.query([])
        self.assertEqual(st, 400)

    def test_proxy_to_prometheus(self):
        q = urllib.parse.urlencode({"query": 'up{job="app"}'})
        st, r, _ = DASH.call("GET", "/api/datasources/proxy/uid/prometheus/api/v1/query?" + q)
        self.assertEqual(st, 200)
        self.assertEqual(r["status"], "success")
        self.assertEqual(r["data"]["result"][0]["metric"]["job"], "app")
        st, r, _ = DASH.call("POST", "/api/datasources/proxy/uid/prometheus/api/v1/query",
                             raw=q.encode(),
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual((st, r["status"]), (200, "success"))
        st, _, _ = DASH.call("GET", "/api/datasources/proxy/uid/nope/api/v1/query")
        self.assertEqual(st, 404)


if __name__ == "__main__":
    unittest.main()
