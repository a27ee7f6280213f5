"""Wire format -> botocore-style parameters, one decoder per protocol.

Each decoder walks the operation's input shape alongside what arrived, so it
can say exactly which wire key is wrong. It reports problems the model
validator cannot see (unknown keys, wrong list index forms, scalars that do
not parse) and returns the parameters as the Python values a boto3 caller
would have passed, for botocore's ParamValidator to check the rest.

Problems are plain strings naming the member by its path on the wire, e.g.
"unknown member 'Filter.1.Nme' (did you mean 'Filter.1.Name'?)".
"""

import base64
import binascii
import datetime
import difflib
import email.utils
import json
import re

from botocore.utils import is_json_value_header

# Marks "nothing usable was decoded here" (after a problem was reported).
MISSING = object()

_INDEX = re.compile(r"[1-9][0-9]*")
_INTEGER = re.compile(r"-?[0-9]+")
_ISO8601 = re.compile(
    r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?"
)


class Problems(list):
    """Problem messages, plus the paths of members that could not be decoded.

    The validator uses failed to avoid adding "missing required member 'X'"
    on top of "wrong type for member 'X'".
    """

    def __init__(self):
        super().__init__()
        self.failed = set()


def join(path, name):
    return f"{path}.{name}" if path else name


def suggest(name, candidates):
    """The candidate closest to a misspelled name, or None."""
    by_lower = {c.lower(): c for c in candidates}
    if name.lower() in by_lower:
        return by_lower[name.lower()]
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_member(path, name, candidates):
    msg = f"unknown member '{join(path, name)}'"
    best = suggest(name, candidates)
    if best:
        msg += f" (did you mean '{join(path, best)}'?)"
    return msg


# ---------------------------------------------------------------- scalars


def parse_scalar(text, shape, path, problems, timestamp_format):
    """Parse a scalar sent as text (query, URI, header) into its Python type."""
    kind = shape.type_name
    bad = f"wrong type for member '{path}': expected {kind}, got {text!r}"
    if kind == "string":
        return text
    if kind in ("integer", "long"):
        if _INTEGER.fullmatch(text):
            return int(text)
    elif kind == "boolean":
        if text in ("true", "false"):
            return text == "true"
    elif kind in ("float", "double"):
        try:
            return float(text)
        except ValueError:
            pass
    elif kind == "timestamp":
        value = parse_timestamp(text, shape.serialization.get("timestampFormat", timestamp_format))
        if value is not None:
            return value
        bad += f" ({shape.serialization.get('timestampFormat', timestamp_format)} timestamp)"
    elif kind == "blob":
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            bad += " (not base64)"
    problems.append(bad)
    return MISSING


def parse_timestamp(value, fmt):
    """datetime for a timestamp in the model's format, or None."""
    utc = datetime.timezone.utc
    try:
        if fmt == "unixtimestamp":
            if isinstance(value, str):
                value = float(value)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return None
            return datetime.datetime.fromtimestamp(value, utc)
        if not isinstance(value, str):
            return None
        if fmt == "rfc822":
            return email.utils.parsedate_to_datetime(value)
        if _ISO8601.fullmatch(value):
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=utc)
    except (ValueError, TypeError, OverflowError):
        pass
    return None


# ---------------------------------------------------------------- query / ec2


class _Node:
    """One dotted key component: 'Filter.1.Name' is root->Filter->1->Name."""

    __slots__ = ("value", "children")

    def __init__(self):
        self.value = None
        self.children = {}


