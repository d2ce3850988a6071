"""Every fenced code block of README.md and docs/*.md runs, so the documentation cannot rot.

* ```python blocks run in order, all blocks of one page in one namespace (like
  a notebook), in this process, with the page's own temporary folder as the
  working directory (files they write land there).  Selecting one block
  (``-k``) runs the page's earlier python blocks first.  The op backend is
  restored and figures are closed after each block.
* ```bash / ```sh / ```shell / ```console blocks run through bash (``-e``,
  ``pipefail``) in the page's temporary folder, which links to the checkout's
  ``benchmarks``, ``examples``, ``models`` and ``data`` so that commands
  written for the repository root work, with this interpreter first on PATH
  and without the host-device count ``conftest.py`` sets (a reader's shell);
  in a ```console block only the lines starting with ``$ `` are commands.
* ```text blocks (output listings) are not run.  A block without a language,
  or with another one, fails.

A block that would take minutes, or needs what the test machine lacks, has
right before it (the last non-blank lines) an HTML comment, visible in the
page's source, of one line or several (joined with spaces)::

    <!-- test: multiarea run joglekar2018 --areas 3 --duration 50 --out results -->

and the test runs that small variant instead.  ``<!-- test: skip (reason) -->``
skips a block; it is allowed only with a reason and only for package
installation (the block runs ``pip install``) or for commands that need a peer
simulator's own environment (the reason says which: Brian2, NEST).  Links
between the pages (files and headings) must resolve.
"""
from __future__ import annotations

import linecache
import os
import re
import subprocess
import sys
import textwrap
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELLS = ("bash", "sh", "shell", "console")
LANGUAGES = ("python", "text", *SHELLS)
#: checkout folders a command run from the repository root may name
LINKED = ("benchmarks", "examples", "models", "data")
#: what a skip may name when the block is not a package installation
PEER_ENVIRONMENTS = ("Brian2", "NEST")
SHELL_TIMEOUT_S = 600

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_DIRECTIVE = re.compile(r"^<!--\s*test:\s*(?P<body>.*?)\s*-->$", re.S)
_SKIP = re.compile(r"^skip(?:\s*\((?P<reason>.*)\))?$", re.S)


@dataclass(frozen=True)
class Block:
    page: str        #: path relative to the checkout
    number: int      #: 1-based, among the page's fenced blocks
    line: int        #: 1-based line of the opening fence
    lang: str
    code: str
    directive: str | None  #: the ``<!-- test: ... -->`` body before the block

    @property
    def id(self) -> str:
        return f"{self.page}:{self.number}-{self.lang or 'nolang'}-L{self.line}"

    def describe(self) -> str:
        head = f"{self.page}, block {self.number} (```{self.lang}, line {self.line})"
        if self.directive:
            head += f", with <!-- test: {self.directive} -->"
        return f"{head}:\n{textwrap.indent(self.code.rstrip(), '    ')}"


def _comment_before(lines: list[str], start: int) -> str:
    """The HTML comment (one line or several) ending on the last non-blank
    line before line ``start``, joined into one line; "" if there is none."""
    k = start - 1
    while k >= 0 and not lines[k].strip():
        k -= 1
    if k < 0 or not lines[k].rstrip().endswith("-->"):
        return ""
    end = k
    while k >= 0 and "<!--" not in lines[k]:
        k -= 1
    return " ".join(line.strip() for line in lines[max(k, 0):end + 1])


def parse_page(path: Path) -> list[Block]:
    """The fenced code blocks of a Markdown page, with their test directives."""
    lines = path.read_text(encoding="utf-8").splitlines()
    rel = path.relative_to(ROOT).as_posix()
    blocks, i, number = [], 0, 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang = m["fence"], (m["info"].split() or [""])[0].lower()
        start, body = i, []
        i += 1
        while i < len(lines) and not re.match(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$", lines[i]):
            body.append(lines[i][len(m["indent"]):] if lines[i].startswith(m["indent"]) else lines[i])
            i += 1
        i += 1  # the closing fence (or the end of the page)
        directive = _DIRECTIVE.match(_comment_before(lines, start))
        number += 1
        blocks.append(Block(rel, number, start + 1, lang, "\n".join(body) + "\n",
                            directive["body"] if directive else None))
    return blocks


BLOCKS = [b for page in PAGES for b in parse_page(page)]
RUN = [b for b in BLOCKS if b.lang in ("python", *SHELLS)]


def _skip_reason(block: Block) -> str | None:
    """The reason of a ``skip`` directive (``""`` if none was given), or None."""
    if block.directive is None:
        return None
    m = _SKIP.match(block.directive)
    return None if m is None else (m["reason"] or "").strip()


# ---------------------------------------------------------------- the pages' rules


def test_pages_exist_and_have_blocks():
    assert (ROOT / "README.md").is_file()
    assert len(PAGES) > 1, "no docs/*.md pages found"
    assert RUN, "no runnable code blocks found"


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.id)
def test_block_has_a_known_language(block):
    assert block.lang in LANGUAGES, (
        f"every fenced block declares one of {LANGUAGES} (text: output, not run); got "
        f"{block.lang or 'no language'!r} in {block.describe()}")
    if block.directive is not None:
        assert block.lang in SHELLS, f"test directives apply to shell blocks only: {block.describe()}"


