"""PDF: the text layer, page by page; a scan without one is refused with what to do.

pypdf rather than pypdfium2 (compared in docs/importing.md): pdfium reads ten times faster, but
inflates whatever a file asks (a 1.7 kB file took 4.7 s and 430 MB), where pypdf stops a stream at
its decompression limit in a quarter of a second; a form drawing itself is cut short by both.
"""

import io

from django.utils.translation import gettext as _

from interviews.readers import Extracted, Unreadable


def read_pdf(data: bytes) -> Extracted:
    import pypdf
    from pypdf.errors import FileNotDecryptedError, LimitReachedError, PdfReadError

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        # An empty user password only restricts printing or copying: the text is readable.
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileNotDecryptedError
        pages = [page.extract_text() or "" for page in reader.pages]
    except (FileNotDecryptedError, NotImplementedError):
        raise Unreadable(
            _("The PDF is encrypted (password-protected): save an unprotected copy.")
        ) from None
    except PdfReadError:
        raise Unreadable(_("The PDF is damaged or is not a real PDF.")) from None
    except LimitReachedError:
        raise Unreadable(
            _("The PDF unpacks to far more than its size: it looks like a bomb and was refused.")
        ) from None
    text = "\n\n".join(pages)
    if not text.strip():
        raise Unreadable(
            _(
                "The PDF has no text layer (it is probably a scan): run text recognition (OCR) "
                "on it first, or import the transcript's Word or text version."
            )
        )
    return Extracted(text)
