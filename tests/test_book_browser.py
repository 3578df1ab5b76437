"""The built book in a real browser, as a reader sees it online: every page of _build/html in headless Chromium.

Every page: it loads with no JavaScript error, every image has loaded, every equation is typeset (by the copy
of MathJax inside the book, so it works offline), every internal link and anchor resolves, and nothing is
requested from another host. Every chapter: its Colab launch link opens the chapter's notebook in the
repository, its exercise solutions stay collapsed until clicked, and a full-page screenshot is saved as
``_build/screenshots/<chapter>.png`` for a person to look at.

Run after `make book`; `make test` (target book-check) builds the book and installs Debian's Chromium first.
Playwright drives /usr/bin/chromium: no browser is ever downloaded. Skipped when no build exists, so that
`pytest tests` can run alone.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from segcourse import book, release

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
# Debian's package by default; the Makefile passes CHROMIUM when it names another (`make test CHROMIUM=...`).
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHAPTERS = book.chapter_sources(ROOT)

pytestmark = [
    pytest.mark.book,
    pytest.mark.skipif(not (HTML / "index.html").exists(), reason="run `make book` first"),
]

# The flags this closed network needs: without the background-networking ones Chromium keeps trying to reach
# Google's services. Playwright adds --headless and a fresh temporary --user-data-dir for each launch itself.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}

#: Hosts other than the book's own that a page may load from, with the reason. Every other request to
#: another host is blocked (it could not load on this network, nor for a reader offline) and fails the test.
#: None today: MathJax is served from the book's _static/mathjax, and Thebe's script (unpkg.com) loads only
#: when a reader starts live code, which this book does not enable. Links to Colab, Binder, GitHub and the
#: papers' DOIs are not requests and are not followed.
EXTERNAL_HOSTS_ALLOWED: dict[str, str] = {}

#: Console errors that come from the book's toolchain, not from a fault a reader would notice, each with why.
#: Any other console error or uncaught exception fails the page.
KNOWN_CONSOLE_ERRORS: dict[str, str] = {
    # pydata-sphinx-theme, first visit: the head script sets the colour mode to "" when localStorage is empty;
    # the theme logs this, then settles on "auto" (pydata/pydata-sphinx-theme#1635).
    r"^Got invalid theme mode: \. Resetting to auto\.$": "theme's first-visit message",
    # Sphinx 7.4 (Jupyter Book 1 pins Sphinx < 8) writes each inline script added after its builder started
    # twice (the registry re-adds it with filename '' instead of None); sphinx-thebe's declares constants with
    # `const`, so the second copy throws. The first copy has run; Thebe is not enabled in this book.
    r"^Identifier 'THEBE_JS_URL' has already been declared$": "Sphinx 7.4 duplicates an inline script",
}

# The page data the tests read, gathered in the page in one call.
_PAGE_DATA_JS = """async () => {
    if (window.MathJax && window.MathJax.startup) { await window.MathJax.startup.promise; }
    await Promise.all(Array.from(document.images).map(img => img.complete ? null :
        new Promise(done => { img.addEventListener('load', done); img.addEventListener('error', done); })));
    await document.fonts.ready;
    const math = Array.from(document.querySelectorAll('span.math, div.math'));
    return {
        images: Array.from(document.images).map(img => ({
            src: img.currentSrc || img.src, width: img.naturalWidth, height: img.naturalHeight,
            output: img.closest('.cell_output') !== null})),
        math: math.length,
        untypeset: math.filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 80)),
        math_errors: Array.from(document.querySelectorAll('mjx-merror')).map(e =>
            e.getAttribute('data-mjx-error') || e.textContent),
        links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
        ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
    };
}"""


# --- serving the book and driving the browser ----------------------------------------------------------------


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves files without logging every request to stderr."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    """_build/html served on a free loopback port by a threaded HTTP server, for the whole session."""
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium, launched once per session through Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs Debian's package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@dataclass
class PageVisit:
    """What one page did when it loaded in a fresh browser context (a first-time reader)."""

    url: str
    errors: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)


def _is_known_error(text: str) -> bool:
    return any(re.search(pattern, text) for pattern in KNOWN_CONSOLE_ERRORS)


def _watch(context, page, visit: PageVisit, base_url: str) -> None:
    """Records console errors, uncaught exceptions and failed requests; blocks requests to other hosts."""

    def route(request_route) -> None:
        url = request_route.request.url
        if url.startswith(base_url) or url.startswith(("data:", "blob:")):
            request_route.continue_()
        elif urlsplit(url).hostname in EXTERNAL_HOSTS_ALLOWED:
            request_route.abort()  # allowed to be asked for, but it cannot load here
        else:
            visit.external.append(url)
            request_route.abort()

    def console(message) -> None:
        if message.type != "error" or _is_known_error(message.text):
            return
        if _blocked_request_message(message, visit):
            return  # a request this test blocked: reported once, as an external request
        visit.errors.append(f"console: {message.text} ({message.location.get('url')})")

    def page_error(error) -> None:
        if not _is_known_error(error.message):
            visit.errors.append(f"uncaught: {error.message}")

    def response(answer) -> None:
        if answer.url.startswith(base_url) and answer.status >= 400:
            visit.failed.append(f"{answer.status} {answer.url}")

    def request_failed(request) -> None:
        if request.url.startswith(base_url):
            visit.failed.append(f"{request.failure} {request.url}")

    context.route("**/*", route)
    page.on("console", console)
    page.on("pageerror", page_error)
    page.on("response", response)
    page.on("requestfailed", request_failed)


def _blocked_request_message(message, visit: PageVisit) -> bool:
    """Whether a console error only reports a request that the test itself blocked."""
    return message.text.startswith("Failed to load resource") and message.location.get("url") in visit.external


@contextmanager
def opened(browser, base_url: str, path: str):
    """``(page, visit)``: ``path`` in a new context (empty storage: a first visit), loaded and typeset."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        visit = PageVisit(url=base_url + path)
        _watch(context, page, visit, base_url)
        page.goto(visit.url, wait_until="load")
        visit.data = page.evaluate(_PAGE_DATA_JS)
        yield page, visit
    finally:
        context.close()


