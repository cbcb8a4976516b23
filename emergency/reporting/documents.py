"""Word documents from the docxtpl templates in templates/, and their PDF through LibreOffice.

The only module that imports docxtpl or python-docx. A template is checked against the context before anything
is rendered (every variable it uses must be there: a missing one is a TemplateError naming the template and the
variable), rendered under StrictUndefined, and written atomically, so a failed render never leaves a file.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import jinja2
from docxtpl import DocxTemplate

from emergency.errors import EmergencyError, TemplateError

log = logging.getLogger(__name__)

DEFAULT_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
"""The project's templates/ folder (an editable install keeps it next to the package)."""

SOFFICE_TIMEOUT_S = 180
"""How long one LibreOffice conversion may take before it is abandoned."""

# Official fonts and, where one is not installed, what prints instead: the first installed candidate, and
# whether to embolden it. 方正小标宋简体 falls back to 宋体 in bold, then to Noto Serif CJK SC Bold.
FONT_FALLBACKS: dict[str, tuple[tuple[str, bool], ...]] = {
    "方正小标宋简体": (("宋体", True), ("SimSun", True), ("Noto Serif CJK SC", True)),
    "仿宋_GB2312": (("仿宋", False), ("FangSong", False), ("Noto Serif CJK SC", False)),
    "楷体_GB2312": (("楷体", False), ("KaiTi", False), ("AR PL UKai CN", False), ("Noto Serif CJK SC", False)),
    "黑体": (("SimHei", False), ("Noto Sans CJK SC", False)),
    "宋体": (("SimSun", False), ("Noto Serif CJK SC", False)),
}

_UNDEFINED = re.compile(r"has no attribute '([^']+)'|'([^']+)' is undefined|no attribute named '([^']+)'")


class _Bounded:
    """A small thread-safe LRU map from a template's source text to what is derived from it."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        """Return the value kept for *key*, or None."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: str, value: Any) -> None:
        """Keep *value* for *key*, dropping the least recently used entry when full."""
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)


class _CompilingEnvironment(jinja2.Environment):
    """A Jinja environment that compiles each distinct template source once."""

    # docxtpl hands the environment the same cleaned XML on every render of a template; compiling it is most
    # of a render's Jinja cost, so compiled templates are kept (a bounded LRU keyed by the source text).

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._compiled = _Bounded(128)

    def from_string(self, source: str | jinja2.nodes.Template, globals: MutableMapping[str, Any] | None = None,
                    template_class: type[jinja2.Template] | None = None) -> jinja2.Template:
        """Return the compiled template of *source*, compiling it on first use."""
        if not isinstance(source, str) or globals is not None or template_class is not None:
            return super().from_string(source, globals, template_class)
        found: jinja2.Template | None = self._compiled.get(source)
        if found is None:
            found = super().from_string(source)
            self._compiled.put(source, found)
        return found


class _DocxTemplate(DocxTemplate):  # type: ignore[misc]  # docxtpl ships no type information
    """DocxTemplate that cleans each distinct part XML once."""

    # patch_xml (joining the runs Word splits a Jinja tag into, {%p %}/{%tr %} tags …) is a pure function of
    # the template's XML and was about 40 % of a render; the template's parts are the same on every render.

    _patched = _Bounded(128)

    def patch_xml(self, src_xml: str) -> str:
        """Return docxtpl's cleaned XML for *src_xml*, computed once per distinct source."""
        found: str | None = self._patched.get(src_xml)
        if found is None:
            found = str(super().patch_xml(src_xml))
            self._patched.put(src_xml, found)
        return found


def make_environment() -> jinja2.Environment:
    """Return the documents' Jinja environment: StrictUndefined, XML-escaped values, compiled sources kept."""
    return _CompilingEnvironment(undefined=jinja2.StrictUndefined, autoescape=True)


ENVIRONMENT = make_environment()


@dataclass(frozen=True, slots=True)
class _Template:
    """A template file as read once: its bytes and the variables it needs from the context."""

    data: bytes
    variables: frozenset[str]


_templates: dict[tuple[Path, int, int], _Template] = {}
_templates_lock = threading.Lock()


def template_name(template: str) -> str:
    """Return the template's file name: "report_initial" and "report_initial.docx" both name report_initial.docx."""
    return template if template.endswith(".docx") else f"{template}.docx"


