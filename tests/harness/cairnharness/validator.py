"""Strict validation of one AWS request against botocore's service model.

    verdict = Validator().check(WireRequest(method, target, headers, body))
    verdict.service, verdict.operation, verdict.violations, verdict.is_write

Two passes: decode.py turns the wire format back into boto3-style parameters
and reports what only the wire shows (unknown keys, list index forms,
unparsable scalars); then botocore's own ParamValidator, extended with enum
and max checks, validates the parameters against the input shape.
"""

import re
import urllib.parse

from botocore.validate import ParamValidator, ValidationErrors

from . import decode
from .model import Models, is_read

_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/,\s]+/([^/,\s]+)/aws4_request")

# Query-string keys of a presigned URL: part of the signature, not of the input.
_PRESIGN_KEYS = {
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
    "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token",
}


class Headers:
    """Case-insensitive view of request headers keeping their spelling and order."""

    def __init__(self, pairs):
        self._pairs = list(pairs)

    def get(self, name, default=None):
        name = name.lower()
        for key, value in self._pairs:
            if key.lower() == name:
                return value
        return default

    def items(self):
        return list(self._pairs)


class WireRequest:
    """An HTTP request exactly as it arrived."""

    def __init__(self, method, target, headers, body=b""):
        self.method = method.upper()
        self.target = target  # raw path plus '?query', as on the request line
        self.path, _, self.query = target.partition("?")
        if not isinstance(headers, Headers):
            headers = Headers(headers.items() if hasattr(headers, "items") else headers)
        self.headers = headers
        self.body = body or b""
        self.query_pairs = urllib.parse.parse_qsl(self.query, keep_blank_values=True)

    def form_pairs(self):
        """Key/value pairs of an application/x-www-form-urlencoded body."""
        ctype = (self.headers.get("Content-Type") or "").lower()
        if not ctype.startswith("application/x-www-form-urlencoded"):
            return []
        return urllib.parse.parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)


class Verdict:
    """What the validator found out about one request."""

    def __init__(self):
        self.service = None  # botocore service name, e.g. 'elbv2'
        self.operation = None  # operation name (or what was asked for, if unknown)
        self.known = False  # operation exists in the model
        self.protocol = None
        self.params = {}
        self.problems = decode.Problems()

    @property
    def is_write(self):
        return not (self.known and is_read(self.service, self.operation))

    @property
    def violations(self):
        """Problems as 'service Operation: what is wrong' strings."""
        return [f"{self.service or '?'} {self.operation or '?'}: {p}" for p in self.problems]


class StrictParamValidator(ParamValidator):
    """botocore's ParamValidator plus what it leaves out on purpose.

    botocore skips max and enum constraints so old clients keep working when
    AWS relaxes them; a test harness wants them, and rejects booleans posing
    as numbers (bool is an int in Python, not in JSON).
    """

    VALIDATED_METADATA_ATTRS = ParamValidator.VALIDATED_METADATA_ATTRS | {"max", "enum"}

    def _validate_string(self, param, shape, errors, name):
        super()._validate_string(param, shape, errors, name)
        if isinstance(param, str):
            if shape.enum and param not in shape.enum:
                errors.report(name, "not in enum", param=param, enum=shape.enum)
            _check_max(name, len(param), shape, "too long", errors)

    def _validate_list(self, param, shape, errors, name):
        super()._validate_list(param, shape, errors, name)
        if isinstance(param, (list, tuple)):
            _check_max(name, len(param), shape, "too long", errors)

    def _validate_map(self, param, shape, errors, name):
        super()._validate_map(param, shape, errors, name)
        if isinstance(param, dict):
            _check_max(name, len(param), shape, "too long", errors)

    def _validate_integer(self, param, shape, errors, name):
        if isinstance(param, bool):
            errors.report(name, "invalid type", param=param, valid_types=["integer"])
            return
        super()._validate_integer(param, shape, errors, name)
        if isinstance(param, int):
            _check_max(name, param, shape, "too large", errors)

    _validate_long = _validate_integer

    def _validate_double(self, param, shape, errors, name):
        if isinstance(param, bool):
            errors.report(name, "invalid type", param=param, valid_types=["number"])
            return
        super()._validate_double(param, shape, errors, name)
        if isinstance(param, (int, float)):
            _check_max(name, param, shape, "too large", errors)

    _validate_float = _validate_double


def _check_max(name, value, shape, reason, errors):
    if "max" in shape.metadata and value > shape.metadata["max"]:
        errors.report(name, reason, param=value, max_allowed=shape.metadata["max"])


