"""GraphQL over HTTP: the request and response side of /graphql.

Ariadne's handler executes; this subclass owns everything around it so that every answer is a
GraphQL-over-HTTP body with `extensions.code`, never plain text or a 500:

- POST with `application/json`, the body read with a size limit while it streams in (a declared
  Content-Length past the limit is refused without reading); GET with `?query=` for queries only
  (a mutation over GET is 405); OPTIONS answers the allowed methods; anything else is 405.
- The body must be UTF-8 JSON: an object with a string `query`, and `variables` / `extensions`
  objects (or null), `operationName` a string (or null). NaN, Infinity and numbers past a float
  are refused; so are variables nested deeper than `max_variables_depth`.
- POST with `multipart/form-data`: the GraphQL multipart request spec
  (https://github.com/jaydenseric/graphql-multipart-request-spec): an `operations` part (the JSON request
  whose Upload variables are null), a `map` part ({"<part name>": ["variables.<path>", ...]}) and the file
  parts; each file becomes an UploadFile in its variables (the scalar Upload, rustok.graphql.media). Files are
  spooled to temporary files while they stream in and closed when the response is sent. CSRF: a form of
  another site can post multipart/form-data without a CORS preflight, so such a request must carry a header a
  form cannot send: X-Tenant, Authorization, Apollo-Require-Preflight or X-Rustok-CSRF (CSRF_PREVENTED, 400).
  The body may be at most max_upload_files * max_upload_bytes + max_body_bytes (413); a single file past
  max_upload_bytes is still read, and the mutation answers it with a FILE_TOO_LARGE userError.
- Media types: `application/graphql-response+json` when the client accepts it (request errors are
  then 400 with no `data`), `application/json` otherwise (Ariadne's status rules: 400 when there is
  no data). Either way a database outage is 503 with Retry-After (rustok.db.DatabaseGate).

HTTP-level codes: BAD_REQUEST (400), CSRF_PREVENTED (400), PAYLOAD_TOO_LARGE (413), METHOD_NOT_ALLOWED (405),
UNSUPPORTED_MEDIA_TYPE (415); the GraphQL codes are documented in docs/graphql.md.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from http import HTTPStatus
from typing import Any

import orjson

from ariadne.asgi.handlers import GraphQLHTTPHandler
from ariadne.graphql import handle_graphql_errors
from graphql import GraphQLError, OperationType, get_operation_ast
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from rustok.graphql.cache import DocumentCache
from rustok.graphql.compiled import CompiledReads
from rustok.ids import InvalidIdError, parse_id
from rustok.graphql.limits import Limits, variables_depth_exceeds
from rustok.logs import request_log

log = logging.getLogger(__name__)

JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
ALLOWED_METHODS = "GET, POST, OPTIONS"
COMPILED_HEADERS = {"X-Execution": "compiled"}
# SQLSTATEs of a compiled read that ordinary execution reports to the caller: unknown tenant (P0002), module off
# (55000), refused arguments (22023, 22P02)
EXPECTED_COMPILED_REFUSALS = frozenset({"P0002", "55000", "22023", "22P02"})  # a compiled read answered (rustok.graphql.compiled)
READ_AFTER_HEADER = "X-Read-After"  # a mutation's position: read everything it wrote (rustok.replicas)
MULTIPART = "multipart/form-data"
# Headers a cross-site HTML form cannot send: one of them makes a multipart request CSRF-safe (a preflight).
CSRF_HEADERS = ("x-tenant", "authorization", "apollo-require-preflight", "x-rustok-csrf")
SPEC = "see https://github.com/jaydenseric/graphql-multipart-request-spec"


class HttpError(Exception):
    """A request refused before GraphQL execution: status, stable code, message, extra headers."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def negotiate(accept: str | None) -> str:
    """The response media type: graphql-response+json when preferred (or equal), else application/json."""
    if not accept:
        return JSON
    q_json = q_graphql = 0.0
    for part in accept.split(","):
        mime, *params = part.split(";")
        mime = mime.strip().lower()
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if mime == GRAPHQL_RESPONSE_JSON:
            q_graphql = max(q_graphql, q)
        elif mime in (JSON, "application/*", "*/*"):
            q_json = max(q_json, q)
    return GRAPHQL_RESPONSE_JSON if q_graphql > 0 and q_graphql >= q_json else JSON