@pytest.fixture(scope="session")
def visits(browser, base_url):
    """``visits(path)``: the PageVisit of a page of the book, loaded once per session and then reused."""
    cache: dict[str, PageVisit] = {}

    def get(path: str) -> PageVisit:
        if path not in cache:
            with opened(browser, base_url, path) as (page, cache[path]):
                if path.startswith("book/"):  # the chapters and the introduction, as a reader first sees them
                    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(SCREENSHOTS / f"{Path(path).stem}.png"), full_page=True)
        return cache[path]

    return get


# --- the pages -----------------------------------------------------------------------------------------------


def _redirect(path: Path) -> str | None:
    """The target of an HTML redirect page (Jupyter Book's index.html), or None for a real page."""
    text = path.read_text(encoding="utf-8")
    match = re.search(r'http-equiv="Refresh" content="\d+; url=([^"]+)"', text, re.IGNORECASE)
    return match.group(1) if match else None


def _html_pages() -> list[str]:
    if not HTML.exists():
        return []
    pages = (p for p in HTML.rglob("*.html") if not {"_static", "_sources"} & set(p.relative_to(HTML).parts))
    return sorted(p.relative_to(HTML).as_posix() for p in pages)


PAGES = [p for p in _html_pages() if _redirect(HTML / p) is None]
REDIRECTS = [p for p in _html_pages() if _redirect(HTML / p) is not None]


def chapter_path(md_path: Path) -> str:
    return f"book/{md_path.stem}.html"


class _IdCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.update(value for name, value in attrs if name == "id" and value)


@functools.cache
def static_ids(path: Path) -> frozenset[str]:
    """The element ids written in an HTML file (anchors that other pages link to)."""
    collector = _IdCollector()
    collector.feed(path.read_text(encoding="utf-8"))
    return frozenset(collector.ids)


