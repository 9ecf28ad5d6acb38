"""A simulated BHXH (Vietnam Social Security) health-insurance gateway: a real HTTP server on loopback
(docs/insurance.md: what is known about the real one and what is guessed).

It speaks the shape public hospital integrations use with the real gateway:

* ``POST /api/token/take`` with JSON ``{"username", "password"}`` (the password as its MD5 hex digest) →
  ``{"maKetQua": "200", "APIKey": {"access_token", "id_token", "token_type", "username", "expires_in"}}``,
  or ``{"maKetQua": "401"}`` for wrong credentials;
* ``POST /api/egw/KQNhanLichSuKCB2024?token=…&id_token=…&username=…&password=…`` with JSON ``{"maThe"`` (the
  card code or the 12-digit CCCD number), ``"hoTen"``, ``"ngaySinh"`` (``dd/mm/yyyy`` or ``yyyy``),
  ``"hoTenCb"``, ``"cccdCb"}`` (the officer making the check) → ``{"maKetQua", "ghiChu", "maThe", "hoTen",
  "ngaySinh", "gioiTinh", "diaChi", "maDKBD", "tenDKBD", "gtTheTu", "gtTheDen", "maKV", "ngayDu5Nam",
  "maSoBHXH", ...}``; a bad or expired token is HTTP 401.

Each citizen's answer is scripted (:data:`SCENARIOS`): ``valid``, ``expired``, ``wrong_facility`` (valid,
registered at another facility), ``not_found``, ``slow`` (answers after :attr:`BhxhGateway.slow_seconds`),
``down`` (HTTP 503 on every call, token included), ``malformed`` (a 200 answer that is not JSON), plus
``wrong_name`` and ``wrong_birth_date`` when the request does not match the card.  Nothing here is the real
gateway's code or data; the people are the simulated card profiles.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN_PATH = "/api/token/take"  # noqa: S105 - a URL path, not a password
CHECK_PATH = "/api/egw/KQNhanLichSuKCB2024"
SCENARIOS = ("valid", "expired", "wrong_facility", "not_found", "slow", "down", "malformed")
MAX_BODY = 64 * 1024


@dataclass(frozen=True, slots=True)
class InsuredPerson:
    """One insured citizen as the gateway knows them (fake data)."""

    cccd: str
    full_name: str
    birth_date: str  # dd/mm/yyyy
    sex: str  # "Nam" | "Nữ"
    card_code: str  # 15 characters: group (2), benefit level (1), province (2), BHXH number (10)
    facility_code: str  # maDKBD: registered primary-care facility
    facility_name: str
    valid_from: str  # dd/mm/yyyy
    valid_to: str
    address: str = ""
    five_years_from: str = ""  # ngayDu5Nam


def _default_people() -> dict[str, InsuredPerson]:
    """The simulated card profiles (sims/profiles/*.toml) as insured people."""
    return {
        "079303001234": InsuredPerson(
            "079303001234", "Nguyễn Thị Mai Anh", "15/06/2003", "Nữ", "SV4797930300123", "79001",
            "Bệnh viện Chợ Rẫy", "01/01/2026", "31/12/2030",
            "12 Nguyễn Trãi, Phường Bến Thành, Quận 1, Thành phố Hồ Chí Minh",
        ),
    }  # fmt: skip


@dataclass
class BhxhGateway:
    """The gateway's state: accounts, insured people, scripted answers (thread-safe enough for tests)."""

    username: str = "01001_BV"
    password: str = "sim-password"  # noqa: S105 - the simulated gateway's test account
    people: dict[str, InsuredPerson] = field(default_factory=_default_people)
    scenarios: dict[str, str] = field(default_factory=dict)  # CCCD or card code → scenario
    default_scenario: str = "valid"
    slow_seconds: float = 5.0
    token_lifetime: int = 1800
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (path, body) without passwords
    _tokens: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def script(self, key: str, scenario: str) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}")
        self.scenarios[key] = scenario

    def scenario_for(self, key: str) -> str:
        return self.scenarios.get(key, self.default_scenario)

    def expire_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

    # --- the two calls ---

    def take_token(self, body: Mapping[str, Any]) -> tuple[int, Any]:
        if self.default_scenario == "down":
            return 503, {"message": "Service Unavailable"}
        expected = hashlib.md5(self.password.encode(), usedforsecurity=False).hexdigest()
        user, given = str(body.get("username", "")), str(body.get("password", "")).lower()
        if user != self.username or not secrets.compare_digest(given, expected):
            return 200, {"maKetQua": "401", "APIKey": None}
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = time.monotonic() + self.token_lifetime
        api_key = {"access_token": token, "id_token": secrets.token_urlsafe(16), "token_type": "bearer",
                   "username": user, "expires_in": self.token_lifetime}  # fmt: skip
        return 200, {"maKetQua": "200", "APIKey": api_key}

    def _token_ok(self, token: str) -> bool:
        with self._lock:
            expiry = self._tokens.get(token)
        return expiry is not None and expiry > time.monotonic()

    def check_card(self, query: Mapping[str, str], body: Mapping[str, Any]) -> tuple[int, Any]:
        if not self._token_ok(query.get("token", "")):
            return 401, {"message": "Unauthorized"}
        if query.get("username") != self.username:
            return 200, {"maKetQua": "401", "ghiChu": "Lỗi xác thực tài khoản."}
        key = str(body.get("maThe", "")).strip()
        if not key or not body.get("hoTen") or not body.get("hoTenCb") or not body.get("cccdCb"):
            return 200, {"maKetQua": "205", "ghiChu": "Lỗi sai tham số truyền vào."}
        person = self.people.get(key) or next((p for p in self.people.values() if p.card_code == key), None)
        scenario = self.scenario_for(person.cccd if person else key)
        if scenario == "slow":
            time.sleep(self.slow_seconds)
            scenario = "valid"
        if scenario == "down":
            return 503, {"message": "Service Unavailable"}
        if scenario == "malformed":
            return 200, "<html><body>Hệ thống đang bảo trì</body></html>"
        if person is None or scenario == "not_found":
            return 200, {"maKetQua": "050", "ghiChu": "Không thấy thông tin thẻ BHYT."}
        if _fold(str(body.get("hoTen"))) != _fold(person.full_name):
            return 200, {"maKetQua": "060", "ghiChu": "Thẻ sai họ tên."}
        dob = str(body.get("ngaySinh", ""))
        if dob not in (person.birth_date, person.birth_date[-4:]):
            return 200, {"maKetQua": "070", "ghiChu": "Thẻ sai ngày sinh."}
        answer = _card_answer(person)
        if scenario == "expired":
            answer.update(maKetQua="010", ghiChu="Thẻ hết giá trị sử dụng.", gtTheTu="01/01/2025",
                          gtTheDen="31/12/2025")  # fmt: skip
        elif scenario == "wrong_facility":
            answer.update(maDKBD="01002", tenDKBD="Trạm y tế Phường Phúc Xá")
        return 200, answer


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


def _card_answer(p: InsuredPerson) -> dict[str, Any]:
    return {
        "maKetQua": "000", "ghiChu": "Thẻ còn giá trị sử dụng.", "maThe": p.card_code, "hoTen": p.full_name,
        "ngaySinh": p.birth_date, "gioiTinh": p.sex, "diaChi": p.address, "maDKBD": p.facility_code,
        "tenDKBD": p.facility_name, "cqBHXH": "Bảo hiểm xã hội (mô phỏng)", "gtTheTu": p.valid_from,
        "gtTheDen": p.valid_to, "maKV": "", "ngayDu5Nam": p.five_years_from, "maSoBHXH": p.card_code[-10:],
        "maTheCu": None, "maTheMoi": None, "gtTheTuMoi": None, "gtTheDenMoi": None, "maDKBDMoi": None,
        "tenDKBDMoi": None, "dsLichSuKCB2018": None, "dsLichSuKT2018": None,
    }  # fmt: skip


class _Handler(BaseHTTPRequestHandler):
    server: BhxhServer

    def log_message(self, format: str, *args: Any) -> None:  # no query strings, no bodies in any log
        return

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY:
            self._send(413, {"message": "too large"})
            return
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            self._send(400, {"maKetQua": "205", "ghiChu": "Lỗi sai tham số truyền vào."})
            return
        gw = self.server.gateway
        gw.calls.append((parts.path, {k: v for k, v in body.items() if k != "password"}))
        if parts.path == TOKEN_PATH:
            status, answer = gw.take_token(body)
        elif parts.path == CHECK_PATH:
            status, answer = gw.check_card(query, body)
        else:
            status, answer = 404, {"message": "Not Found"}
        self._send(status, answer)

    def _send(self, status: int, answer: Any) -> None:
        raw = answer.encode() if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False).encode()
        ctype = "text/html; charset=utf-8" if isinstance(answer, str) else "application/json; charset=utf-8"
        try:
            self.send_response(status)
            self.send_header("content-type", ctype)
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a slow answer)
            pass


class BhxhServer(ThreadingHTTPServer):
    """``with BhxhServer(gateway) as s: s.url`` — serves on 127.0.0.1, a free port, in a daemon thread."""

    daemon_threads = True

    def __init__(self, gateway: BhxhGateway | None = None, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.gateway = gateway or BhxhGateway()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> BhxhServer:
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(5)