def render_json(content: Any) -> bytes:
    """Compact UTF-8 JSON (orjson: several times json.dumps' speed on a page of products). What orjson refuses
    falls back to the standard library: a lone surrogate echoed from hostile input (written as \\u escapes), an
    integer beyond 64 bits. Floats are written as orjson writes them (1e-5 as 0.00001, 1.5e-07 as 1.5e-7); the
    compiled reads write theirs the same way (rustok.graphql.compiled._float4)."""
    try:
        return orjson.dumps(content)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def json_response(content: Any, status: int, media: str, headers: dict[str, str] | None = None) -> Response:
    return Response(render_json(content), status_code=status, headers=headers, media_type=media)


def error_body(code: str, message: str) -> dict:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:20]} is out of range")
    return value


def parse_json(body: bytes) -> Any:
    if not body.strip():
        raise HttpError(400, "BAD_REQUEST", 'the request body is empty; send {"query": "..."} as JSON')
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HttpError(400, "BAD_REQUEST", f"the request body is not valid UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError:
        raise HttpError(400, "BAD_REQUEST", "the request body is JSON nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, NaN/Infinity, out-of-range numbers, oversized integers
        raise HttpError(400, "BAD_REQUEST", f"the request body is not valid JSON: {str(exc)[:200]}") from None


class RustokHTTPHandler(GraphQLHTTPHandler):
    def __init__(self, documents: DocumentCache, *, max_body_bytes: int, retry_after: int,
                 compiled: CompiledReads | None = None, max_upload_bytes: int = 5 * 1024 * 1024,
                 max_upload_files: int = 10, **kwargs):
        super().__init__(**kwargs)
        self.max_upload_bytes = max_upload_bytes
        self.max_upload_files = max_upload_files
        self.documents = documents
        self.compiled = compiled
        self.limits: Limits = documents.limits
        self.max_body_bytes = max_body_bytes
        self.retry_after = retry_after

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope=scope, receive=receive)
        media = negotiate(request.headers.get("accept"))
        try:
            response = await self._respond(request, media)
        except HttpError as exc:
            request_log().error_codes.append(exc.code)
            response = json_response(error_body(exc.code, exc.message), exc.status, media, exc.headers)
        except ClientDisconnect:
            log.info("client disconnected before sending the whole request")
            return
        except Exception:  # a bug: say so in the log with context, never a stack trace to the client
            log.exception("unexpected error serving %s %s", request.method, request.url.path)
            response = json_response(error_body("INTERNAL", "internal error; it has been logged"), 500, media)
        finally:
            for upload in getattr(request.state, "uploads", ()):   # spooled upload files: gone with the request
                await upload.close()
        await response(scope, receive, send)

    async def _respond(self, request: Request, media: str) -> Response:
        method = request.method
        if method == "OPTIONS":
            return Response(status_code=204, headers={"Allow": ALLOWED_METHODS})
        if method == "GET":
            if "query" not in request.query_params and "extensions" not in request.query_params:
                if self.introspection and self.explorer:
                    return await self.render_explorer(request, self.explorer)
                raise HttpError(400, "BAD_REQUEST", "GET needs a ?query= parameter")
            data = self._data_from_query_string(request)
        elif method == "POST":
            data = await self._data_from_body(request)
        else:
            raise HttpError(405, "METHOD_NOT_ALLOWED", f"{method} is not supported here: use POST (GET for queries)",
                            {"Allow": ALLOWED_METHODS})
        persisted = self._persisted_query(data)
        if persisted is not None:
            return persisted if isinstance(persisted, Response) else json_response(persisted, 200, media)
        self._check_request(data)
        request_log().operation = data.get("operationName")
        try:
            document = self.documents.parse(None, data)
        except GraphQLError as error:
            _, result = handle_graphql_errors([error], logger=self.logger, error_formatter=self.error_formatter,
                                              debug=self.debug)
            return self._graphql_response(result, media)
        operation = get_operation_ast(document, data.get("operationName"))
        if operation is not None:
            if request_log().operation is None and operation.name is not None:
                request_log().operation = operation.name.value
            if method == "GET" and operation.operation != OperationType.QUERY:
                raise HttpError(405, "METHOD_NOT_ALLOWED",
                                f"a {operation.operation.value} cannot be sent with GET; use POST", {"Allow": "POST"})
        # Routing (rustok.replicas): a plain query may be served by a read replica, after the position of
        # X-Read-After when the client sends one; a read that fails on a replica is run again on the primary.
        request.state.read_only = operation is not None and operation.operation == OperationType.QUERY
        request.state.read_after = self._read_after(request)
        if self.compiled is not None and request.state.read_only:
            body = await self._run_compiled(request, document, data)
            if body is not None:
                return Response(body, status_code=200, media_type=media, headers=COMPILED_HEADERS)
        _, result = await self.execute_graphql_query(request, data, query_document=document)
        view = getattr(request.state, "db_view", None)
        if view is not None and view.replica_failed:
            log.warning("a read failed on a replica; running it again on the primary")
            view.router.stats.retried_on_primary += 1
            request.state.force_primary = True
            _, result = await self.execute_graphql_query(request, data, query_document=document)
        return self._graphql_response(result, media)

    async def _run_compiled(self, request: Request, document, data: dict) -> bytes | None:
        """The response body of a compiled read (rustok.graphql.compiled), or None: ordinary execution answers."""
        headers = request.headers
        tenant = headers.get("x-tenant")
        if (not tenant or "authorization" in headers or "x-index-position" in headers
                or request.state.read_after is not None):
            return None
        return await self.compiled.answer(request.app.state.router, self.documents, document,
                                          data.get("operationName"), data.get("variables"), tenant)

    def _persisted_query(self, data: Any) -> dict | None:
        """Automatic persisted queries (the protocol of Apollo's clients): `extensions.persistedQuery.sha256Hash`
        stands for a query text the server has seen. With the text too, the server checks the hash and keeps the
        text (bounded: rustok.graphql.cache); with the hash alone it fills in the text, or answers
        PERSISTED_QUERY_NOT_FOUND so that the client sends both once. Small GETs of hashes are cacheable."""
        if not isinstance(data, dict) or not isinstance(data.get("extensions"), dict):
            return None
        spec = data["extensions"].get("persistedQuery")
        if spec is None:
            return None
        digest = spec.get("sha256Hash") if isinstance(spec, dict) else None
        if not isinstance(digest, str) or len(digest) != 64 or (isinstance(spec, dict) and spec.get("version", 1) != 1):
            raise HttpError(400, "BAD_REQUEST", "extensions.persistedQuery: expected {version: 1, sha256Hash: "
                                                "<64 hex characters of the query text's SHA-256>}")
        query = data.get("query")
        if isinstance(query, str) and query:
            if hashlib.sha256(query.encode("utf-8")).hexdigest() != digest.lower():
                raise HttpError(400, "BAD_REQUEST", "extensions.persistedQuery.sha256Hash does not match the query text")
            self.documents.remember_persisted(digest.lower(), query)
            return None
        known = self.documents.persisted(digest.lower())
        if known is None:
            request_log().error_codes.append("PERSISTED_QUERY_NOT_FOUND")
            return error_body("PERSISTED_QUERY_NOT_FOUND",
                              "PersistedQueryNotFound: send the query text with this hash once")
        data["query"] = known
        return None

    @staticmethod
    def _read_after(request: Request):
        raw = request.headers.get(READ_AFTER_HEADER)
        if not raw:
            return None
        try:
            return parse_id(raw)
        except InvalidIdError:
            raise HttpError(400, "BAD_USER_INPUT", f"{READ_AFTER_HEADER}: expected a position returned by a mutation "
                                                   f"(got {raw[:40]!r})") from None

    # -- reading the request ------------------------------------------------------------------

    async def _data_from_body(self, request: Request) -> Any:
        content_type = request.headers.get("content-type", "")
        mime = content_type.split(";")[0].strip().lower()
        if mime == MULTIPART:
            return await self._data_from_multipart(request)
        if mime != JSON:
            raise HttpError(415, "UNSUPPORTED_MEDIA_TYPE",
                            f"send the request as {JSON} (or {MULTIPART} to upload files; got {mime or 'none'})",
                            {"Accept-Post": f"{JSON}, {MULTIPART}"})
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise self._too_large()
        body = bytearray()
        async for chunk in request.stream():  # the limit holds while reading, whatever was declared
            body += chunk
            if len(body) > self.max_body_bytes:
                raise self._too_large()
        return parse_json(bytes(body))

    async def _data_from_multipart(self, request: Request) -> dict:
        """The GraphQL multipart request spec: `operations`, then `map`, then the files; answers the request
        dict with each mapped variable set to its UploadFile."""
        if not any(h in request.headers for h in CSRF_HEADERS):
            raise HttpError(400, "CSRF_PREVENTED",
                            "a multipart request must carry one of the headers X-Tenant, Authorization, "
                            "Apollo-Require-Preflight or X-Rustok-CSRF (a cross-site form cannot send them)")
        cap = self.max_upload_files * self.max_upload_bytes + self.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > cap:
            raise self._upload_too_large(cap)
        parser = MultiPartParser(request.headers, _capped(request.stream(), cap), max_files=self.max_upload_files,
                                 max_fields=2, max_part_size=self.max_body_bytes)
        try:
            form = await parser.parse()
        except _TooLarge:
            raise self._upload_too_large(cap) from None
        except MultiPartException as exc:
            raise HttpError(400, "BAD_REQUEST", f"the multipart body was refused: {exc.message} ({SPEC})") from None
        files = {name: value for name, value in form.multi_items() if isinstance(value, UploadFile)}
        request.state.uploads = list(files.values())
        fields = {name: value for name, value in form.multi_items() if not isinstance(value, UploadFile)}
        for name in ("operations", "map"):
            if name not in fields:
                raise HttpError(400, "BAD_REQUEST", f"the multipart request has no `{name}` field ({SPEC})")
        try:
            operations = parse_json(fields["operations"].encode("utf-8", "surrogatepass"))
            files_map = parse_json(fields["map"].encode("utf-8", "surrogatepass"))
        except HttpError as exc:
            raise HttpError(400, "BAD_REQUEST", f"operations or map: {exc.message}") from None
        if not isinstance(operations, dict):
            raise HttpError(400, "BAD_REQUEST", f"`operations` must be one JSON request object (no batches; {SPEC})")
        if not isinstance(files_map, dict):
            raise HttpError(400, "BAD_REQUEST", f'`map` must be a JSON object {{"<file part>": ["variables.<name>"]}} ({SPEC})')
        for name, paths in files_map.items():
            if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
                raise HttpError(400, "BAD_REQUEST", f"map[{name!r}]: expected a non-empty list of paths like "
                                                    f'"variables.file" ({SPEC})')
            if name not in files:
                raise HttpError(400, "BAD_REQUEST", f"map[{name!r}]: the request has no file part named {name!r}")
            for path in paths:
                _put_file(operations, path, files[name])
        return operations

    def _upload_too_large(self, cap: int) -> HttpError:
        return HttpError(413, "PAYLOAD_TOO_LARGE",
                         f"the upload is larger than {cap} bytes (at most {self.max_upload_files} files of "
                         f"{self.max_upload_bytes} bytes each)")

    def _too_large(self) -> HttpError:
        return HttpError(413, "PAYLOAD_TOO_LARGE",
                         f"the request body is larger than {self.max_body_bytes} bytes; send less data per request")

    def _data_from_query_string(self, request: Request) -> dict:
        params = request.query_params
        data: dict[str, Any] = {"query": params.get("query"), "operationName": params.get("operationName") or None}
        for key in ("variables", "extensions"):
            raw = params.get(key)
            if raw:
                try:
                    data[key] = parse_json(raw.encode("utf-8", "surrogatepass"))
                except HttpError as exc:
                    raise HttpError(400, "BAD_REQUEST", f"the {key} parameter: {exc.message}") from None
        return data

    def _check_request(self, data: Any) -> None:
        if not isinstance(data, dict):
            raise HttpError(400, "BAD_REQUEST", 'the request must be a JSON object: {"query": "...", "variables": {}}')
        if not isinstance(data.get("query"), str) or not data["query"].strip():
            raise HttpError(400, "BAD_REQUEST", "`query` must be a non-empty string holding a GraphQL document")
        for key in ("variables", "extensions"):
            if data.get(key) is not None and not isinstance(data[key], dict):
                raise HttpError(400, "BAD_REQUEST", f"`{key}` must be an object or null")
        if data.get("operationName") is not None and not isinstance(data["operationName"], str):
            raise HttpError(400, "BAD_REQUEST", "`operationName` must be a string or null")
        if data.get("variables") and variables_depth_exceeds(data["variables"], self.limits.max_variables_depth):
            raise HttpError(400, "BAD_USER_INPUT",
                            f"variables are nested deeper than {self.limits.max_variables_depth} levels")

    # -- the response ---------------------------------------------------------------------------

    def _graphql_response(self, result: dict, media: str) -> Response:
        errors = result.get("errors") or ()
        codes = [(e.get("extensions") or {}).get("code") for e in errors]
        request_log().error_codes.extend(c for c in codes if c)
        # A request error (syntax, validation, variables): nothing executed, so no error has a path.
        request_error = bool(errors) and result.get("data") is None and all("path" not in e for e in errors)
        headers = {}
        if "UNAVAILABLE" in codes:
            status = HTTPStatus.SERVICE_UNAVAILABLE
            headers["Retry-After"] = str(self.retry_after)
        elif "RATE_LIMITED" in codes and result.get("data") is None:
            # a throttled login: the whole operation was refused; say when to come back
            status = HTTPStatus.TOO_MANY_REQUESTS
            waits = [(e.get("extensions") or {}).get("retryAfter") for e in errors]
            headers["Retry-After"] = str(max((int(w) for w in waits if isinstance(w, (int, float))), default=1))
        elif media == GRAPHQL_RESPONSE_JSON:
            if request_error:
                result.pop("data", None)
            status = HTTPStatus.BAD_REQUEST if request_error else HTTPStatus.OK
        else:  # application/json keeps Ariadne's rule: 400 when errors left no data
            status = HTTPStatus.BAD_REQUEST if errors and result.get("data") is None else HTTPStatus.OK
        return json_response(result, status, media, headers)


class _TooLarge(MultiPartException):
    def __init__(self):
        super().__init__("the body is too large")


async def _capped(stream, cap: int):
    """The request's chunks, refusing (with _TooLarge, which the form parser answers by closing its files) once
    more than `cap` bytes came in."""
    size = 0
    async for chunk in stream:
        size += len(chunk)
        if size > cap:
            raise _TooLarge()
        yield chunk


def _put_file(operations: dict, path: str, upload: UploadFile) -> None:
    """Put an upload at a `map` path ("variables.file", "variables.files.0") of operations: the spec's slot there
    must exist and be null."""
    keys = path.split(".")
    bad = HttpError(400, "BAD_REQUEST", f"map: the path {path!r} does not name a null variable of operations "
                                        f"(expected e.g. \"variables.file\"; {SPEC})")
    if len(keys) < 2 or keys[0] != "variables" or len(keys) > 12:
        raise bad
    target = operations.get("variables")
    for key in keys[1:-1]:
        if isinstance(target, dict) and key in target:
            target = target[key]
        elif isinstance(target, list) and key.isdigit() and int(key) < len(target):
            target = target[int(key)]
        else:
            raise bad
    last = keys[-1]
    if isinstance(target, dict) and last in target and target[last] is None:
        target[last] = upload
    elif isinstance(target, list) and last.isdigit() and int(last) < len(target) and target[int(last)] is None:
        target[int(last)] = upload
    else:
        raise bad
