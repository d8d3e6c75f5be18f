"""Builds real files of every supported format from a few paragraphs, for ingestion tests."""

from __future__ import annotations

import csv
import io

FORMATS = ("md", "txt", "html", "csv", "pdf", "docx")
MIME_TYPES = {
    "md": "text/markdown",
    "txt": "text/plain",
    "html": "text/html",
    "csv": "text/csv",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def build(fmt: str, title: str, sections: list[tuple[str, str]]) -> bytes:
    """`sections` are (heading, paragraph) pairs."""
    if fmt == "md":
        return (f"# {title}\n\n" + "".join(f"## {h}\n\n{p}\n\n" for h, p in sections)).encode()
    if fmt == "txt":
        return (f"{title}\n\n" + "".join(f"{h}\n\n{p}\n\n" for h, p in sections)).encode()
    if fmt == "html":
        body = "".join(f"<h2>{h}</h2><p>{p}</p>" for h, p in sections)
        return (
            f"<html><head><title>{title}</title><script>var x = 'ignore me';</script></head>"
            f"<body><h1>{title}</h1>{body}</body></html>"
        ).encode()
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["topic", "answer"])
        writer.writerows(sections)
        return out.getvalue().encode()
    if fmt == "pdf":
        from fpdf import FPDF

        pdf = FPDF()
        pdf.set_title(title)
        pdf.set_font("Helvetica", size=11)
        for heading, paragraph in sections:
            pdf.add_page()
            pdf.multi_cell(0, 6, heading)
            pdf.ln(4)
            pdf.multi_cell(0, 6, paragraph)
        return bytes(pdf.output())
    if fmt == "docx":
        from docx import Document

        document = Document()
        document.add_heading(title, level=0)
        for heading, paragraph in sections:
            document.add_heading(heading, level=1)
            document.add_paragraph(paragraph)
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()
    raise ValueError(fmt)