def broken_link(href: str, base_url: str, page_ids: set[str], page_path: str) -> str | None:
    """Why an internal link does not resolve, or None when it does (or is external)."""
    if not href.startswith(base_url):
        return None
    parts = urlsplit(href)
    target = HTML / unquote(parts.path.lstrip("/"))
    if parts.path.endswith("/"):
        target = target / "index.html"
    if not target.is_file():
        return f"{href}: no file {target.relative_to(HTML)}"
    anchor = unquote(parts.fragment)
    if not anchor or target.suffix != ".html":
        return None
    ids = page_ids if target == HTML / page_path else static_ids(target)
    return None if anchor in ids else f"{href}: no element with id {anchor!r}"


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_without_javascript_errors(visits, path):
    visit = visits(path)
    assert visit.errors == [], "\n".join(visit.errors)
    assert visit.failed == [], "\n".join(visit.failed)


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_nothing_from_other_hosts(visits, path):
    external = visits(path).external
    assert external == [], f"requests to other hosts (blocked): ship them in the book, or allow one: {external}"


@pytest.mark.parametrize("path", PAGES)
def test_page_images_have_loaded(visits, path):
    images = visits(path).data["images"]
    broken = [image["src"][:120] for image in images if not (image["width"] and image["height"])]
    assert broken == [], f"images with no natural size (not loaded): {broken}"


@pytest.mark.parametrize("path", PAGES)
def test_page_equations_are_typeset(visits, path):
    data = visits(path).data
    assert data["untypeset"] == [], f"{len(data['untypeset'])} of {data['math']} equations not typeset"
    assert data["math_errors"] == [], f"TeX errors: {data['math_errors']}"


@pytest.mark.parametrize("path", PAGES)
def test_page_internal_links_resolve(visits, base_url, path):
    visit = visits(path)
    ids = set(visit.data["ids"])
    broken = {reason for href in visit.data["links"] if (reason := broken_link(href, base_url, ids, path))}
    assert not broken, "\n".join(sorted(broken))


@pytest.mark.parametrize("path", REDIRECTS)
def test_redirect_pages_land_on_a_page(browser, base_url, path):
    target = _redirect(HTML / path)
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(base_url + path)
        page.wait_for_url(re.compile(re.escape(target) + "$"))
        assert page.locator("h1").count() > 0, f"{path} redirects to {target}, which shows no heading"
    finally:
        context.close()


# --- the chapters --------------------------------------------------------------------------------------------

COLAB_LINK = re.compile(r"^https://colab\.research\.google\.com/github/([^/]+/[^/]+)/blob/([^/]+)/(.+\.ipynb)$")


def git_ignored(path: Path) -> bool:
    """Whether git ignores ``path`` (a notebook it ignores never reaches the repository Colab opens)."""
    done = subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=ROOT, capture_output=True)
    return done.returncode == 0  # 1: not ignored; 128: no git work tree (a tarball), nothing to tell


