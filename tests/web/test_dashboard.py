"""`auditor serve`: the dashboard started as a user starts it (its own process, on a free loopback
port, over a real SQLite file and a throwaway PostgreSQL), driven by Debian's chromium through
selenium as a person would use it: the province, a unit with its link's graph, a search by serial,
a device, a link over another window, the documents to download, English, a phone.  A screenshot
of each page is kept under build/screenshots/ (AUDITOR_TEST_ARTIFACTS to put them elsewhere)."""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import io
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from auditor.db.engine import open_database
from auditor.lab.history import Pattern, seed_link
from tests.conftest import Cli
from tests.register.test_import import write_csv

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
needs_browser = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="Debian's chromium and chromium-driver are not installed (.ci/run installs them)",
)
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("AUDITOR_TEST_ARTIFACTS", REPO / "build" / "screenshots"))
HOSTILE_UNIT = '<script>document.title="pwned"</script>Xã Hưng Phúc'
HOSTILE_MODEL = '=HYPERLINK("http://evil.example/","bấm vào")'
SECRETS = ("s3cret-community-42", "env-secret-99", "pg-pass-7f3")
SERIAL = "SN-DB-77123"
AUDITOR = str(Path(sys.executable).with_name("auditor"))


def _province(auditor: Cli, workdir: Path) -> None:
    write_csv(
        workdir / "units.csv",
        [
            ["unit_code", "unit_name", "unit_kind", "staff_count"],
            ["XA-A", HOSTILE_UNIT, "Đảng ủy xã", "12"],
            ["XA-B", "Đảng ủy xã Bình Minh", "Đảng ủy xã", "9"],
        ],
    )
    year = dt.date.today().year
    write_csv(
        workdir / "devices.csv",
        [
            [
                "unit_code",
                "asset_tag",
                "hostname",
                "ip",
                "category",
                "model",
                "serial",
                "in_service_year",
                "snmp_community",
            ],
            [
                "XA-A",
                "TS-A-1",
                "xa-a-gw",
                "127.0.0.9",
                "Thiết bị định tuyến",
                "SRX300",
                "SN-GW-1",
                str(year - 3),
                SECRETS[0],
            ],
            ["XA-A", "TS-A-2", "xa-a-pc1", "", "Máy vi tính để bàn", HOSTILE_MODEL, SERIAL, str(year - 14), ""],
            ["XA-B", "TS-B-1", "xa-b-pc1", "", "Máy vi tính để bàn", "OptiPlex 7010", "SN-B-1", str(year - 2), ""],
        ],
    )
    write_csv(
        workdir / "links.csv",
        [
            ["unit_code", "name", "capacity_down_mbps", "capacity_up_mbps", "device"],
            ["XA-A", "TSLCD", "30", "30", "xa-a-gw"],
            ["XA-B", "TSLCD", "100", "100", ""],
        ],
    )
    for sheet in ("units", "devices", "links"):
        auditor.ok("register", "import", f"{sheet}.csv")
    ids = {row["unit_code"]: row["id"] for row in json.loads(auditor.ok("links", "list", "--format", "json").stdout)}
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with open_database(auditor.db_url) as database:
        seed_link(database, ids["XA-A"], Pattern(28.5, 3, 2, 1, jitter=0), now, seed=1)  # congested
        seed_link(database, ids["XA-B"], Pattern(10, 2, 1, 1, jitter=0), now, seed=2)  # fine
    auditor.ok("audit", "--no-poll")


