"""Pages and fragments travel gzipped to browsers that accept it; downloads as they are."""

import gzip

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def test_the_interview_page_is_compressed_and_says_it_varies_with_the_encoding(
    client, rita, project, interview
):
    client.force_login(rita)
    url = f"/projects/{project.pk}/interviews/{interview.pk}/"
    plain = client.get(url)
    compressed = client.get(url, headers=GZIP)
    assert plain.status_code == compressed.status_code == 200
    assert "Content-Encoding" not in plain
    assert compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed["Vary"]
    page = gzip.decompress(compressed.content)
    assert b'id="transcript"' in page and interview.title.encode() in page
    assert len(compressed.content) < len(page) / 2


def test_an_htmx_fragment_is_compressed_too(client, rita, project, coding):
    # A fragment of results, not the answer to applying a code: that answer is under 300 bytes,
    # and Django rightly sends it as it is whenever gzip plus its random BREACH padding (up to 100
    # bytes) would not be shorter -- which made this test fail one run in a few.
    client.force_login(rita)
    url = f"/projects/{project.pk}/excerpts/"
    response = client.get(url, headers={**GZIP, "HX-Request": "true"})
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert b'id="excerpt-results"' in gzip.decompress(response.content)


def test_downloads_are_sent_as_they_are(client, rita, project, coding):
    client.force_login(rita)
    for kind in ("csv", "xlsx"):
        url = f"/projects/{project.pk}/excerpts/export/?format={kind}"
        response = client.get(url, headers=GZIP)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        assert "Content-Encoding" not in response
        body = b"".join(response.streaming_content)
        assert body.startswith(b"\xef\xbb\xbf" if kind == "csv" else b"PK")


def test_pages_are_gzipped_fast_with_a_random_padding_against_breach(
    client, rita, project, interview
):
    """ISA-L's gzip at CompressPages.LEVEL (verbatim/middleware.py), and a header field of random
    length, so two answers of the same page differ in size (Django's "Heal the BREACH" padding,
    kept): each is exactly the page compressed so, plus its file name of 1 to 100 letters and the
    name's NUL."""
    from isal import igzip

    from verbatim.middleware import CompressPages

    client.force_login(rita)
    url = f"/projects/{project.pk}/interviews/{interview.pk}/"
    answers = [client.get(url, headers=GZIP) for _ in range(8)]
    bodies = [answer.content for answer in answers]
    assert all(body[:3] == b"\x1f\x8b\x08" and body[3] & gzip.FNAME for body in bodies)
    assert len({len(body) for body in bodies}) > 1
    for answer, body in zip(answers, bodies, strict=True):
        assert answer["Content-Length"] == str(len(body))
        page = gzip.decompress(body)
        assert b'id="transcript"' in page
        padding = len(body) - len(igzip.compress(page, CompressPages.LEVEL, mtime=0))
        assert 2 <= padding <= CompressPages.max_random_bytes + 1