def _load(path: Path, name: str) -> _Template:
    """Return the template at *path*, read and analysed once per version of the file (mtime and size)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise TemplateError(name, None, why=f"not found in {path.parent}") from None
    key = (path, stat.st_mtime_ns, stat.st_size)
    with _templates_lock:
        found = _templates.get(key)
    if found is not None:
        return found
    data = path.read_bytes()
    try:
        variables = _DocxTemplate(io.BytesIO(data)).get_undeclared_template_variables(jinja_env=ENVIRONMENT)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(name, None, why=f"Jinja syntax error: {exc.message}") from exc
    except Exception as exc:  # a damaged or non-Word file: python-docx raises from several layers
        raise TemplateError(name, None, why=f"not a readable .docx file ({exc})") from exc
    loaded = _Template(data, frozenset(variables) - set(ENVIRONMENT.globals))
    with _templates_lock:
        for stale in [k for k in _templates if k[0] == path]:
            del _templates[stale]
        _templates[key] = loaded
    return loaded


def template_variables(template: str, templates_dir: Path = DEFAULT_TEMPLATES) -> frozenset[str]:
    """Return the names a template takes from its context (loop variables and Jinja globals excluded)."""
    name = template_name(template)
    return _load(templates_dir / name, name).variables


def _undefined_name(exc: jinja2.UndefinedError) -> str:
    """Return the variable or attribute a StrictUndefined error is about."""
    found = _UNDEFINED.search(str(exc.message or ""))
    return next((g for g in found.groups() if g), str(exc.message)) if found else str(exc.message)


def _write_atomically(doc: DocxTemplate, out_path: Path) -> None:
    """Save *doc* to a temporary file beside *out_path*, then rename it over *out_path*."""
    # Readers see the old file or the new one, never part of one. There is no fsync: a document can always be
    # rendered again from the database, so a power cut may lose it but never leaves half of one.
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp", dir=out_path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            doc.save(handle)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out_path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def render_document(template: str, context: Mapping[str, object], out_path: Path,
                    templates_dir: Path = DEFAULT_TEMPLATES) -> Path:
    """Render *template* with *context* into *out_path*, or raise TemplateError and write nothing."""
    # TemplateError: the template needs a variable the context lacks (checked before rendering), uses an
    # attribute a value lacks (StrictUndefined, during rendering), or cannot be read.
    name = template_name(template)
    loaded = _load(templates_dir / name, name)
    missing = sorted(loaded.variables.difference(context))
    if missing:
        raise TemplateError(name, missing[0], also=tuple(missing[1:]))
    doc = _DocxTemplate(io.BytesIO(loaded.data))
    try:
        doc.render(dict(context), jinja_env=ENVIRONMENT)
    except jinja2.UndefinedError as exc:
        raise TemplateError(name, _undefined_name(exc)) from exc
    except jinja2.TemplateError as exc:
        raise TemplateError(name, None, why=f"Jinja error: {exc.message}") from exc
    out_path = Path(out_path)
    _write_atomically(doc, out_path)
    return out_path


# ---------------------------------------------------------------------------------------------------------
# PDF through LibreOffice
# ---------------------------------------------------------------------------------------------------------


def find_soffice() -> str | None:
    """Return the LibreOffice command on PATH (soffice or libreoffice), or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def installed_font_families() -> set[str] | None:
    """Return the font families fontconfig knows (every localised name), or None without fc-list."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    listed = subprocess.run([fc_list, "--format", "%{family}\n"], capture_output=True, text=True, check=False,
                            timeout=60)
    return {name.strip() for line in listed.stdout.splitlines() for name in line.split(",") if name.strip()}


def fontconfig_file(installed: set[str] | None) -> str:
    """Return a fonts.conf that maps each official font not installed to its first installed fallback."""
    # It includes the system configuration; an installed official font is left alone. Chinese never prints
    # as boxes, and a missing 方正小标宋简体 prints bold (FONT_FALLBACKS).
    rules: list[str] = []
    for official, candidates in FONT_FALLBACKS.items():
        if installed is not None and official in installed:
            continue
        usable = [c for c in candidates if installed is None or c[0] in installed]
        if not usable:
            continue
        family, bold = usable[0]
        weight = '<edit name="weight" mode="assign" binding="strong"><const>bold</const></edit>' if bold else ""
        rules.append(
            f'  <match target="pattern"><test qual="any" name="family"><string>{escape(official)}</string></test>'
            f'<edit name="family" mode="assign" binding="strong"><string>{escape(family)}</string></edit>'
            f"{weight}</match>"
        )
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n' + "\n".join(rules) + "\n</fontconfig>\n"
    )


def convert_to_pdf(docx: Path, out_dir: Path) -> Path:
    """Convert *docx* to out_dir/<stem>.pdf with headless LibreOffice, or raise EmergencyError saying why not."""
    soffice = find_soffice()
    if soffice is None:
        raise EmergencyError(
            "LibreOffice is not installed, so no PDF can be made: install it with "
            "`apt-get install libreoffice-writer-nogui fonts-noto-cjk` (see templates/README.md), "
            f"or print {docx} from Word or WPS")
    docx = Path(docx).resolve()
    if not docx.is_file():
        raise EmergencyError(f"{docx}: no such document to convert")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{docx.stem}.pdf"
    with tempfile.TemporaryDirectory(prefix="emergency-pdf-") as work_name:
        work = Path(work_name)
        (work / "fonts.conf").write_text(fontconfig_file(installed_font_families()), encoding="utf-8")
        env = dict(os.environ, FONTCONFIG_FILE=str(work / "fonts.conf"), HOME=str(work))
        # A private profile: a desktop LibreOffice already running, or a concurrent conversion, cannot block this one.
        command = [soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless", "--norestore",
                   "--nolockcheck", "--convert-to", "pdf:writer_pdf_Export", "--outdir", str(work / "out"), str(docx)]
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=SOFFICE_TIMEOUT_S,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise EmergencyError(f"{docx.name}: LibreOffice did not finish within {SOFFICE_TIMEOUT_S} s") from None
        made = work / "out" / f"{docx.stem}.pdf"
        if done.returncode != 0 or not made.is_file():
            detail = (done.stderr or done.stdout).strip().splitlines()
            raise EmergencyError(f"{docx.name}: LibreOffice could not convert it to PDF (exit {done.returncode}"
                                 + (f": {detail[-1]}" if detail else "") + ")")
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=out_dir)
        os.close(fd)
        try:
            shutil.copyfile(made, tmp)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
    log.info("converted %s to %s", docx, target)
    return target