@contextmanager
def served(db_url: str, workdir: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """`auditor serve` in its own process until the block ends; its address."""
    process = subprocess.Popen(
        [AUDITOR, "serve", "--port", "0", *args, "--db", db_url],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "AUDITOR_SNMP_COMMUNITIES": SECRETS[1], **(env or {})},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # "Dashboard: http://127.0.0.1:PORT/ …", or nothing when it failed
        found = re.search(r"http://\S+/", line)
        assert found, f"the dashboard did not start: {line!r} {process.stderr.read() if process.stderr else ''}"
        yield found.group(0)
    finally:
        process.terminate()
        process.wait(timeout=10)


def fetch(
    url: str, opener: urllib.request.OpenerDirector | None = None, data: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    try:
        with (opener or urllib.request.build_opener()).open(url, data=data, timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("Debian's chromium and chromium-driver are not installed (.ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=vi"):
        options.add_argument(flag)
    # The browser keeps the real clock: under `make test-future` libfaketime would stall chromium's
    # threads, and what is under test (the server, its data) keeps the clock it was given.
    real_clock = {
        k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME") and not k.startswith("FAKETIME_")
    }
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER, env=real_clock), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _shot(driver: Any, name: str, width: int = 1280) -> Path:
    """The whole page as a person scrolls it, kept as the test's artefact."""
    driver.set_window_size(width, 900)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(max(height, 600), 6000))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def _loaded(driver: Any, image: Any) -> bool:
    return bool(driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", image))


def _submitted(driver: Any, form_field: Any, url_part: str) -> None:
    """Submit the field's form and wait for the page it leads to: a submit, unlike a click on a
    link, returns before the browser has gone there (a loaded machine shows the difference)."""
    from selenium.webdriver.support import expected_conditions

    form_field.submit()
    _wait(driver, expected_conditions.url_contains(url_part))


def _wait(driver: Any, condition: Any) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 15).until(condition)  # fails the test with a TimeoutException after 15 s


@needs_browser
def test_the_dashboard_as_a_person_uses_it(auditor: Cli, workdir: Path, browser: Any, db_url: str) -> None:
    from selenium.webdriver.common.by import By

    _province(auditor, workdir)
    kind = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    seen: list[str] = []
    with served(auditor.db_url, workdir) as address:
        browser.delete_all_cookies()
        browser.set_window_size(1280, 900)
        browser.get(address)
        seen.append(browser.page_source)
        rows = browser.find_elements(By.CSS_SELECTOR, "table.units tbody tr")
        assert [r.find_element(By.CSS_SELECTOR, "td a").text for r in rows] == ["XA-A", "XA-B"], "the worst first"
        assert "quá tải" in rows[0].text and "đáp ứng" in rows[1].text
        assert HOSTILE_UNIT in rows[0].text, "a hostile name is shown as the text it is"
        assert browser.title.endswith("— auditor") and "pwned" not in browser.title, "and never runs"
        assert rows[0].find_element(By.CSS_SELECTOR, "svg.spark polyline"), "the link's week as a sparkline"
        _shot(browser, f"province-{kind}")

        rows[0].find_element(By.LINK_TEXT, "XA-A").click()
        assert "/unit/XA-A" in browser.current_url
        graph = browser.find_element(By.CSS_SELECTOR, "img.graph")
        assert _loaded(browser, graph), "the unit's link graph is drawn"
        assert HOSTILE_MODEL in browser.find_element(By.TAG_NAME, "main").text
        seen.append(browser.page_source)
        _shot(browser, f"unit-{kind}")

        box = browser.find_element(By.NAME, "q")
        box.send_keys(SERIAL.lower())
        _submitted(browser, box, "/search")
        seen.append(browser.page_source)
        _shot(browser, f"search-{kind}")
        browser.find_element(By.LINK_TEXT, "TS-A-2").click()
        assert SERIAL in browser.find_element(By.TAG_NAME, "main").text and "/device/" in browser.current_url
        seen.append(browser.page_source)
        _shot(browser, f"device-{kind}")

        browser.get(address + "unit/XA-A")
        browser.find_element(By.CSS_SELECTOR, "h2 a").click()  # the link's name: its page
        picker = browser.find_element(By.NAME, "days")
        picker.find_element(By.CSS_SELECTOR, "option[value='1']").click()
        _submitted(browser, picker, "days=1")
        _wait(browser, lambda d: _loaded(d, d.find_element(By.CSS_SELECTOR, "img.graph")))  # the day's graph
        page = browser.find_element(By.TAG_NAME, "main").text
        assert "Phân vị 95 chiều vào" in page and "Đường truyền XA-A / TSLCD" in page, (
            "the figures and the justification"
        )
        seen.append(browser.page_source)
        _shot(browser, f"link-{kind}")

        browser.find_element(By.LINK_TEXT, "English").click()
        assert browser.find_element(By.CSS_SELECTOR, "header button").text == "Search"
        browser.get(address)  # the choice is kept
        assert "the worst first" in browser.find_element(By.TAG_NAME, "main").text
        browser.get(address + "?lang=vi")

        browser.set_window_size(390, 844)  # a phone
        browser.get(address)
        first = browser.find_element(By.CSS_SELECTOR, "table.units tbody tr")
        assert first.find_element(By.CSS_SELECTOR, ".verdict").is_displayed(), "the verdict stays on a phone"
        assert not first.find_element(By.CSS_SELECTOR, "svg.spark").is_displayed()
        _shot(browser, f"province-phone-{kind}", width=390)

        status, headers, workbook = fetch(address + "download/danh-muc-de-xuat.xlsx")
        assert status == 200 and "attachment" in headers["Content-Disposition"]
        assert "Đường truyền" in openpyxl.load_workbook(io.BytesIO(workbook)).sheetnames
        status, _, record = fetch(address + "download/bien-ban-kiem-ke-XA-A.xlsx")
        assert status == 200 and openpyxl.load_workbook(io.BytesIO(record)).sheetnames == ["XA-A"]
        status, headers, svg = fetch(address + f"link/{_link_id(auditor, 'XA-A')}/graph.svg")
        assert status == 200 and headers["Content-Type"].startswith("image/svg+xml") and b"<svg" in svg[:400]
        assert "default-src 'none'" in headers["Content-Security-Policy"] and headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff" and "Server" not in headers

    served_text = "\n".join(seen) + _xlsx_text(workbook) + _xlsx_text(record) + svg.decode()
    for secret in SECRETS:
        assert secret not in served_text, "no community, key or password in anything served"


def _link_id(auditor: Cli, unit: str) -> int:
    return next(
        r["id"] for r in json.loads(auditor.ok("links", "list", "--format", "json").stdout) if r["unit_code"] == unit
    )


def _xlsx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return "\n".join(book.read(n).decode("utf-8", "replace") for n in book.namelist() if n.endswith(".xml"))


def test_bad_requests_get_a_page_and_the_server_stays_up(auditor: Cli, workdir: Path) -> None:
    _province(auditor, workdir)
    with served(auditor.db_url, workdir) as address:
        for path, code, words in (
            ("unit/XA-KHONGCO", 404, "Không có mục nào như vậy."),
            ("device/999999", 404, "Không có mục nào như vậy."),
            ("link/999999", 404, "Không có mục nào như vậy."),
            ("link/1?days=abc", 400, "Yêu cầu không hợp lệ."),
            ("link/1?days=9999", 400, "Yêu cầu không hợp lệ."),
            ("download/bien-ban-kiem-ke-XA-KHONGCO.xlsx", 404, "Không có mục nào như vậy."),
            ("nothing/here", 404, "Không có mục nào như vậy."),
        ):
            status, headers, body = fetch(address + path)
            assert (status, words) == (code, words if words in body.decode() else body.decode()[:300]), path
            assert "default-src 'none'" in headers["Content-Security-Policy"], "error pages too"
        status, _, _ = fetch(address, data=b"x=1")
        assert status == 405, "every page is read only"
        request = urllib.request.Request(address, method="OPTIONS")
        assert fetch(request)[0] == 405  # type: ignore[arg-type]
        evil = urllib.request.Request(address + "download/danh-muc-de-xuat.xlsx", headers={"Host": "evil.example"})
        status, _, body = fetch(evil)  # type: ignore[arg-type]
        assert status == 400 and b"PK" not in body[:2], "a page elsewhere cannot reach it through a DNS name of its own"
        try:
            status, _, _ = fetch(address + "search?q=" + "x" * 1_000_000)
        except (ConnectionError, urllib.error.URLError):
            status = 431  # waitress may close the connection on a request it will not read
        assert status in (400, 413, 431)
        status, _, body = fetch(address + "search?q=" + urllib.parse.quote("<b>x</b>" * 50))
        assert status == 200 and b"<b>x</b>" not in body and b"&lt;b&gt;x&lt;/b&gt;" in body
        status, _, body = fetch(address + "search?q=binh+minh")
        assert status == 200 and "XA-B" in body.decode(), "diacritics and case aside: Bình Minh"
        status, _, body = fetch(address + "search?q=%25")
        assert status == 200 and "Không tìm thấy." in body.decode(), "punctuation alone finds nothing"
        assert fetch(address)[0] == 200, "the server is still up"


def test_another_address_needs_users_and_a_login(auditor: Cli, workdir: Path) -> None:
    refused = subprocess.run(
        [AUDITOR, "serve", "--listen", "0.0.0.0", "--port", "0", "--db", auditor.db_url],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert refused.returncode == 1 and "without a login" in refused.stderr and "[serve.users]" in refused.stderr

    made = subprocess.run(
        [AUDITOR, "serve", "--hash-password"], input="a long passphrase\n", capture_output=True, text=True, timeout=30
    )
    line = made.stdout.strip()
    assert made.returncode == 0 and line.startswith("scrypt:") and "a long passphrase" not in line
    (workdir / "auditor.toml").write_text(f'[serve.users]\nvanthu = "{line}"\n', encoding="utf-8")
    shown = subprocess.run(
        [AUDITOR, "config", "show", "--db", auditor.db_url], cwd=workdir, capture_output=True, text=True
    )
    assert 'vanthu = "********"' in shown.stdout and line not in shown.stdout, "config show masks the hashes"

    with served(auditor.db_url, workdir, "--listen", "127.0.0.2") as address:  # another loopback address
        assert address.startswith("http://127.0.0.2:")
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        status, _, body = fetch(address + "unit/XA-A", opener)
        assert status == 200 and "Đăng nhập" in body.decode() and "XA-A" not in body.decode(), "a login first"
        wrong = urllib.parse.urlencode({"name": "vanthu", "password": "not it"}).encode()
        status, _, body = fetch(address + "login?next=/unit/XA-A", opener, wrong)
        assert status == 401 and "Tên hoặc mật khẩu không đúng." in body.decode()
        right = urllib.parse.urlencode({"name": "vanthu", "password": "a long passphrase"}).encode()
        status, _, body = fetch(address + "login?next=/", opener, right)
        assert status == 200 and "Đơn vị" in body.decode(), "in, and back to the page asked"
        cookie = next(iter(jar))
        assert cookie.has_nonstandard_attr("HttpOnly") and cookie.get_nonstandard_attr("SameSite") == "Strict"
        status, _, body = fetch(address + "login?next=//evil.example/", opener, right)
        assert status == 200 and "evil" not in body.decode(), "never sent elsewhere after a login"

        copied = http.cookiejar.CookieJar()  # the cookie, copied elsewhere before the logout
        for kept in jar:
            copied.set_cookie(kept)
        fetch(address + "logout", opener)
        elsewhere = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(copied))
        status, _, body = fetch(address + "unit/XA-A", elsewhere)
        assert "Đăng nhập" in body.decode() and "XA-A" not in body.decode(), "a logout ends the login everywhere"

        for _ in range(4):  # with the one above, five
            assert fetch(address + "login", opener, wrong)[0] == 401
        status, _, body = fetch(address + "login", opener, right)
        assert status == 429 and "chờ năm phút" in body.decode(), (
            "five failures: this address waits, even with the password"
        )


@pytest.mark.postgres
def test_a_database_that_goes_away_is_a_clear_page(workdir: Path, postgres_server: Any) -> None:
    url = postgres_server.new_database("dashboard_gone")
    auditor = Cli(url)
    auditor.ok("init")
    _province(auditor, workdir)
    with served(url, workdir) as address:
        assert fetch(address)[0] == 200
        name = urllib.parse.urlsplit(url.replace("postgresql+psycopg", "postgresql")).path.lstrip("/")
        admin = url.replace(f"/{name}?", "/postgres?")
        from sqlalchemy import create_engine, text

        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        engine.dispose()
        status, _, body = fetch(address + "unit/XA-A")
        assert status == 503 and "Chưa đọc được cơ sở dữ liệu" in body.decode()
        assert fetch(address + "static/style.css")[0] == 200, "and the server is still up"
