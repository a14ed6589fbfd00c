"""Every API operation fuzzed from the OpenAPI document with Schemathesis, in-process
against the ASGI app: no answer is a server error, every refusal is a problem document
with one plain sentence, and every answer (status, media type, headers, body) is one the
document declares.

The app holds the sample catalogue, a small event log imported within the request, a
larger one imported by a background job (analysed in the background: the 202 answers are
checked too), an improvement action, spare accounts and a spare API token. A ``map_case``
hook (``_Targets.aim``) swaps, for two cases in three, the generated path parameters for
those of a real object (a process, version, step, flow, log, case, department, owner,
action, job) and the query parameters and body fields that name one (``process``,
``version``, ``log``, ``department``...), so that many requests get past the lookup to
the code behind it; it never lets a case revoke the credentials the pass signs in with.
The choice is a hash of the generated case, so the requests are the same from run to run
(up to what the timing of background analyses changes in the answers).

Operations run in a fixed order: reads, then writes, then deletions (steps and flows
before versions, versions before processes), so that a deletion does not leave the
operations after it with nothing real to aim at; the real objects are looked up again
after each write that succeeded.

For each operation Schemathesis runs its phases: the document's examples, the coverage
phase (boundary and wrong-typed values of every parameter and body field, missing
required ones, unexpected methods) and, on SQLite, ``FUZZ_EXAMPLES`` random cases
(schema-conforming and not); then ``_explicit`` sends valid cases of the operations
random data hardly ever satisfies. Failed checks do not stop the run: they are
collected, and the test fails at the end listing each distinct failure once with a curl
command that reproduces it.

First, on SQLite, a pass sends random cases of every operation without credentials:
every ``/api`` operation but sign-in must answer 401 with a problem document.
"""

from __future__ import annotations

import collections
import contextlib
import io
import os
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase
from litestar import Litestar
from litestar.testing import TestClient
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.hypothesis.builder import (
    HypothesisTestConfig,
    HypothesisTestMode,
    create_test,
)
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.asgi import create_app
from app.config import Settings
from tests.conftest import ROOT, bearer

FUZZ_EXAMPLES = 12
"""Random cases per operation (besides its examples and coverage cases)."""
ANONYMOUS_EXAMPLES = 4
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
PROBLEM_JSON = "application/problem+json"
ROAD_LOG = ROOT / "event_logs" / "road-repair-requests.csv"
SMALL_LOG_LINES = 400  # ~400 events: imported and analysed within the request
JOB_LOG_LINES = 1300  # > sync_import_bytes: a background job; > inline events: analysed in
# the background
INLINE_EVENTS = 600
VERBOSE = bool(os.environ.get("HANDOFF_FUZZ_VERBOSE"))
"""Print each operation's requests and time (run with -s)."""
SIGN_IN, PASSWORD = "sign-in", "a long sign-in password"
EXPLICIT_SETTINGS = {
    "max_examples",
    "deadline",
    "derandomize",
    "database",
    "suppress_health_check",
    "phases",
}
METHOD_ORDER = {"get": 0, "post": 1, "put": 1, "patch": 1, "delete": 2}


@dataclass
class _Tally:
    """What a pass sent and got back."""

    requests: int = 0
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    operations: int = 0
    answered: set[str] = field(default_factory=set)  # operations with a 2xx answer
    by_operation: collections.defaultdict[str, collections.Counter[int]] = field(
        default_factory=lambda: collections.defaultdict(collections.Counter)
    )
    failures: dict[tuple[str, str], str] = field(default_factory=dict)

    def fail(self, label: str, title: str, message: str) -> None:
        self.failures.setdefault((label, title), message)

    def line(self, name: str) -> str:
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        server_errors = sum(n for s, n in self.statuses.items() if s >= 500)
        return (
            f"API fuzz ({name}): {self.operations} operations, {self.requests} requests, "
            f"{len(self.answered)} operations answered 2xx, 5xx: {server_errors}; "
            f"statuses {{{statuses}}}"
        )

    def report(self) -> str:
        return "\n\n".join(
            f"{label}: {title}\n{message}"
            for (label, title), message in sorted(self.failures.items())
        )


