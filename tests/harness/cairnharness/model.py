"""botocore's service models: which service and operation a request is for.

Everything the validator knows about AWS comes from the JSON models that ship
with botocore; this module only loads them (once, under a lock, because the
proxy answers requests on many threads) and indexes them for lookup.
"""

import re
import threading
import urllib.parse

import botocore.session

# SigV4 signing name (the SERVICE in Credential=AKID/date/region/SERVICE/...)
# -> botocore service name, for the services cairn talks to. Any other signing
# name is accepted only if botocore has a service of exactly that name.
SIGNING_NAMES = {
    "ec2": "ec2",
    "iam": "iam",
    "sts": "sts",
    "elasticloadbalancing": "elbv2",
    "ecs": "ecs",
    "servicediscovery": "servicediscovery",
    "secretsmanager": "secretsmanager",
    "logs": "logs",
    "elasticfilesystem": "efs",
    "backup": "backup",
    # Not called by cairn: the tests' AWS CLI looks for leftovers with it.
    "tagging": "resourcegroupstaggingapi",
}

# Operations that change nothing although their names do not say so; see
# is_read(). STS hands out credentials (cairn may need them in a read-only
# drift run), DiscoverInstances and FilterLogEvents only read.
EXTRA_READS = {
    ("sts", "AssumeRole"),
    ("sts", "AssumeRoleWithWebIdentity"),
    ("sts", "GetCallerIdentity"),
    ("servicediscovery", "DiscoverInstances"),
    ("servicediscovery", "DiscoverInstancesRevision"),
    ("secretsmanager", "BatchGetSecretValue"),
    ("logs", "FilterLogEvents"),
}


def is_read(service, operation):
    """True for operations that only read: Describe*, List*, Get* and EXTRA_READS."""
    if not operation:
        return False  # unknown operations count as writes: the safe side
    return operation.startswith(("Describe", "List", "Get")) or (
        (service, operation) in EXTRA_READS
    )


class RestRoute:
    """One REST operation's method and requestUri, compiled to a regex."""

    def __init__(self, operation, method, request_uri):
        self.operation = operation
        self.method = method
        self.request_uri = request_uri
        path, _, query = request_uri.partition("?")
        # Literal query keys in the template (efs "?ForceDelete", backup
        # "?delete") must be present and are not members.
        self.literal_query = {}
        for part in filter(None, query.split("&")):
            key, _, value = part.partition("=")
            self.literal_query[key] = value
        pattern, self.labels, pos = "", [], 0
        for m in re.finditer(r"\{([^}]+)\}", path):
            pattern += re.escape(path[pos : m.start()])
            name = m.group(1)
            if name.endswith("+"):  # greedy label: may span '/'
                self.labels.append(name[:-1])
                pattern += "(.+)"
            else:
                self.labels.append(name)
                pattern += "([^/]+)"
            pos = m.end()
        pattern += re.escape(path[pos:])
        self.regex = re.compile(pattern)
        # More literal text means a more specific route: '/file-systems/x/policy'
        # beats '/file-systems/{Id}/{Rest+}'.
        self.specificity = (len(re.sub(r"\{[^}]+\}", "", path)), len(self.literal_query))

    def match(self, method, raw_path, query_keys):
        """Return {label: decoded value} if this route matches, else None."""
        if method != self.method:
            return None
        m = self.regex.fullmatch(raw_path)
        if not m or not all(k in query_keys for k in self.literal_query):
            return None
        return {
            label: urllib.parse.unquote(value)
            for label, value in zip(self.labels, m.groups())
        }


class Models:
    """Thread-safe cache of botocore service models and lookup tables."""

    def __init__(self):
        self._session = botocore.session.get_session()
        self._lock = threading.RLock()
        self._services = {}
        self._routes = {}
        self._available = None

    def service(self, name):
        """The botocore ServiceModel for a service name (e.g. 'elbv2')."""
        with self._lock:
            if name not in self._services:
                self._services[name] = self._session.get_service_model(name)
            return self._services[name]

    def warm(self):
        """Load the models of the known services ahead of the first request."""
        for name in SIGNING_NAMES.values():
            self.service(name)
            if self.service(name).protocol.startswith("rest"):
                self.rest_routes(name)

    def service_for_signing_name(self, signing_name):
        """botocore service name for a SigV4 signing name, or None."""
        if signing_name in SIGNING_NAMES:
            return SIGNING_NAMES[signing_name]
        with self._lock:
            if self._available is None:
                self._available = set(self._session.get_available_services())
        return signing_name if signing_name in self._available else None

    def service_for_target_prefix(self, prefix):
        """Known JSON service whose X-Amz-Target prefix this is, or None."""
        for name in SIGNING_NAMES.values():
            if self.service(name).metadata.get("targetPrefix") == prefix:
                return name
        return None

    def rest_routes(self, name):
        """All RestRoutes of a REST service, compiled once."""
        with self._lock:
            if name not in self._routes:
                model = self.service(name)
                self._routes[name] = [
                    RestRoute(op, http["method"], http["requestUri"])
                    for op in model.operation_names
                    for http in [model.operation_model(op).http]
                ]
            return self._routes[name]

    def match_rest(self, name, method, raw_path, query_keys):
        """(route, labels) of the most specific matching route, or (None, None)."""
        best, best_labels = None, None
        for route in self.rest_routes(name):
            labels = route.match(method, raw_path, query_keys)
            if labels is not None and (best is None or route.specificity > best.specificity):
                best, best_labels = route, labels
        return best, best_labels
