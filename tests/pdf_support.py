"""Small PDFs made with pypdf for the document tests: clean ones and each kind of hostile one."""

from __future__ import annotations

import io

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)


def _bytes(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _writer(pages: int = 1) -> PdfWriter:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    return writer


def clean_pdf(pages: int = 1) -> bytes:
    return _bytes(_writer(pages))


def _action(kind: str, **entries) -> DictionaryObject:
    action = DictionaryObject({NameObject("/S"): NameObject(kind)})
    for key, value in entries.items():
        action[NameObject(f"/{key}")] = value
    return action


def javascript_open_action_pdf() -> bytes:
    writer = _writer()
    writer._root_object[NameObject("/OpenAction")] = _action(
        "/JavaScript", JS=TextStringObject("app.alert('XSS')"))
    return _bytes(writer)


def launch_action_pdf() -> bytes:
    writer = _writer()
    writer._root_object[NameObject("/OpenAction")] = _action(
        "/Launch", F=TextStringObject("cmd.exe"))
    return _bytes(writer)


def page_javascript_pdf() -> bytes:
    """JavaScript hidden in a page's additional actions, not in the catalog."""
    writer = _writer()
    writer.pages[0][NameObject("/AA")] = DictionaryObject({
        NameObject("/O"): _action("/JavaScript", JS=TextStringObject("app.alert(1)"))})
    return _bytes(writer)


def destination_open_action_pdf() -> bytes:
    """Open at page 1, fit to window: what office suites write; harmless."""
    writer = _writer()
    writer._root_object[NameObject("/OpenAction")] = ArrayObject(
        [writer.pages[0].indirect_reference, NameObject("/Fit")])
    return _bytes(writer)


def attachment_pdf() -> bytes:
    writer = _writer()
    writer.add_attachment("virus.exe", b"MZ\x90\x00")
    return _bytes(writer)


def encrypted_pdf() -> bytes:
    writer = _writer()
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    return _bytes(writer)


def oversize_pdf(min_size: int) -> bytes:
    """A valid PDF made big with a long metadata string."""
    writer = _writer()
    writer.add_metadata({"/Subject": "x" * min_size})
    data = _bytes(writer)
    assert len(data) > min_size
    return data


def zero_page_pdf() -> bytes:
    writer = PdfWriter()
    writer._root_object[NameObject("/Pages")][NameObject("/Count")] = NumberObject(0)
    return _bytes(writer)