@dataclass
class _Targets:
    """The real objects of the app, and the hook that aims cases at them."""

    client: requests.Session
    headers: dict[str, str]
    own_token: int
    spare_token: int
    own_account: int
    spare_account: int
    combos: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    query: dict[str, list[Any]] = field(default_factory=dict)
    job_ids: list[str] = field(default_factory=list)

    def get(self, url: str) -> Any:
        response = self.client.get(url, headers=self.headers)
        assert response.status_code == 200, (url, response.status_code, response.text)
        return response.json()

    def refresh(self) -> None:
        """Look the real objects up again (a write may have renamed or removed some)."""
        processes: list[dict[str, Any]] = []
        for summary in self.get("/api/processes"):
            processes.append(self.get(f"/api/processes/{summary['slug']}"))
        versions = [(p["slug"], v) for p in processes for v in p["versions"]]
        departments = self.get("/api/departments")
        rows = self.get("/api/event-logs")
        logs = [row["id"] for row in rows]
        cases: list[dict[str, Any]] = []
        scorecards: list[dict[str, Any]] = []
        for log_id in [row["id"] for row in rows if row["events"] <= INLINE_EVENTS]:
            page = self.get(f"/api/event-logs/{log_id}/cases?kind=variant&rank=1&limit=3")
            cases += [{"log_id": log_id, "case_id": c} for c in page["cases"]]
            scorecards += [{"log_id": log_id, "department": d["name"]} for d in departments]
        # keyed by the operation's path parameters, sorted and joined
        self.combos = {
            "slug": [{"slug": p["slug"]} for p in processes],
            "label,slug": [{"slug": s, "label": v["label"]} for s, v in versions],
            "label,slug,step_id": [
                {"slug": s, "label": v["label"], "step_id": step["id"]}
                for s, v in versions
                for step in v["steps"]
            ],
            "flow_id,label,slug": [
                {"slug": s, "label": v["label"], "flow_id": flow["id"]}
                for s, v in versions
                for flow in v["flows"]
            ],
            "key": [{"key": d["slug"]} for d in departments],
            "owner_id": [{"owner_id": o["id"]} for o in self.get("/api/owners")],
            "log_id": [{"log_id": i} for i in logs],
            "case_id,log_id": cases,
            "department,log_id": scorecards,
            "action_id": [{"action_id": a["id"]} for a in self.get("/api/actions")],
            "job_id": [{"job_id": j} for j in self.job_ids],
            "token_id": [{"token_id": self.spare_token}],
            "account_id": [{"account_id": self.spare_account}],
        }
        # query parameters and body fields that name a real object
        self.query = {
            "process": [p["slug"] for p in processes],
            "version": sorted({v["label"] for _, v in versions}),
            "log": logs,
            "log_id": logs,
            "other": logs,
            "department": [d["name"] for d in departments],
        }

    def aim(self, context: Any, case: Any) -> Any:
        """The ``map_case`` hook: the case's own credentials are never revoked, and two
        cases in three are aimed at real objects."""
        path = case.path_parameters
        if path:
            if str(path.get("token_id")) == str(self.own_token):
                path["token_id"] = self.spare_token
            if str(path.get("account_id")) == str(self.own_account):
                path["account_id"] = self.spare_account
        choice = zlib.crc32(repr((case.path_parameters, case.query, case.body)).encode())
        if choice % 3 == 0:
            return case
        if path:
            combos = self.combos.get(",".join(sorted(path)), [])
            if combos:
                path.update(combos[choice // 3 % len(combos)])
        for fields in (case.query, case.body):
            if not isinstance(fields, dict):
                continue
            for name, values in self.query.items():
                if name in fields and values:
                    value = values[choice // 7 % len(values)]
                    fields[name] = [value] if isinstance(fields[name], list) else value
        return case


def _settings(settings: Settings) -> Settings:
    """The test settings, with a background job and background analyses within reach."""
    return settings.model_copy(
        update={
            "sync_import_bytes": 64 * 1024,
            "inline_analysis_events": INLINE_EVENTS,
            "inline_model_events": INLINE_EVENTS,
            "analysis_subprocess": False,
        }
    )


def _lines(count: int) -> bytes:
    return ("\n".join(ROAD_LOG.read_text().splitlines()[:count]) + "\n").encode()


def _seed(client: requests.Session, headers: dict[str, str]) -> tuple[list[str], dict[str, Any]]:
    """The sample catalogue, two logs (one by a background job) and an action; returns the
    job ids and the body the action was made with."""
    for path in sorted((ROOT / "processes").glob("*.yaml")):
        response = client.post(
            "/api/processes/import",
            data=path.read_bytes(),
            headers={**headers, "content-type": "application/yaml"},
        )
        assert response.status_code == 201, response.text
    small = client.post(
        "/api/event-logs",
        files={"file": ("road.csv", io.BytesIO(_lines(SMALL_LOG_LINES)))},
        headers=headers,
    )
    assert small.status_code == 201, small.text
    log_id = small.json()["id"]
    job = client.post(
        "/api/event-logs",
        files={"file": ("road-more.csv", io.BytesIO(_lines(JOB_LOG_LINES)))},
        headers=headers,
    )
    assert job.status_code == 202, job.text
    job_id = job.json()["id"]
    for _ in range(600):  # the background import, done before any fuzzing (reproducible)
        state = client.get(f"/api/import-jobs/{job_id}", headers=headers).json()["state"]
        if state in ("done", "failed"):
            break
        time.sleep(0.05)
    assert state == "done", state
    handoff = client.get(f"/api/event-logs/{log_id}/analysis", headers=headers).json()
    pair = handoff["handoffs"][0]
    body = {
        "finding": {
            "kind": "handoff",
            "from_department": pair["from_department"],
            "to_department": pair["to_department"],
        },
        "log_id": log_id,
        "owner": "Director, Roads & Sidewalks",
        "due": "2025-12-31",
        "target": 1,
    }
    action = client.post("/api/actions", json=body, headers=headers)
    assert action.status_code == 201, action.text
    return [str(job_id)], body


def _explicit(action: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Valid cases of the operations whose random data is hardly ever accepted, so that
    their success answers are checked too (``operation.Case`` arguments, by label)."""
    process = yaml.safe_load((ROOT / "processes" / "road-repair-request.yaml").read_text())
    return {
        "POST /api/processes": [{"body": {**process, "slug": "road-repair-copy"}}],
        "POST /api/actions": [{"body": {**action, "title": "Again"}}],
        "POST /api/auth/login": [{"body": {"username": SIGN_IN, "password": PASSWORD}}],
        "POST /api/event-logs": [
            {
                "body": {"file": _lines(40), "name": "Forty lines"},
                "media_type": "multipart/form-data",
            },
        ],
    }


@dataclass
class _Fuzz:
    targets: _Targets
    schema: Any
    explicit: dict[str, list[dict[str, Any]]]


@pytest.fixture
def fuzz(settings: Settings) -> Iterator[_Fuzz]:
    """The app started through Schemathesis's ASGI client, seeded, with its schema."""
    app = create_app(_settings(settings))
    # entering the client starts the app's lifespan, once for every request after it
    with asgi.get_client(app) as client, contextlib.ExitStack() as stack:
        stack.callback(asgi.shutdown_lifespans)
        own = bearer(app, "fuzz-admin", "admin")
        headers = {"Authorization": f"Bearer {own}"}
        spare_token = client.post(
            "/api/auth/tokens", json={"name": "spare"}, headers=headers
        ).json()["id"]
        spare_account = client.post(
            "/api/users",
            json={"username": "spare", "password": "a long spare password", "role": "viewer"},
            headers=headers,
        ).json()["id"]
        tokens = client.get("/api/auth/tokens", headers=headers).json()
        users = client.get("/api/users", headers=headers).json()
        client.post(
            "/api/users",
            json={"username": SIGN_IN, "password": PASSWORD, "role": "viewer"},
            headers=headers,
        )
        jobs, action = _seed(client, headers)
        targets = _Targets(
            client=client,
            headers=headers,
            own_token=min(t["id"] for t in tokens),
            spare_token=spare_token,
            own_account=next(u["id"] for u in users if u["username"] == "fuzz-admin"),
            spare_account=spare_account,
            job_ids=jobs,
        )
        targets.refresh()
        schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)

        def map_case(context: Any, case: Any) -> Any:
            return targets.aim(context, case)

        schema.hooks.hook("map_case")(map_case)
        yield _Fuzz(targets, schema, _explicit(action))


def _ordered(schema: Any) -> list[Any]:
    """Reads, then writes, then deletions (the deepest paths first)."""
    operations = [result.ok() for result in schema.get_all_operations()]
    return sorted(
        operations,
        key=lambda op: (METHOD_ORDER[op.method.lower()], -op.path.count("/"), op.path),
    )


def _run(
    schema: Any,
    operation: Any,
    modes: list[HypothesisTestMode],
    examples: int,
    send: Callable[[Any], None],
) -> None:
    """Run Schemathesis's phases for one operation, ``send`` called with each case."""
    settings = hypothesis.settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],  # failures are collected, not shrunk
    )
    config = HypothesisTestConfig(
        project=schema.config,
        modes=modes,
        settings=settings,
        # a Hypothesis profile loaded for the suite does not override these
        explicit_setting_names=EXPLICIT_SETTINGS,
    )
    test = create_test(operation=operation, test_func=send, config=config)
    test()


def _check_problem(response: Any, tally: _Tally, label: str, curl: str) -> None:
    """A refusal is a problem document whose status is the answer's."""
    if response.status_code < 400:
        return
    kind = (response.headers.get("content-type") or [""])[0]
    try:
        body = response.json()
    except ValueError:
        body = None
    if not kind.startswith(PROBLEM_JSON) or not isinstance(body, dict):
        tally.fail(label, f"not a problem document [{response.status_code}]", f"{kind}\n{curl}")
    elif body.get("status") != response.status_code:
        tally.fail(label, f"problem with another status [{response.status_code}]", curl)
    elif not _sentence(body.get("detail")):
        detail = repr(body.get("detail"))[:300]
        tally.fail(
            label, f"detail is not one plain sentence [{response.status_code}]", f"{detail}\n{curl}"
        )


def _sentence(detail: Any) -> bool:
    """One plain sentence: one line, no traceback, ending with a full stop."""
    return (
        isinstance(detail, str)
        and detail.strip() == detail
        and "\n" not in detail
        and "Traceback" not in detail
        and detail.endswith((".", "?"))
    )


def _pass(
    fuzz: _Fuzz,
    headers: dict[str, str],
    modes: list[HypothesisTestMode],
    examples: int,
    expect: Callable[[Any, Any, _Tally], None] | None = None,
) -> _Tally:
    tally = _Tally()

    def send(case: Any) -> None:
        label = case.operation.label
        response = case.call(headers=headers)
        tally.requests += 1
        tally.statuses[response.status_code] += 1
        tally.by_operation[label][response.status_code] += 1
        if 200 <= response.status_code < 300:
            tally.answered.add(label)
        curl = case.as_curl_command(headers={})
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                title = f"{failure.title} [{response.status_code}]"
                tally.fail(label, title, f"{failure.message}\n{curl}")
        _check_problem(response, tally, label, curl)
        if expect is not None:
            expect(case, response, tally)

    for operation in _ordered(fuzz.schema):
        started, sent = time.perf_counter(), tally.requests
        _run(fuzz.schema, operation, modes, examples, send)
        for arguments in fuzz.explicit.get(operation.label, []):
            send(operation.Case(**arguments))
        tally.operations += 1
        if VERBOSE:
            seconds = time.perf_counter() - started
            statuses = sorted(tally.by_operation[operation.label].items())
            print(
                f"{operation.label}: {tally.requests - sent} requests, {seconds:.1f} s {statuses}"
            )
        if operation.method.lower() != "get" and operation.label in tally.answered:
            fuzz.targets.refresh()  # it changed something
    return tally


def _server_errors(tally: _Tally) -> int:
    return sum(n for status, n in tally.statuses.items() if status >= 500)


def _routable(case: Any) -> bool:
    """Whether the case's URL can reach its operation at all: Litestar routes an integer
    path parameter (``{log_id:int}``) only for an integer, and a URL no route matches is
    a 404 before any sign-in check (there is no operation there to refuse)."""
    item = case.operation.schema.raw_schema["paths"][case.operation.path]
    for parameter in item[case.operation.method.lower()].get("parameters", []):
        if parameter["in"] == "path" and parameter["schema"].get("type") == "integer":
            try:
                int(str(case.path_parameters[parameter["name"]]))
            except ValueError:
                return False
    return True


def _refused(case: Any, response: Any, tally: _Tally) -> None:
    """Without credentials, every /api operation but sign-in answers 401."""
    path = case.operation.path
    public = not path.startswith("/api/") or path == "/api/auth/login"
    expected = 401 if _routable(case) else 404
    if not public and response.status_code != expected:
        title = f"{response.status_code} without credentials"
        tally.fail(case.operation.label, title, case.as_curl_command(headers={}))


def test_every_operation(
    fuzz: _Fuzz, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    # PostgreSQL differs from SQLite in what it stores (integer ranges, text lengths, NUL
    # characters), which the boundary values of the coverage phase reach; the random
    # phase, by far the costliest, and the pass without credentials (refused before any
    # query) run on SQLite only, for the suite's time
    postgres = settings.resolved_database_url.startswith("postgresql")
    lines = []
    if not postgres:
        anonymous = _pass(fuzz, {}, [HypothesisTestMode.FUZZING], ANONYMOUS_EXAMPLES, _refused)
        lines.append(anonymous.line("no credentials"))
        assert _server_errors(anonymous) == 0, anonymous.report()
        assert not anonymous.failures, anonymous.report()
        assert anonymous.operations >= 90 and anonymous.requests >= 300
        assert anonymous.statuses[401] >= 0.9 * anonymous.requests

    modes = [HypothesisTestMode.EXAMPLES, HypothesisTestMode.COVERAGE]
    if not postgres:
        modes.append(HypothesisTestMode.FUZZING)
    admin = _pass(fuzz, fuzz.targets.headers, modes, FUZZ_EXAMPLES)
    lines.append(admin.line("admin"))
    with capsys.disabled():
        print("\n" + "\n".join(lines))
        if VERBOSE:
            every = {op.label for op in _ordered(fuzz.schema)}
            print("never 2xx:", sorted(every - admin.answered))

    assert _server_errors(admin) == 0, admin.report()
    assert not admin.failures, admin.report()
    assert admin.operations >= 90 and admin.requests >= 4500
    # the aimed cases get past the lookups: most operations answer 2xx at least once,
    # and far more requests answer something other than 404
    assert len(admin.answered) >= 80, sorted(admin.answered)
    assert admin.statuses[404] <= 0.2 * admin.requests


def test_the_document_declares_what_the_api_answers(anonymous: TestClient[Litestar]) -> None:
    """The document is valid OpenAPI; every error it declares is a problem document, and
    every operation under /api but sign-in declares 401, 403 and 503."""
    document = anonymous.get("/schema/openapi.json").json()
    schemathesis.openapi.from_dict(document).validate()
    assert document["components"]["schemas"]["Problem"]["required"] == [
        "type",
        "title",
        "status",
        "detail",
    ]
    operations = [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(operations) >= 90
    for method, path, operation in operations:
        responses = operation["responses"]
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/problem+json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path)
        if path.startswith("/api/") and path != "/api/auth/login":
            assert {"401", "403", "503"} <= set(responses), (method, path)
    maps = document["paths"]["/api/processes/{slug}/map"]["get"]["responses"]["200"]["content"]
    assert set(maps) == {"image/svg+xml", "image/png", "application/pdf", "text/vnd.graphviz"}
    upload = document["paths"]["/api/processes/import"]["post"]["requestBody"]["content"]
    assert set(upload) == {"application/yaml"}
