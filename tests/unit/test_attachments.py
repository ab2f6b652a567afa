"""Naming files: keys fit for S3, download names that survive any browser, listings that
show a damaged entry instead of hiding the rest."""

from __future__ import annotations

from urllib.parse import unquote

from mspdesk.domain.attachments import (
    attachments_of,
    content_disposition,
    safe_filename,
    upload_key,
    uploads_of,
)


def test_an_upload_key_sits_under_its_uploaders_prefix_with_a_safe_name() -> None:
    key = upload_key("attachments/", "eu_1", "up_9", "../../Rapport final (v2).pdf")
    assert key == "attachments/uploads/eu_1/up_9/Rapport_final_v2_.pdf"
    assert key.startswith(uploads_of("attachments/", "eu_1"))
    assert not key.startswith(uploads_of("attachments/", "eu_12"))
    assert safe_filename("...", "file") == "file"


def test_the_download_name_is_kept_whole_for_browsers_and_plain_for_old_ones() -> None:
    header = content_disposition('Écran "bleu".png')
    plain, _, full = header.partition("; filename*=UTF-8''")
    assert plain == 'attachment; filename="_cran _bleu_.png"'
    assert unquote(full) == 'Écran "bleu".png'
    assert all(32 <= ord(c) < 127 for c in header)  # an HTTP header is ASCII


def test_a_damaged_entry_is_listed_as_unavailable_and_the_rest_still_show() -> None:
    listed = attachments_of(
        {
            "attachments": [
                {"filename": "a.txt", "content_type": "text/plain", "size": 3, "key": "k"},
                {"filename": None},
            ]
        }
    )
    assert [(f.filename, f.key, f.skipped) for f in listed] == [
        ("a.txt", "k", None),
        ("attachment", None, "unreadable"),
    ]
    assert attachments_of({}) == []