class Validator:
    """Identifies and validates requests; safe to share between threads."""

    def __init__(self, models=None):
        self.models = models or Models()

    def check(self, request):
        """Return the Verdict for one WireRequest."""
        verdict = Verdict()
        service, why = self._identify_service(request)
        if service is None:
            verdict.problems.append(why)
            return verdict
        verdict.service = service
        model = self.models.service(service)
        protocol = model.protocol
        if request.headers.get("X-Amz-Target") and "json" in model.metadata.get("protocols", []):
            protocol = "json"  # services that speak both query and JSON
        verdict.protocol = protocol
        checker = {
            "ec2": self._check_query,
            "query": self._check_query,
            "json": self._check_json,
            "rest-json": self._check_rest_json,
        }.get(protocol)
        if checker is None:
            verdict.problems.append(f"the harness cannot validate the {protocol} protocol")
            return verdict
        operation = checker(request, model, verdict)
        if operation is None:
            return verdict
        verdict.known = True
        self._check_signed(request, operation, verdict)
        if operation.input_shape is not None:
            report = StrictParamValidator().validate(verdict.params, operation.input_shape)
            for error in _errors(report):
                message = _describe(error, protocol, operation.input_shape, verdict.problems.failed)
                if message:
                    verdict.problems.append(message)
        return verdict

    # -- which service

    def _identify_service(self, request):
        auth = request.headers.get("Authorization")
        scope = _SCOPE.search(auth or "")
        if auth and scope is None:
            return None, f"unknown service: Authorization has no SigV4 credential scope: {auth[:120]!r}"
        if scope is None:
            cred = dict(request.query_pairs).get("X-Amz-Credential")
            scope = _SCOPE.search(f"Credential={cred}") if cred else None
        if scope is not None:
            signing_name = scope.group(1)
            service = self.models.service_for_signing_name(signing_name)
            if service is None:
                return None, f"unknown service: signing name '{signing_name}' is no botocore service"
            return service, None
        # Unsigned: STS AssumeRoleWithWebIdentity and friends carry no
        # credential scope, so fall back to what the body says.
        target = request.headers.get("X-Amz-Target")
        if target:
            service = self.models.service_for_target_prefix(target.rpartition(".")[0])
            if service:
                return service, None
        action = dict(request.query_pairs + request.form_pairs()).get("Action")
        if action and action in self.models.service("sts").operation_names:
            return "sts", None
        return None, (
            f"unknown service: {request.method} {request.path} has no SigV4 credential "
            "scope, no known X-Amz-Target and no STS Action"
        )

    # -- which operation, per protocol; each fills verdict and returns the OperationModel

    def _operation(self, model, name, verdict):
        verdict.operation = name
        if name in model.operation_names:
            return model.operation_model(name)
        msg = f"unknown operation '{name}'"
        best = decode.suggest(name, model.operation_names)
        if best:
            msg += f" (did you mean '{best}'?)"
        verdict.problems.append(msg)
        return None

    def _check_query(self, request, model, verdict):
        problems = verdict.problems
        if request.body and not (request.headers.get("Content-Type") or "").lower().startswith(
            "application/x-www-form-urlencoded"
        ):
            problems.append("body must be application/x-www-form-urlencoded")
        pairs = [(k, v) for k, v in request.query_pairs if k not in _PRESIGN_KEYS]
        pairs += request.form_pairs()
        fields, seen = {}, []
        for key, value in pairs:
            if key in fields or key in seen:
                problems.append(f"member '{key}' is given more than once")
                continue
            if key in ("Action", "Version"):
                fields[key] = value
            else:
                seen.append(key)
        if "Action" not in fields:
            problems.append("no Action parameter")
            return None
        operation = self._operation(model, fields["Action"], verdict)
        if operation is None:
            return None
        api_version = model.metadata["apiVersion"]
        if fields.get("Version") != api_version:
            problems.append(f"Version must be '{api_version}', got {fields.get('Version')!r}")
        rest = [(k, v) for k, v in pairs if k not in ("Action", "Version")]
        decoder = decode.QueryDecoder(ec2=model.protocol == "ec2")
        verdict.params = decoder.decode(rest, operation.input_shape, problems)
        return operation

    def _check_json(self, request, model, verdict):
        problems = verdict.problems
        target = request.headers.get("X-Amz-Target")
        if not target:
            problems.append("no X-Amz-Target header")
            return None
        prefix, _, name = target.rpartition(".")
        operation = self._operation(model, name, verdict)
        expected = model.metadata["targetPrefix"]
        if prefix != expected:
            problems.append(f"X-Amz-Target must start with '{expected}.', got '{target}'")
        if operation is None:
            return None
        if request.method != "POST" or request.path != "/":
            problems.append(f"JSON requests are POST /, got {request.method} {request.path}")
        ctype = f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.0')}"
        got = (request.headers.get("Content-Type") or "").split(";")[0].strip()
        if got != ctype:
            problems.append(f"Content-Type must be '{ctype}', got '{got}'")
        body = decode.parse_json_body(request.body, problems)
        if body is decode.MISSING:
            return operation
        if operation.input_shape is None:
            if body:
                problems.append("the operation takes no input, but the body is not empty")
            return operation
        params = decode.decode_json(body, operation.input_shape, "", problems)
        verdict.params = {} if params is decode.MISSING else params
        return operation

    def _check_rest_json(self, request, model, verdict):
        keys = {k for k, _ in request.query_pairs}
        route, labels = self.models.match_rest(verdict.service, request.method, request.path, keys)
        if route is None:
            verdict.operation = f"{request.method} {request.path}"
            verdict.problems.append("unknown operation" + self._route_hint(verdict.service, request, keys))
            return None
        verdict.operation = route.operation
        operation = model.operation_model(route.operation)
        verdict.params = decode.decode_rest_json(
            request, operation, labels, route.literal_query, verdict.problems
        )
        return operation

    def _route_hint(self, service, request, keys):
        """Near misses: a trailing slash too many or too few, another method."""
        path = request.path
        alt = path[:-1] if path.endswith("/") else path + "/"
        route, _ = self.models.match_rest(service, request.method, alt, keys)
        if route:
            return f" (did you mean {request.method} {alt}, which is {route.operation}?)"
        methods = [
            m for m in ("GET", "PUT", "POST", "DELETE", "PATCH", "HEAD")
            if self.models.match_rest(service, m, path, keys)[0]
        ]
        if methods:
            return f" ({path} takes {', '.join(methods)}, not {request.method})"
        return f" (no {service} operation has this method and path)"

    def _check_signed(self, request, operation, verdict):
        if operation.auth_type == "none":
            return
        if not request.headers.get("Authorization") and "X-Amz-Signature" not in request.query:
            verdict.problems.append("request is not signed (no Authorization header)")


