"""cairn-dash authentication and authorization: login and session cookies, CSRF on
cookie-authenticated writes, basic auth, API keys, roles, login rate limiting, expiry."""
import http.cookies
import time
import unittest

from dashlib import Dash


def setUpModule():
    global DASH
    DASH = Dash(env={"GF_AUTH_LOGIN_MAXIMUM_INACTIVE_LIFETIME_DURATION": "2s"})


def tearDownModule():
    DASH.cleanup()


def cookies_of(headers):
    jar = {}
    attrs = {}
    for v in headers.get_all("Set-Cookie") or []:
        c = http.cookies.SimpleCookie()
        c.load(v)
        for k, m in c.items():
            jar[k] = m.value
            attrs[k] = v
    return jar, attrs


def login(user, password):
    return DASH.call("POST", "/login", {"user": user, "password": password}, auth=False)


class Login(unittest.TestCase):
    def test_wrong_password(self):
        st, body, _ = login("admin", "wrong")
        self.assertEqual((st, body), (401, {"message": "Invalid username or password"}))

    def test_session_cookie_and_csrf(self):
        st, body, h = login("admin", DASH.password)
        self.assertEqual(st, 200, body)
        self.assertEqual(body["message"], "Logged in")
        jar, attrs = cookies_of(h)
        sess = jar["grafana_session"]
        self.assertIn("HttpOnly", attrs["grafana_session"])
        self.assertIn("SameSite=lax", attrs["grafana_session"])
        self.assertNotIn("Secure", attrs["grafana_session"])
        self.assertNotIn("HttpOnly", attrs["cairn_csrf"])
        cookie = {"Cookie": "grafana_session=%s; cairn_csrf=%s" % (sess, jar["cairn_csrf"])}
        st, me, _ = DASH.call("GET", "/api/user", auth=cookie)
        self.assertEqual((st, me["login"]), (200, "admin"))
        self.assertTrue(me["isGrafanaAdmin"])
        dash = {"dashboard": {"title": "csrf test", "panels": []}}
        # a write with only the cookie, as a cross-site form would send it
        st, body, _ = DASH.call("POST", "/api/dashboards/db", dash, auth=cookie)
        self.assertEqual(st, 403)
        self.assertEqual(body["message"], "CSRF token missing or invalid")
        bad = dict(cookie, **{"X-CSRF-Token": "0" * 64})
        st, _, _ = DASH.call("POST", "/api/dashboards/db", dash, auth=bad)
        self.assertEqual(st, 403)
        good = dict(cookie, **{"X-CSRF-Token": jar["cairn_csrf"]})
        st, body, _ = DASH.call("POST", "/api/dashboards/db", dash, auth=good)
        self.assertEqual(st, 200, body)
        # behind HTTPS the cookie is Secure
        _, _, h2 = DASH.call("POST", "/login", {"user": "admin", "password": DASH.password},
                             auth={"X-Forwarded-Proto": "https"})
        _, attrs2 = cookies_of(h2)
        self.assertIn("; Secure", attrs2["grafana_session"])
        # logout ends the session
        st, _, h3 = DASH.call("GET", "/logout", auth=cookie)
        st, _, _ = DASH.call("GET", "/api/user", auth=cookie)
        self.assertEqual(st, 401)

    def test_session_expires_when_inactive(self):
        _, _, h = login("admin", DASH.password)
        jar, _ = cookies_of(h)
        cookie = {"Cookie": "grafana_session=" + jar["grafana_session"]}
        self.assertEqual(DASH.call("GET", "/api/user", auth=cookie)[0], 200)
        time.sleep(3.1)
        st, body, _ = DASH.call("GET", "/api/user", auth=cookie)
        self.assertEqual((st, body), (401, {"message": "Unauthorized"}))

    def test_login_rate_limit(self):
        st, _, _ = DASH.call("POST", "/api/admin/users",
                             {"login": "victim", "password": "victim-pw", "email": "v@x"})
        self.assertEqual(st, 200)
        for _ in range(5):
            self.assertEqual(login("victim", "nope")[0], 401)
        st, body, _ = login("victim", "victim-pw")
        self.assertEqual(st, 401)
        self.assertIn("temporarily blocked", body["message"])
        # basic auth is blocked too, other users are not
        st, _, _ = DASH.call("GET", "/api/user", auth=DASH.basic("victim", "victim-pw"))
        self.assertEqual(st, 401)
        self.assertEqual(login("admin", DASH.password)[0], 200)


