#!/usr/bin/env python3
"""Checks recorded Flow Service exchanges against Adobe's OpenAPI file.

Each line of the given JSON-lines files (or of every *.jsonl file in the
given folders) is one exchange the emulator recorded: the request the
client sent and the answer the emulator gave (secrets masked, shapes kept).
The requests are validated against the operation's parameters and request
body schema, the answers against the documented response for their status,
by openapi-core (PyPI), not by provision's own code.

Where the OpenAPI file is wrong or silent, EXCEPTIONS below says what is
done instead and why. Exit 0 when every exchange passes (exceptions aside),
1 otherwise; a summary with counts is printed either way.

usage: openapi_check.py OPENAPI.yaml LOG.jsonl|DIR [...]
"""

import json
import pathlib
import sys
from urllib.parse import parse_qsl

import yaml
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

HOST = "http://emulator.test"
SERVER = HOST + "/data/foundation/flowservice"
FLOW_PREFIX = "/data/foundation/flowservice"

# Where Adobe's file is wrong or silent, and what is checked instead. Each
# entry: (id, what the file says, why it cannot be used as is, what we do).
EXCEPTIONS = [
    # The servers entry is a scheme-relative template
    # (`//{environment}.adobe.io/data/foundation/flowservice`): no scheme to
    # match a request URL against. Replaced by one fixed server with the same
    # base path; the paths are unchanged.
    ("servers", "scheme-relative server template", "replaced by " + SERVER),
    # PATCH and DELETE are documented at `/connections/{BASE_CONNECTION_ID}/`
    # with a trailing slash, GET without one. Adobe's own tutorials and
    # flow-service.md use `/connections/{id}` for all three, and the service
    # accepts both. The client sends no slash; a slash is added for lookup
    # (and removed from a GET that a test wrote with one).
    ("trailing-slash", "PATCH/DELETE only under `/connections/{id}/`", "slash added (GET: removed) before validation"),
    # The PATCH body is documented as one `PatchInstruction` object with
    # upper-case `op` (`ADD`...) and an object `value`. JSON Patch (RFC 6902,
    # the format of Adobe's update tutorials and of the service) is an array
    # of operations, lower-case ops, any JSON value. The body is checked as
    # RFC 6902 here instead (array; op add/replace/remove; path a JSON
    # pointer; value present unless remove).
    ("patch-body", "single upper-case PatchInstruction", "checked as an RFC 6902 array"),
    # Only 200/201/204, 403 and 503 are documented, and the documented 403
    # and 503 have `content: {}` although the gateway answers with a JSON
    # body. Error answers (any 4xx/5xx) are checked against the error shapes
    # the service's documentation shows: the gateway's
    # `{"error_code", "message"}`, Flow Service's problem
    # `{"type": ".../FLOW-NNNN-NNN", "title", "status", ...}`, or the
    # content-type problem `{"type", "status", "title", "detail"}`.
    ("error-answers", "undocumented statuses; 403/503 without content", "checked against the documented error shapes"),
    # Requests a test wrote by hand (to provoke the gateway's errors) are not
    # the client's: only requests whose user-agent is `provision/…` are
    # checked; the emulator's answers to all of them are.
    ("hand-written", "requests not sent by the client", "answer checked only"),
    # The 204 of DELETE is documented with `content: {}` (no body), which
    # openapi-core reads as "a body of no known type is required" and fails
    # on the empty answer the status requires. A 204 is checked to have no
    # body instead.
    ("no-content", "204 with `content: {}`", "checked to have an empty body"),
    # A dropped answer (the emulator's lost-answer fault) was never sent:
    # there is no answer to check, only the request.
    ("dropped", "no answer was sent", "request checked only"),
]


def exchanges(paths):
    for arg in paths:
        path = pathlib.Path(arg)
        files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
        for file in files:
            with open(file, encoding="utf-8") as lines:
                for number, line in enumerate(lines, 1):
                    if line.strip():
                        yield f"{file.name}:{number}", json.loads(line)


class Req:
    def __init__(self, ex):
        path = ex["path"]
        method = ex["method"].lower()
        if method in ("patch", "delete") and not path.endswith("/"):
            path += "/"  # exception trailing-slash
        if method == "get" and path.endswith("/") and not path.endswith("/connections/"):
            path = path.rstrip("/")  # exception trailing-slash, the other way
        self.host_url = HOST
        self.path = path
        self.full_url_pattern = HOST + path
        self.method = method
        query = parse_qsl(ex.get("query") or "", keep_blank_values=True)
        headers = Headers(ex["request_headers"])
        self.parameters = RequestParameters(query=ImmutableMultiDict(query), header=headers)
        body = ex.get("request_body")
        self.body = body.encode() if body is not None else None
        self.content_type = headers.get("content-type", "")