def test_every_skip_has_a_reason():
    bad = []
    for block in BLOCKS:
        reason = _skip_reason(block)
        if reason is None:
            continue
        if not reason:
            bad.append(f"skip without a reason: {block.describe()}")
        elif "pip install" not in block.code and not any(env in reason for env in PEER_ENVIRONMENTS):
            bad.append(f"skip allowed only for package installation or a peer simulator's environment "
                       f"({', '.join(PEER_ENVIRONMENTS)}): {block.describe()}")
    assert not bad, "\n\n".join(bad)


def _anchors(path: Path) -> set[str]:
    """The heading anchors GitHub makes for a Markdown page."""
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
    return {re.sub(r"[^\w\- ]", "", m.strip().lower()).replace(" ", "-")
            for m in re.findall(r"^#{1,6}\s+(.*)$", text, flags=re.M)}


def test_relative_links_resolve():
    """Links between the pages, to their headings and to files of the checkout point at something."""
    broken = []
    for page in PAGES:
        text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.S | re.M)
        text = re.sub(r"`[^`\n]*`", "", text)  # inline code: r[i](t) is no link
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue  # a URL
            file, _, anchor = target.partition("#")
            path = (page.parent / file) if file else page
            if not path.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and path.suffix == ".md" and anchor not in _anchors(path):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading in {file or 'this page'})")
    assert not broken, "broken relative links:\n" + "\n".join(broken)


# ---------------------------------------------------------------- running the blocks


class _Page:
    """One page's namespace and working folder; python blocks run in order."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.namespace = {"__name__": "__main__"}
        self.done: set[int] = set()
        self.failed: Block | None = None
        for name in LINKED:
            (workdir / name).symlink_to(ROOT / name, target_is_directory=True)

    def run_python_through(self, block: Block) -> None:
        for earlier in (b for b in RUN if b.page == block.page and b.lang == "python"):
            if earlier.number > block.number:
                break
            if earlier.number in self.done:
                continue
            if self.failed is not None:
                pytest.fail(f"not run: an earlier block of the page failed, {self.failed.describe()}")
            self.done.add(earlier.number)
            self._exec(earlier)

    def _exec(self, block: Block) -> None:
        import matplotlib.pyplot as plt

        from multiarea import ops

        backend, cwd = ops.get_backend(), os.getcwd()
        filename = f"<{block.page}, block {block.number}, line {block.line}>"
        # the source where inspect finds it (tracebacks; Taichi parses its kernels' source)
        linecache.cache[filename] = (len(block.code), None, block.code.splitlines(True), filename)
        error = None
        os.chdir(self.workdir)
        try:
            exec(compile(block.code, filename, "exec", dont_inherit=True), self.namespace)  # no __future__ of ours
        except KeyboardInterrupt:
            raise
        except BaseException:  # SystemExit too: a block that exits has failed
            error = traceback.format_exc()
        finally:
            os.chdir(cwd)
            ops.set_backend(backend)
            plt.close("all")
        if error is not None:
            self.failed = block
            pytest.fail(f"{block.describe()}\n\nraised:\n{error}", pytrace=False)


@pytest.fixture(scope="session")
def pages(tmp_path_factory):
    made: dict[str, _Page] = {}

    def get(page: str) -> _Page:
        if page not in made:
            made[page] = _Page(tmp_path_factory.mktemp(re.sub(r"\W", "_", page)))
        return made[page]

    return get


def _shell_command(block: Block) -> str:
    if block.directive is not None:
        return block.directive
    if block.lang == "console":
        return "\n".join(line[2:] for line in block.code.splitlines() if line.startswith("$ "))
    return block.code


@pytest.mark.parametrize("block", RUN, ids=lambda b: b.id)
def test_block_runs(block, pages):
    page = pages(block.page)
    if block.lang == "python":
        page.run_python_through(block)
        return
    reason = _skip_reason(block)
    if reason is not None:
        pytest.skip(f"{block.page} line {block.line}: {reason}")
    env = dict(os.environ, MPLBACKEND="Agg")
    # a reader's shell: without the host-device count conftest.py sets for the sharding tests
    env["XLA_FLAGS"] = " ".join(f for f in env.get("XLA_FLAGS", "").split()
                                if not f.startswith("--xla_force_host_platform_device_count"))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    try:
        done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", _shell_command(block)], cwd=page.workdir,
                              env=env, capture_output=True, text=True, timeout=SHELL_TIMEOUT_S)
    except subprocess.TimeoutExpired as err:
        output = "".join(x.decode(errors="replace") if isinstance(x, bytes) else x
                         for x in (err.stdout, err.stderr) if x)
        pytest.fail(f"{block.describe()}\n\ntook over {SHELL_TIMEOUT_S} s\n{output[-3000:]}", pytrace=False)
    if done.returncode != 0:
        pytest.fail(f"{block.describe()}\n\nexited {done.returncode}\n--- stdout (end)\n{done.stdout[-3000:]}"
                    f"\n--- stderr (end)\n{done.stderr[-3000:]}", pytrace=False)