# -- turning ParamValidator's findings into messages


def _errors(report):
    # ValidationErrors keeps (reason, name, details) tuples; botocore has no
    # public accessor, only a prose report meant for humans.
    return list(getattr(report, "_errors", [])) if isinstance(report, ValidationErrors) else []


def _wire_path(name, shape, protocol):
    """Member path ('.Filters[0].Name') -> path on the wire for query protocols."""
    name = name.lstrip(".")
    if protocol not in ("query", "ec2") or not name:
        return name
    tokens = re.findall(r"(?:^|\.)([^.\[\]]+)|\[(\d+)\]", name)
    decoder = decode.QueryDecoder(ec2=protocol == "ec2")
    out = []
    for member, index in tokens:
        if member:
            if shape.type_name != "structure" or member not in shape.members:
                return name  # a map key: no stable wire path
            shape_ = shape.members[member]
            out.append(decoder.wire_name(member, shape_))
            shape = shape_
        else:
            if shape.type_name != "list":
                return name
            if protocol == "query" and not shape.serialization.get("flattened"):
                out.append(shape.member.serialization.get("name", "member"))
            out.append(str(int(index) + 1))
            shape = shape.member
    return ".".join(out)


# Python type names in ParamValidator's findings -> the model's words.
_PY_TYPES = {
    "str": "string", "int": "integer", "bool": "boolean", "float": "number",
    "decimal.Decimal": "", "Decimal": "", "dict": "structure", "list": "list",
    "tuple": "", "datetime.datetime": "timestamp", "timestamp-string": "",
    "bytes": "blob", "bytearray": "", "file-like object": "", "NoneType": "null",
}


def _describe(error, protocol, input_shape, failed):
    """One ParamValidator finding as a message; None if already reported."""
    reason, name, d = error
    if reason == "missing required field":
        path = _wire_path(f"{name}.{d['required_name']}", input_shape, protocol)
        if path in failed:
            return None
        return f"missing required member '{path}'"
    path = _wire_path(name, input_shape, protocol) or "input"
    param = d.get("param")
    if reason == "unknown field":
        return decode.unknown_member("", d["unknown_param"], d["valid_names"])
    if reason == "invalid type":
        types = []
        for t in d["valid_types"]:
            t = _PY_TYPES.get(re.sub(r"<class '([\w.]+)'>", r"\1", t), t)
            if t and t not in types:
                types.append(t)
        got = _PY_TYPES.get(type(param).__name__) or type(param).__name__
        return f"wrong type for member '{path}': expected {' or '.join(types)}, got {got} {param!r:.80}"
    if reason == "invalid range":
        return f"member '{path}' is {param}, below the minimum {d['min_allowed']}"
    if reason == "invalid length":
        return f"member '{path}' has length {param}, below the minimum {d['min_allowed']}"
    if reason == "too large":
        return f"member '{path}' is {param}, above the maximum {d['max_allowed']}"
    if reason == "too long":
        return f"member '{path}' has length {param}, above the maximum {d['max_allowed']}"
    if reason == "not in enum":
        enum = d["enum"]
        shown = ", ".join(enum[:12]) + (", ..." if len(enum) > 12 else "")
        msg = f"member '{path}' is {param!r}, not one of the enum values ({shown})"
        best = decode.suggest(param, enum)
        return msg + (f"; did you mean '{best}'?" if best else "")
    if reason in ("more than one input", "empty input"):
        return f"union '{path}' must set exactly one of {', '.join(d['members'])}"
    return f"member '{path}': {reason} {d}"