class Resp:
    def __init__(self, ex):
        headers = Headers(ex["response_headers"])
        self.status_code = ex["status"]
        self.headers = headers
        self.content_type = headers.get("content-type", "")
        body = ex.get("response_body")
        self.data = body.encode() if body is not None else None


def rfc6902(body):
    """Exception patch-body: the PATCH body as JSON Patch."""
    ops = json.loads(body) if body else None
    if not isinstance(ops, list) or not ops:
        return "the PATCH body is not a non-empty JSON array"
    for op in ops:
        if not isinstance(op, dict) or op.get("op") not in ("add", "replace", "remove"):
            return f"op {op!r}: expected add, replace or remove"
        if not isinstance(op.get("path"), str) or not op["path"].startswith("/"):
            return f"op {op!r}: path must be a JSON pointer"
        if op["op"] != "remove" and "value" not in op:
            return f"op {op!r}: value is required"
    return None


def error_shape(body):
    """Exception error-answers: one of the documented error bodies."""
    try:
        value = json.loads(body) if body else None
    except json.JSONDecodeError:
        return "the error body is not JSON"
    if not isinstance(value, dict):
        return "the error body is not a JSON object"
    if isinstance(value.get("error_code"), str) and isinstance(value.get("message"), str):
        return None
    kind = value.get("type")
    if isinstance(kind, str) and isinstance(value.get("title"), str) and isinstance(value.get("status"), int):
        if kind.rsplit("/", 1)[-1].startswith("FLOW-") or "detail" in value:
            return None
    return f"not a documented error shape: {sorted(value)}"


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    spec = yaml.safe_load(pathlib.Path(argv[1]).read_text(encoding="utf-8"))
    spec["servers"] = [{"url": SERVER}]  # exception servers
    openapi = OpenAPI.from_dict(spec)
    checked = excepted = 0
    failures = []
    for where, ex in exchanges(argv[2:]):
        if not ex["path"].startswith(FLOW_PREFIX + "/connections"):
            continue
        checked += 1
        req = Req(ex)
        problems = []
        agent = req.parameters.header.get("user-agent", "")
        if not agent.startswith("provision/"):
            excepted += 1  # exception hand-written
        elif req.method == "patch":
            excepted += 1
            problem = rfc6902(ex.get("request_body"))
            if problem:
                problems.append("request body: " + problem)
            bodyless = Req(ex)
            bodyless.body = None
            bodyless.content_type = ""
            target = bodyless
        else:
            target = req
        if agent.startswith("provision/"):
            try:
                openapi.validate_request(target)
            except Exception as err:  # openapi-core raises one class per kind of problem
                message = str(err)
                causes = getattr(err, "__cause__", None)
                detail = getattr(causes, "schema_errors", None) or ""
                if target is not req and "request body" in message.lower():
                    pass  # exception patch-body: checked as RFC 6902 above
                else:
                    problems.append(f"request: {message} {detail}")
        status = ex["status"]
        if ex.get("response_body") is None and status == 201:
            excepted += 1  # exception dropped
        elif status == 204:
            excepted += 1  # exception no-content
            if ex.get("response_body") is not None:
                problems.append("answer 204 has a body")
        elif status >= 400:
            excepted += 1
            problem = error_shape(ex.get("response_body"))
            if problem:
                problems.append(f"answer {status}: {problem}")
        else:
            try:
                openapi.validate_response(req, Resp(ex))
            except Exception as err:
                causes = getattr(err, "__cause__", None)
                detail = getattr(causes, "schema_errors", None) or ""
                problems.append(f"answer {status}: {err} {detail}")
        for problem in problems:
            failures.append(f"{where}: {ex['method']} {ex['path']}?{ex.get('query') or ''}: {problem}")
    for failure in failures[:50]:
        print(failure)
    if len(failures) > 50:
        print(f"... and {len(failures) - 50} more")
    print(
        f"openapi contract: {checked} exchanges checked against {pathlib.Path(argv[1]).name}, "
        f"{excepted} under a listed exception, {len(failures)} problems"
    )
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