class QueryDecoder:
    """Decodes query-protocol form parameters (IAM, STS, ELBv2) and EC2's variant.

    Query: lists are 'Name.member.N' (or 'Name.N' when flattened), maps are
    'Name.entry.N.key/value'. EC2: lists are always 'Name.N' and members are
    named by queryName, else the capitalised locationName.
    """

    def __init__(self, ec2):
        self.ec2 = ec2

    def decode(self, pairs, shape, problems):
        root = _Node()
        for key, value in pairs:
            node = root
            for part in key.split("."):
                node = node.children.setdefault(part, _Node())
            node.value = value
        if shape is None:
            for key in root.children:
                problems.append(f"unknown member '{key}' (the operation takes no input)")
            return {}
        params = self._structure(root, shape, "", problems)
        return {} if params is MISSING else params

    def wire_name(self, name, shape):
        ser = shape.serialization
        if self.ec2:
            if "queryName" in ser:
                return ser["queryName"]
            if "name" in ser:
                return ser["name"][0].upper() + ser["name"][1:]
            return name
        if shape.type_name == "list" and ser.get("flattened"):
            return shape.member.serialization.get("name", ser.get("name", name))
        return ser.get("name", name)

    def _decode(self, node, shape, path, problems):
        kind = shape.type_name
        if kind == "structure":
            return self._structure(node, shape, path, problems)
        if kind == "list":
            return self._list(node, shape, path, problems)
        if kind == "map":
            return self._map(node, shape, path, problems)
        if node.children:
            sub = next(iter(node.children))
            problems.append(
                f"wrong type for member '{path}': expected {kind}, "
                f"got nested keys such as '{path}.{sub}'"
            )
            return MISSING
        return parse_scalar(node.value, shape, path, problems, "iso8601")

    def _structure(self, node, shape, path, problems):
        if node.value is not None:
            problems.append(
                f"wrong type for member '{path}': expected structure "
                f"('{path}.Member=...'), got {node.value!r}"
            )
            return MISSING
        by_wire = {self.wire_name(n, s): (n, s) for n, s in shape.members.items()}
        out = {}
        for key, child in node.children.items():
            if key not in by_wire:
                problems.append(unknown_member(path, key, by_wire))
                continue
            name, member = by_wire[key]
            value = self._decode(child, member, join(path, key), problems)
            if value is MISSING:
                problems.failed.add(join(path, key))
            else:
                out[name] = value
        return out

    def _indexed(self, node, path, what, problems):
        """Children of a '1..N' node in order, or MISSING after a problem."""
        bad = [k for k in node.children if not _INDEX.fullmatch(k)]
        if bad:
            problems.append(
                f"{what} '{path}' has index '{join(path, bad[0])}': "
                f"indices are 1, 2, ... N"
            )
            return MISSING
        indices = sorted(int(k) for k in node.children)
        if indices != list(range(1, len(indices) + 1)):
            problems.append(
                f"{what} '{path}' has indices {indices}: they must run 1..N without gaps"
            )
            return MISSING
        return [(f"{path}.{i}", node.children[str(i)]) for i in indices]

    def _list(self, node, shape, path, problems):
        flat = self.ec2 or shape.serialization.get("flattened")
        item = shape.member.serialization.get("name", "member")
        form = f"{path}.N" if flat else f"{path}.{item}.N"
        if not node.children:
            # The query protocol (not EC2) sends an empty list as 'Name='.
            if node.value == "" and not self.ec2:
                return []
            problems.append(
                f"wrong type for member '{path}': expected a list sent as '{form}', "
                f"got {node.value!r}"
            )
            return MISSING
        if node.value is not None:
            problems.append(f"list '{path}' has both a value and items ('{form}')")
            return MISSING
        items = node
        if not flat:
            if set(node.children) != {item}:
                problems.append(f"list '{path}' must be sent as '{form}'")
                return MISSING
            items, path = node.children[item], f"{path}.{item}"
            if items.value is not None:
                problems.append(f"list '{path}' must be sent as '{form}'")
                return MISSING
        elif self.ec2 and "member" in node.children:
            problems.append(f"EC2 list '{path}' is sent as '{path}.N', not '{path}.member.N'")
            return MISSING
        entries = self._indexed(items, path, "list", problems)
        if entries is MISSING:
            return MISSING
        out = [self._decode(child, shape.member, p, problems) for p, child in entries]
        return [v for v in out if v is not MISSING]

    def _map(self, node, shape, path, problems):
        kname = shape.key.serialization.get("name", "key")
        vname = shape.value.serialization.get("name", "value")
        entries = node
        if not shape.serialization.get("flattened"):
            if set(node.children) != {"entry"} or node.value is not None:
                problems.append(f"map '{path}' must be sent as '{path}.entry.N.{kname}/{vname}'")
                return MISSING
            entries, path = node.children["entry"], f"{path}.entry"
        indexed = self._indexed(entries, path, "map", problems)
        if indexed is MISSING:
            return MISSING
        out = {}
        for epath, entry in indexed:
            if set(entry.children) != {kname, vname} or entry.value is not None:
                problems.append(f"map entry '{epath}' must have exactly '{kname}' and '{vname}'")
                continue
            key = self._decode(entry.children[kname], shape.key, f"{epath}.{kname}", problems)
            value = self._decode(entry.children[vname], shape.value, f"{epath}.{vname}", problems)
            if key is not MISSING and value is not MISSING:
                out[key] = value
        return out