class Roles(unittest.TestCase):
    def test_viewer_cannot_save_editor_can(self):
        st, r, _ = DASH.call("POST", "/api/admin/users",
                             {"name": "V", "login": "viewer1", "password": "viewer-pw"})
        self.assertEqual((st, r["message"]), (200, "User created"))
        uid = r["id"]
        viewer = DASH.basic("viewer1", "viewer-pw")
        st, me, _ = DASH.call("GET", "/api/user", auth=viewer)
        self.assertEqual((st, me["role"]), (200, "Viewer"))
        dash = {"dashboard": {"title": "viewer tries", "panels": []}}
        st, body, _ = DASH.call("POST", "/api/dashboards/db", dash, auth=viewer)
        self.assertEqual((st, body), (403, {"message": "Access denied"}))
        st, _, _ = DASH.call("GET", "/api/search", auth=viewer)
        self.assertEqual(st, 200)
        st, _, _ = DASH.call("POST", "/api/admin/users",
                             {"login": "x", "password": "y"}, auth=viewer)
        self.assertEqual(st, 403)
        st, _, _ = DASH.call("PATCH", "/api/org/users/%d" % uid, {"role": "Editor"})
        self.assertEqual(st, 200)
        st, body, _ = DASH.call("POST", "/api/dashboards/db", dash, auth=viewer)
        self.assertEqual(st, 200, body)
        st, _, _ = DASH.call("POST", "/api/datasources",
                             {"name": "n", "type": "prometheus", "url": "http://x"},
                             auth=viewer)
        self.assertEqual(st, 403)  # datasources need Admin

    def test_api_keys(self):
        st, k, _ = DASH.call("POST", "/api/auth/keys", {"name": "ci", "role": "Editor"})
        self.assertEqual(st, 200, k)
        self.assertEqual(k["name"], "ci")
        bearer = {"Authorization": "Bearer " + k["key"]}
        st, body, _ = DASH.call("POST", "/api/dashboards/db",
                                {"dashboard": {"title": "from a key", "panels": []}},
                                auth=bearer)
        self.assertEqual(st, 200, body)
        st, _, _ = DASH.call("POST", "/api/auth/keys", {"name": "ci"})
        self.assertEqual(st, 409)
        st, k2, _ = DASH.call("POST", "/api/auth/keys", {"name": "viewer-key"})
        st, _, _ = DASH.call("POST", "/api/dashboards/db",
                             {"dashboard": {"title": "nope", "panels": []}},
                             auth={"Authorization": "Bearer " + k2["key"]})
        self.assertEqual(st, 403)
        st, _, _ = DASH.call("GET", "/api/search",
                             auth={"Authorization": "Bearer " + k["key"][:-4] + "AAAA"})
        self.assertEqual(st, 401)

    def test_password_is_not_stored_or_logged(self):
        import sqlite3
        db = sqlite3.connect(DASH.data + "/grafana.db")
        rows = db.execute("SELECT password, salt FROM user WHERE login = 'admin'").fetchall()
        db.close()
        self.assertEqual(len(rows[0][0]), 100)  # PBKDF2-SHA256, 50 bytes, hex
        self.assertNotIn(DASH.password, rows[0][0])
        with open(DASH.data + "/grafana.db", "rb") as f:
            self.assertNotIn(DASH.password.encode(), f.read())
        self.assertNotIn(DASH.password, DASH.stderr())


if __name__ == "__main__":
    unittest.main()
