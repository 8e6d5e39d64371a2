#!/usr/bin/env python3
"""Checks recorded exchanges against Adobe's OpenAPI files.

Each line of the given JSON-lines files (or of every *.jsonl file in the
given folders) is one exchange the emulator recorded: the request the
client sent and the answer the emulator gave (secrets masked, shapes kept).
Each exchange is judged by the file of its service, chosen by path:
Flow Service (`/data/foundation/flowservice`, flow-service.openapi.yaml),
Data Prep (`/data/foundation/conversion`, data-prep.openapi.yaml) and
Catalog (`/data/foundation/catalog`, catalog.openapi.yaml). The requests
are validated against the operation's parameters and request body schema,
the answers against the documented response for their status, by
openapi-core (PyPI), not by provision's own code.

Where a file is wrong or silent, EXCEPTIONS below says what is done
instead and why. Exit 0 when every exchange passes (exceptions aside), 1
otherwise; a summary with counts per file is printed either way.

usage: openapi_check.py OPENAPI.yaml|DIR LOG.jsonl|DIR [...]
  DIR holding the three files judges every service; one file judges its own.
"""

import datetime
import json
import pathlib
import sys
from urllib.parse import parse_qsl, urlencode

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

HOST = "http://emulator.test"
# Each service's base path and the file that documents it.
SERVICES = [
    ("/data/foundation/flowservice", "flow-service.openapi.yaml"),
    ("/data/foundation/conversion", "data-prep.openapi.yaml"),
    ("/data/foundation/catalog", "catalog.openapi.yaml"),
]
FLOW_PREFIX = SERVICES[0][0]
# The clients whose requests are judged: provision, and Adobe's Python
# client (aepp, which sends with python-requests) in the tutorial test.
CLIENTS = ("provision/", "python-requests/")
SERVER = HOST + FLOW_PREFIX

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
    # docs/contract/platform-api.md use `/connections/{id}` for all three, and the service
    # accepts both. The client sends no slash; a slash is added for lookup
    # (and removed from a GET that a test wrote with one).
    ("trailing-slash", "PATCH/DELETE only under `/connections/{id}/`", "slash added (GET: removed) before validation"),
    # The PATCH body is documented as one `PatchInstruction` object with
    # upper-case `op` (`ADD`...) and an object `value`. JSON Patch (RFC 6902,
    # the format of Adobe's update tutorials and of the service) is an array
    # of operations, lower-case ops, any JSON value. The body is checked as
    # RFC 6902 here instead (array; op add/replace/remove in any case, as
    # the service takes them; path a JSON pointer; value present unless remove).
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
    # a client's: only requests whose user-agent is `provision/…` or Adobe's
    # Python client's (`python-requests/…`, the tutorial test) are checked;
    # the emulator's answers to all of them are.
    ("hand-written", "requests not sent by the client", "answer checked only"),
    # The 204 of DELETE is documented with `content: {}` (no body), which
    # openapi-core reads as "a body of no known type is required" and fails
    # on the empty answer the status requires. A 204 is checked to have no
    # body instead.
    ("no-content", "204 with `content: {}`", "checked to have an empty body"),
    # A dropped answer (the emulator's lost-answer fault, on a Flow Service
    # 201 or a Data Prep 200) was never sent: there is no answer to check,
    # only the request.
    ("dropped", "no answer was sent", "request checked only"),
    # ---- the ingestion path (source/target connections, flows, runs,
    # explore, Data Prep, Catalog) ----
    # The same scheme-relative server template in all three files: each is
    # replaced by one fixed server with its own base path (SERVICES).
    # `objectType` of explore is documented with the enum `ROOT`/`TABLE`;
    # Adobe's explore tutorial (help/sources/tutorials/api/explore/tabular.md)
    # and every client send `root`/`table`, and the service takes both. The
    # value is upper-cased before validation.
    ("explore-enum-case", "objectType enum ROOT/TABLE", "upper-cased before validation"),
    # Explore documents only the root answer (an array of tables). The
    # answer to `objectType=table` is an object `{format, schema: {columns}}`
    # (the same tutorial), checked here for that shape: each column has a
    # string `name`, a string `type` and an `xdm` object with a string `type`.
    ("explore-table-answer", "undocumented table answer", "checked against the tutorial's shape"),
    # `subOp` is required on `/flows/{id}/action` by the file, but no client
    # sends it (Adobe's Python client sends `op` alone, as do the tutorials):
    # it is made optional.
    ("action-subop", "subOp required", "made optional"),
    # The tutorials' forms the emulator also accepts, and echoes back as
    # sent: `scheduleParams.startTime` and `backfill` as strings, `interval`
    # as a number, and a numeric `mappingVersion`. They are turned into the
    # file's types (integer startTime, boolean backfill, string interval and
    # mappingVersion) before validation, in requests and answers.
    ("tutorial-forms", "startTime/backfill/interval/mappingVersion types", "coerced to the file's types"),
    # The older mapping dialect (`xdmSchema`, `sourceAttribute`,
    # `destinationXdmPath`) of Adobe's database tutorial is not in the Data
    # Prep file; its schemas allow additional members, so it validates as
    # such, except the tutorial's `null`s (`"id": null`, `"identityGroup":
    # null`), which the file's non-nullable strings refuse: in a body with
    # `xdmSchema`, `null` members are dropped before validation.
    ("older-mapping-dialect", "xdmSchema/sourceAttribute undocumented", "validated as additional members"),
    # `mode=draft` on `POST /flows` (a flow that runs nothing until
    # published) is not in the file: removed from the query before validation.
    ("mode-draft", "mode=draft undocumented", "removed before validation"),
    # `FLOW-1418-400` (a base connection used by a flow cannot be deleted)
    # is a code decided here: Adobe documents none. It is an error answer
    # and checked for the documented error shape like the others.
    ("flow-1418", "code undocumented", "error shape checked"),
    # Data Prep documents `createdDate`/`modifiedDate` as date-time strings,
    # but its own create example and the tutorial answer epoch milliseconds,
    # which is what the emulator answers: turned into date-time strings
    # before validation.
    ("dataprep-dates", "date-time strings vs epoch ms in the file's example", "epoch ms converted"),
    # Data Prep's list requires `limit` and `start`; Adobe's Python client
    # sends `limit` alone and the service defaults `start` to 0: optional.
    ("dataprep-start", "start required", "made optional"),
    # Catalog's file writes status codes as YAML integers (`200:`); OpenAPI
    # requires string keys, and the validator refuses the file: keys are
    # read as strings.
    ("int-status-keys", "integer response keys", "read as strings"),
    # Catalog's file lists some parameters twice in one operation (`x-api-key`
    # under `/tags/{tagNamespace}`), which OpenAPI forbids and the validator
    # refuses: repeated identical parameters are kept once.
    ("duplicate-parameters", "a parameter listed twice", "kept once"),
    # Beyond those two, Catalog's file breaks OpenAPI 3.0 elsewhere too
    # (`description: null` in `serviceResources`): the file is used without
    # validating the file itself; exchanges are still validated by it.
    ("catalog-file-invalid", "the file is not valid OpenAPI 3.0", "the file itself is not validated"),
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
        base_connection = path.startswith(FLOW_PREFIX + "/connections/")
        if method in ("patch", "delete") and base_connection and not path.endswith("/"):
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
        # Any case: Adobe's file writes `ADD`, its Python client `Add`.
        kind = op.get("op") if isinstance(op, dict) else None
        if not isinstance(kind, str) or kind.lower() not in ("add", "replace", "remove"):
            return f"op {op!r}: expected add, replace or remove (any case)"
        if not isinstance(op.get("path"), str) or not op["path"].startswith("/"):
            return f"op {op!r}: path must be a JSON pointer"
        if op["op"].lower() != "remove" and "value" not in op:
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


