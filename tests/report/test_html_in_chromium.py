"""The class report in a real browser: Debian's headless Chromium loads index.html and a student
page from file://, with no console error, no exception and no image that fails to decode; a
screenshot is kept in build/test-artifacts/html-report.png. Skipped where Chromium is not installed.

The browser is driven over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON messages
ending with NUL, commands on the browser's fd 3, answers on its fd 4), standard library only.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import subprocess
import time
from pathlib import Path

import pytest

from grader.report import html
from report_helpers import write_class

CHROMIUM = Path("/usr/bin/chromium")
PROJECT = Path(__file__).resolve().parents[2]
ARTIFACT = PROJECT / "build" / "test-artifacts" / "html-report.png"
TIMEOUT = 90.0   # seconds per command: two cores shared by several test runs

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium not installed: apt-get install chromium")

IMAGES_JS = ("JSON.stringify(Array.from(document.images).map(i => "
             "({alt: i.alt, complete: i.complete, width: i.naturalWidth})))")


class Browser:
    """One headless Chromium and its DevTools pipe."""

    def __init__(self, profile: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # The browser's ends, moved above 9 so that pointing 3 and 4 at them cannot overwrite one,
        # close-on-exec: the browser gets them as 3 and 4 only (dup2 makes those inheritable).
        ends = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_browser_r, from_browser_w)]
        for fd in (to_browser_r, from_browser_w):
            os.close(fd)
        flags = ["--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                 f"--user-data-dir={profile}", "--no-first-run", "--no-default-browser-check",
                 "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-default-apps", "--hide-scrollbars", "--mute-audio",
                 "--window-size=1200,900", "about:blank"]

        def pipe_on_3_and_4() -> None:   # in the child, before exec
            os.dup2(ends[0], 3)
            os.dup2(ends[1], 4)

        # close_fds=False keeps 3 and 4 (the parent's own descriptors are close-on-exec, PEP 446)
        self.proc = subprocess.Popen([str(CHROMIUM), *flags], preexec_fn=pipe_on_3_and_4, close_fds=False,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        for fd in ends:
            os.close(fd)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from chromium")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"chromium closed its pipe (exit status {self.proc.poll()})")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not any(e.get("method") == method and e.get("sessionId") == session for e in self.events):
            self.events.append(self._read(deadline))

    def settle(self, seconds: float = 0.5) -> None:
        """Read the events that arrive shortly after the load (a late console error)."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self._read(deadline))
        except TimeoutError:
            pass

    def open(self, url: str) -> dict:
        """Load `url` in a new tab: its console errors, its images, a screenshot (PNG bytes)."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=session)
        self.send("Page.navigate", {"url": url}, session)
        self.wait_for("Page.loadEventFired", session)
        self.settle()
        images = json.loads(self.send("Runtime.evaluate", {"expression": IMAGES_JS, "returnByValue": True},
                                      session)["result"]["value"])
        shot = base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"}, session)["data"])
        self.send("Target.closeTarget", {"targetId": target})
        return {"errors": errors_of([e for e in self.events if e.get("sessionId") == session]),
                "images": images, "screenshot": shot}

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)


def errors_of(events: list[dict]) -> list[str]:
    """Console errors, uncaught exceptions and error log entries (a resource that failed to load)."""
    found = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            found.append(f"exception: {params.get('exceptionDetails', {}).get('text')}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            found.append(f"console.{params['type']}: {[a.get('value') for a in params.get('args', [])]}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            found.append(f"log: {params['entry'].get('text')}")
    return found


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    running = Browser(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield running
    finally:
        running.close()


def test_the_class_report_loads_cleanly_in_chromium(browser, tmp_path):
    out, stems = write_class(tmp_path / "out")
    index = html.build(out, ["forward", "mnist"], stems)
    page = browser.open(index.as_uri())
    assert page["errors"] == []
    assert len(page["images"]) == 3 and all(i["complete"] and i["width"] > 0 for i in page["images"]), page["images"]
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_bytes(page["screenshot"])
    assert page["screenshot"][:8] == b"\x89PNG\r\n\x1a\n"

    # alice's page: the three kinds of figures, and her name (a <script> element) shown, not run
    student = browser.open((out / "alice.html").as_uri())
    assert student["errors"] == []
    assert sorted(i["alt"] for i in student["images"]) == ["Reconstructions", "Regions", "Training"]
    assert all(i["complete"] and i["width"] > 0 for i in student["images"]), student["images"]


def test_the_browser_check_sees_broken_images_and_errors(browser, tmp_path):
    """The wrong input the test above exists to catch: an image that does not decode, a missing
    file, a console error and an exception are all reported."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>'
                   '<img alt="corrupt" src="data:image/png;base64,AAAA"><img alt="missing" src="missing.png">'
                   '<script>console.error("boom")</script><script>undefined_function()</script>'
                   '</body></html>', encoding="utf-8")
    page = browser.open(bad.as_uri())
    assert [i["width"] for i in page["images"]] == [0, 0]
    assert any("boom" in e for e in page["errors"]) and any(e.startswith("exception") for e in page["errors"])