@pytest.mark.parametrize("md_path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_has_a_screenshot_and_figures(visits, md_path):
    visit = visits(chapter_path(md_path))
    screenshot = SCREENSHOTS / f"{md_path.stem}.png"
    assert screenshot.is_file() and screenshot.stat().st_size > 10_000, screenshot
    assert any(image["output"] for image in visit.data["images"]), "no figure among the cell outputs"


@pytest.mark.parametrize("md_path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_colab_button_opens_its_notebook(browser, base_url, md_path):
    with opened(browser, base_url, chapter_path(md_path)) as (page, _):
        links = page.locator(".dropdown-launch-buttons a[href*='colab.research.google.com']")
        assert links.count() == 1, "no Colab item in the launch menu"
        link = links.first
        # As a reader: the link is in the rocket menu, hidden until the rocket button is pressed.
        assert link.is_hidden()
        page.locator(".dropdown-launch-buttons button").click()
        link.wait_for(state="visible")
        href = link.get_attribute("href")

    match = COLAB_LINK.match(href)
    assert match, f"not a Colab GitHub link: {href}"
    repository, branch, path = match.groups()
    config = book.read_config(ROOT)["repository"]
    assert f"https://github.com/{repository}" == config["url"].rstrip("/")
    # The release's tag, or the development branch (segcourse.release): the notebook that installs that release.
    assert branch == release.git_ref(release.read_version(ROOT), config.get("branch", "main"))
    assert path == f"book/{md_path.stem}.ipynb"
    assert (ROOT / path).is_file(), f"{path} does not exist"
    assert not git_ignored(ROOT / path), f"{path} is ignored by git, so it is not in the repository"


@pytest.mark.parametrize("md_path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_solutions_open_only_on_a_click(browser, base_url, md_path):
    with opened(browser, base_url, chapter_path(md_path)) as (page, _):
        solutions = page.locator(".solution.dropdown")
        exercises = page.locator(".exercise").count()
        assert solutions.count() >= exercises, f"{exercises} exercises, {solutions.count()} solution dropdowns"
        for index in range(solutions.count()):
            solution = solutions.nth(index)
            body = solution.locator(":scope > :not(.admonition-title)")
            parts = range(body.count())
            assert parts, f"solution {index + 1} is empty"
            assert all(body.nth(i).is_hidden() for i in parts), f"solution {index + 1} is shown before a click"
            solution.locator(":scope > .admonition-title").click()  # where a reader clicks: the title bar
            body.first.wait_for(state="visible")
            assert all(body.nth(i).is_visible() for i in parts), f"solution {index + 1} did not open on a click"


# --- the chapters as textbook pages (issue 14) ---------------------------------------------------------------

#: The widths a reader's screen has: a laptop, a small laptop or tablet in landscape, a phone.
DESKTOPS = {"1280x900": {"width": 1280, "height": 900}, "1024x768": {"width": 1024, "height": 768}}
PHONE = {"width": 390, "height": 844}

# Boxes that must not scroll sideways, and, for each, what it is (for the failure message).
_LAYOUT_JS = """() => {
    const boxes = Array.from(document.querySelectorAll(
        'div.cell_input pre, div.cell_output pre, div.cell_output div.output, div.cell_output table'));
    const wide = boxes.filter(e => e.scrollWidth > e.clientWidth + 1).map(e => ({
        what: e.tagName.toLowerCase() + '.' + (e.className || '').toString().split(' ')[0],
        text: (e.textContent || '').trim().slice(0, 60), scroll: e.scrollWidth, client: e.clientWidth}));
    const root = document.documentElement;
    const images = Array.from(document.querySelectorAll('div.cell_output img, figure img'));
    // What sticks out of the page on the right, outside any box that scrolls: the culprits of a page scroll.
    const inScroller = e => {
        for (let p = e.parentElement; p; p = p.parentElement) {
            if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return true;
        }
        return false;
    };
    const sticking = Array.from(document.querySelectorAll('article.bd-article *'))
        .filter(e => e.getBoundingClientRect().right > root.clientWidth + 1 && !inScroller(e))
        .map(e => e.tagName.toLowerCase() + ': ' + (e.textContent || '').trim().slice(0, 60)).slice(0, 5);
    return {wide, boxes: boxes.length, page_scrolls: root.scrollWidth > root.clientWidth + 1, sticking,
            images_wider: images.filter(
                img => img.getBoundingClientRect().right > root.clientWidth + 1).length};
}"""

_FIGURES_JS = """() => {
    const outputs = Array.from(document.querySelectorAll('div.cell_output img'));
    const figures = Array.from(document.querySelectorAll('figure'));
    return {
        uncaptioned: outputs.filter(img => !img.closest('figure'))
            .map(img => (img.currentSrc || img.src).slice(-40)),
        figures: figures.map(f => ({
            id: f.id,
            number: (f.querySelector('figcaption .caption-number') || {}).textContent || '',
            caption: ((f.querySelector('figcaption .caption-text') || {}).textContent || '').trim(),
            alts: Array.from(f.querySelectorAll('img')).map(img => (img.getAttribute('alt') || '').trim()),
        })),
    };
}"""


def _layout(browser, base_url: str, path: str, viewport: dict, shot: str | None = None) -> dict:
    context = browser.new_context(viewport=viewport)
    try:
        page = context.new_page()
        page.goto(base_url + path, wait_until="load")
        page.evaluate("() => document.fonts.ready")
        if shot:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / shot), full_page=True)
        return page.evaluate(_LAYOUT_JS)
    finally:
        context.close()


@pytest.mark.parametrize("size", sorted(DESKTOPS))
@pytest.mark.parametrize("md_path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_code_and_outputs_fit_the_column(browser, base_url, md_path, size):
    layout = _layout(browser, base_url, chapter_path(md_path), DESKTOPS[size], f"{md_path.stem}-{size}.png")
    assert layout["boxes"] > 0
    assert layout["wide"] == [], f"{len(layout['wide'])} boxes scroll sideways at {size}: {layout['wide'][:5]}"
    assert not layout["page_scrolls"]


@pytest.mark.parametrize("md_path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_reads_on_a_phone(browser, base_url, md_path):
    layout = _layout(browser, base_url, chapter_path(md_path), PHONE, f"{md_path.stem}-phone.png")
    assert not layout["page_scrolls"], f"at 390 px the page itself scrolls sideways: {layout['sticking']}"
    assert layout["images_wider"] == 0, "figures wider than the screen at 390 px"


@pytest.mark.parametrize("md_path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_figures_have_numbered_captions_and_alt_text(visits, browser, base_url, md_path):
    with opened(browser, base_url, chapter_path(md_path)) as (page, _):
        found = page.evaluate(_FIGURES_JS)
    assert found["uncaptioned"] == [], f"figure outputs outside a captioned figure: {found['uncaptioned']}"
    assert found["figures"], "no figure"
    numbered = re.compile(r"^Figure \d+(\.\d+)? $")
    for figure in found["figures"]:
        assert figure["id"].startswith("fig-"), figure
        assert numbered.match(figure["number"]), f"{figure['id']}: caption number {figure['number']!r}"
        assert len(figure["caption"]) > 10, f"{figure['id']}: caption {figure['caption']!r}"
        alts = figure["alts"]
        assert alts and all(len(alt) > 10 for alt in alts), f"{figure['id']}: alt {alts}"


#: The animations issue 14 asks for, by chapter number: max pooling with indices and index unpooling (3); a
#: convolution sliding with strides 1 and 2, and a transposed convolution as zero insertion plus a convolution
#: (4); dilated convolutions with rates 1, 2, 4 and their growing receptive field (6).
ANIMATIONS = {"03": 1, "04": 2, "06": 1}


@pytest.mark.parametrize("md_path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_animations_step_through_their_frames(browser, base_url, md_path):
    with opened(browser, base_url, chapter_path(md_path)) as (page, _):
        players = page.locator(".segcourse-animation")
        expected = ANIMATIONS.get(md_path.stem[:2], 0)
        assert players.count() >= expected, f"{players.count()} animations, expected at least {expected}"
        for index in range(players.count()):
            player = players.nth(index)
            image = player.locator("img").first
            for control in ("previous", "play", "next"):
                buttons = player.locator(f"button[id$='-{control}']")
                assert buttons.count() == 1, f"animation {index}: no {control} button"
            slider = player.locator("input[type=range]")
            assert int(slider.get_attribute("max")) >= 1, f"animation {index} has one frame"
            first = image.get_attribute("src")
            player.locator("button[id$='-next']").click()
            assert image.get_attribute("src") != first, f"animation {index}: 'next' did not change the frame"
            assert player.locator("span[id$='-counter']").text_content().startswith("2 /")
            player.locator("button[id$='-previous']").click()
            assert image.get_attribute("src") == first