def relax(spec):
    """Exceptions action-subop, dataprep-start and duplicate-parameters."""
    for path in spec.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict) or not isinstance(operation.get("parameters"), list):
                continue
            unique = []
            for parameter in operation["parameters"]:
                if parameter not in unique:
                    unique.append(parameter)
            operation["parameters"] = unique
            for parameter in operation.get("parameters", []):
                if parameter.get("name") in ("subOp", "start") and parameter.get("in") == "query":
                    parameter["required"] = False


SCHEDULE_TYPES = {"startTime": int, "interval": str, "backfill": bool}


def coerce_tutorial_forms(value):
    """Exception tutorial-forms: the file's types for schedules and mapping versions."""
    if isinstance(value, list):
        return [coerce_tutorial_forms(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: coerce_tutorial_forms(v) for k, v in value.items()}
    schedule = out.get("scheduleParams")
    if isinstance(schedule, dict):
        for key, kind in SCHEDULE_TYPES.items():
            v = schedule.get(key)
            if kind is int and isinstance(v, str) and v.strip().lstrip("-").isdigit():
                schedule[key] = int(v)
            elif kind is bool and v in ("true", "false"):
                schedule[key] = v == "true"
            elif kind is str and isinstance(v, int) and not isinstance(v, bool):
                schedule[key] = str(v)
    params = out.get("params")
    if isinstance(params, dict) and isinstance(params.get("mappingVersion"), int):
        params["mappingVersion"] = str(params["mappingVersion"])
    for key in ("createdDate", "modifiedDate"):  # exception dataprep-dates
        if isinstance(out.get(key), int) and not isinstance(out.get(key), bool):
            stamp = datetime.datetime.fromtimestamp(out[key] / 1000, tz=datetime.timezone.utc)
            out[key] = stamp.isoformat().replace("+00:00", "Z")
    return out


def without_nulls(value):
    """Exception older-mapping-dialect: its `null` members dropped."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def recoded(body):
    """A JSON body with the tutorial forms coerced (text unchanged if not JSON)."""
    if body is None:
        return None
    try:
        value = coerce_tutorial_forms(json.loads(body))
    except json.JSONDecodeError:
        return body
    if isinstance(value, dict) and "xdmSchema" in value:
        value = without_nulls(value)
    return json.dumps(value)


def explore_table(body):
    """Exception explore-table-answer: the tutorial's table shape."""
    try:
        value = json.loads(body) if body else None
    except json.JSONDecodeError:
        return "the answer is not JSON"
    if isinstance(value, list):
        return None  # the root answer: validated by the file
    columns = value.get("schema", {}).get("columns") if isinstance(value, dict) else None
    if not isinstance(value.get("format") if isinstance(value, dict) else None, str) or not isinstance(columns, list):
        return "expected {format, schema: {columns: [...]}}"
    for column in columns:
        if not (isinstance(column, dict) and isinstance(column.get("name"), str)
                and isinstance(column.get("type"), str)
                and isinstance(column.get("xdm"), dict) and isinstance(column["xdm"].get("type"), str)):
            return f"column {column!r}: expected name, type and xdm.type"
    return None


def load_specs(arg):
    """prefix -> (file name, OpenAPI) for a folder of the three files or one file."""
    path = pathlib.Path(arg)
    chosen = [(p, path / f) for p, f in SERVICES] if path.is_dir() else [
        (p, path) for p, f in SERVICES if f == path.name] or [(FLOW_PREFIX, path)]
    specs = {}
    for prefix, file in chosen:
        # Exception int-status-keys: Catalog's file writes its status codes
        # as YAML integers (`200:`), which OpenAPI requires to be strings;
        # a JSON round trip makes every key a string.
        spec = json.loads(json.dumps(yaml.safe_load(file.read_text(encoding="utf-8"))))
        spec["servers"] = [{"url": HOST + prefix}]  # exception servers
        relax(spec)
        # Exception catalog-file-invalid: the file itself is not checked.
        config = Config(spec_validator_cls=None) if file.name == "catalog.openapi.yaml" else None
        specs[prefix] = (file.name, OpenAPI.from_dict(spec, config=config), spec)
    return specs


def documented(spec, path, method):
    """Whether the file declares this method on this path (templates matched)."""
    wanted = [p for p in path.split("/") if p]
    for declared, operations in spec.get("paths", {}).items():
        parts = [p for p in declared.split("/") if p]
        if len(parts) == len(wanted) and method in operations and all(
                d == w or (d.startswith("{") and d.endswith("}")) for d, w in zip(parts, wanted)):
            return True
    return False


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    specs = load_specs(argv[1])
    checked = excepted = 0
    per_file = {}
    failures = []
    for where, ex in exchanges(argv[2:]):
        prefix = next((p for p in specs if ex["path"].startswith(p + "/")), None)
        if prefix is None:
            continue
        name, openapi, raw_spec = specs[prefix]
        if prefix == FLOW_PREFIX and not documented(raw_spec, ex["path"][len(prefix):].rstrip("/") or "/", ex["method"].lower()) \
                and not ex["path"].startswith(FLOW_PREFIX + "/connections"):
            failures.append(f"{where}: {ex['method']} {ex['path']}: not an operation of {name}")
            continue
        checked += 1
        per_file[name] = per_file.get(name, 0) + 1
        ex = dict(ex)
        query = parse_qsl(ex.get("query") or "", keep_blank_values=True)
        kept = []
        for key, value in query:
            if key == "mode":
                excepted += 1  # exception mode-draft
                continue
            if key == "objectType":
                value = value.upper()  # exception explore-enum-case
            kept.append((key, value))
        ex["query"] = urlencode(kept)
        ex["request_body"] = recoded(ex.get("request_body"))  # exception tutorial-forms
        ex["response_body"] = recoded(ex.get("response_body"))
        req = Req(ex)
        req.host_url = HOST
        req.full_url_pattern = HOST + req.path
        problems = []
        agent = req.parameters.header.get("user-agent", "")
        client = agent.startswith(CLIENTS)
        if not client:
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
        if client:
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
        if ex.get("response_body") is None and status in (200, 201):
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
        elif ex["path"].endswith("/explore") and not (ex.get("response_body") or "").startswith("["):
            excepted += 1  # exception explore-table-answer
            problem = explore_table(ex.get("response_body"))
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
    files = ", ".join(f"{n} {name}" for name, n in sorted(per_file.items())) or "none"
    print(
        f"openapi contract: {checked} exchanges checked ({files}), "
        f"{excepted} under a listed exception, {len(failures)} problems"
    )
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