# ---------------------------------------------------------------- json


def decode_json(value, shape, path, problems, members=None):
    """Decode a parsed JSON value against a shape (JSON 1.1 and REST-JSON bodies).

    members restricts a structure to some of its members (REST-JSON bodies
    hold only the members without a 'location'). Type mismatches of plain
    scalars are left for ParamValidator, which names them the same way.
    """
    kind = shape.type_name
    if value is None:
        return MISSING  # AWS treats a JSON null as an absent member
    if kind == "structure" and not shape.is_document_type:
        if not isinstance(value, dict):
            problems.append(
                f"wrong type for member '{path or 'input'}': expected structure (JSON object), "
                f"got {type(value).__name__}"
            )
            return MISSING
        candidates = members if members is not None else shape.members
        by_wire = {s.serialization.get("name", n): (n, s) for n, s in candidates.items()}
        out = {}
        for key, item in value.items():
            if key not in by_wire:
                problems.append(unknown_member(path, key, by_wire))
                continue
            name, member = by_wire[key]
            decoded = decode_json(item, member, join(path, key), problems)
            if decoded is MISSING:
                if item is not None:
                    problems.failed.add(join(path, key))
            else:
                out[name] = decoded
        return out
    if kind == "list":
        if not isinstance(value, list):
            problems.append(
                f"wrong type for member '{path}': expected list (JSON array), got {type(value).__name__}"
            )
            return MISSING
        out = [decode_json(v, shape.member, f"{path}[{i}]", problems) for i, v in enumerate(value)]
        return [v for v in out if v is not MISSING]
    if kind == "map":
        if not isinstance(value, dict):
            problems.append(
                f"wrong type for member '{path}': expected map (JSON object), got {type(value).__name__}"
            )
            return MISSING
        out = {}
        for k, v in value.items():
            decoded = decode_json(v, shape.value, join(path, k), problems)
            if decoded is not MISSING:
                out[k] = decoded
        return out
    if kind == "timestamp":
        fmt = shape.serialization.get("timestampFormat", "unixtimestamp")
        parsed = parse_timestamp(value, fmt)
        if parsed is None:
            problems.append(
                f"wrong type for member '{path}': expected {fmt} timestamp, got {value!r}"
            )
            return MISSING
        return parsed
    if kind == "blob":
        if not isinstance(value, str):
            problems.append(f"wrong type for member '{path}': expected base64 string, got {value!r}")
            return MISSING
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            problems.append(f"wrong type for member '{path}': blob is not base64: {value[:40]!r}")
            return MISSING
    return value  # strings, numbers, booleans, documents: ParamValidator checks


def parse_json_body(body, problems):
    """The JSON object in a request body ({} when empty), or MISSING."""
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        problems.append(f"body is not valid JSON ({e})")
        return MISSING


# ---------------------------------------------------------------- rest-json


def decode_rest_json(request, operation, labels, literal_query, problems):
    """Decode URI labels, query string, headers and JSON body of a REST-JSON request."""
    shape = operation.input_shape
    params = {}
    members = shape.members if shape is not None else {}
    by_location = {"uri": {}, "querystring": {}, "header": {}, "headers": {}, None: {}}
    for name, member in members.items():
        location = member.serialization.get("location")
        by_location.setdefault(location, {})[member.serialization.get("name", name)] = (name, member)

    for wire, raw in labels.items():
        name, member = by_location["uri"][wire]
        value = parse_scalar(raw, member, name, problems, "iso8601")
        if value is MISSING:
            problems.failed.add(name)
        else:
            params[name] = value

    _decode_querystring(request.query_pairs, by_location["querystring"], literal_query, params, problems)
    _decode_headers(request.headers, by_location["header"], by_location["headers"], params, problems)

    payload = shape.serialization.get("payload") if shape is not None else None
    body = request.body
    if payload and members[payload].type_name in ("blob", "string"):
        if body:
            params[payload] = body if members[payload].type_name == "blob" else body.decode("utf-8", "replace")
        return params
    obj = parse_json_body(body, problems)
    if obj is MISSING:
        return params
    if payload:
        value = decode_json(obj, members[payload], payload, problems)
        if value is not MISSING and (body.strip() or value):
            params[payload] = value
        return params
    # A member the model puts in the URI, query string or headers, sent in
    # the body instead, is a classic hand-written-client bug: say so.
    located = {}
    for location, table in by_location.items():
        for wire, (name, _) in table.items():
            if location:
                located[wire] = located[name] = location
    body_members = {name: m for name, m in members.items() if "location" not in m.serialization}
    body_wire = {m.serialization.get("name", n) for n, m in body_members.items()}
    if isinstance(obj, dict):
        for key in [k for k in obj if k in located and k not in body_wire]:
            problems.append(f"member '{key}' belongs in the {located[key]}, not in the JSON body")
            del obj[key]
    decoded = decode_json(obj, shape, "", problems, members=body_members) if shape is not None else None
    if shape is None and obj:
        problems.append("the operation takes no input, but the body is not empty")
    if isinstance(decoded, dict):
        params.update(decoded)
    return params


def _decode_querystring(pairs, table, literal_query, params, problems):
    map_member = next(((n, m) for n, m in table.values() if m.type_name == "map"), None)
    seen = {}
    for key, value in pairs:
        if key in literal_query:
            continue
        seen.setdefault(key, []).append(value)
    for key, values in seen.items():
        if key not in table:
            if map_member:  # a map-typed querystring member takes all the rest
                params.setdefault(map_member[0], {})[key] = values[-1]
            else:
                problems.append(unknown_member("", key, table) + " in the query string")
            continue
        name, member = table[key]
        if member.type_name == "list":
            items = [parse_scalar(v, member.member, f"{key}", problems, "iso8601") for v in values]
            params[name] = [v for v in items if v is not MISSING]
        elif len(values) > 1:
            problems.append(f"member '{key}' appears {len(values)} times in the query string")
        else:
            value = parse_scalar(values[0], member, key, problems, "iso8601")
            if value is MISSING:
                problems.failed.add(name)
            else:
                params[name] = value


def _decode_headers(headers, table, prefixes, params, problems):
    for wire, (name, member) in table.items():
        raw = headers.get(wire)
        if raw is None:
            continue
        if is_json_value_header(member):
            try:
                params[name] = json.loads(base64.b64decode(raw))
            except (ValueError, binascii.Error):
                problems.append(f"header '{wire}' is not base64-encoded JSON")
            continue
        if member.type_name == "list":
            items = [parse_scalar(v.strip(), member.member, wire, problems, "rfc822") for v in raw.split(",")]
            params[name] = [v for v in items if v is not MISSING]
            continue
        value = parse_scalar(raw, member, wire, problems, "rfc822")
        if value is MISSING:
            problems.failed.add(name)
        else:
            params[name] = value
    for prefix, (name, member) in prefixes.items():
        found = {
            k[len(prefix):]: v for k, v in headers.items() if k.lower().startswith(prefix.lower())
        }
        if found:
            params[name] = found
