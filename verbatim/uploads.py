"""The ceiling of every upload, before any byte of it is kept.

Django parses a multipart body as soon as anything reads `request.POST` (a middleware does:
verbatim.middleware.refuse_nul_bytes), before any view could choose its upload handlers; so this
handler is the first of settings.FILE_UPLOAD_HANDLERS, for every request. Past the ceiling (the
largest file any page accepts, settings.VERBATIM_MAX_RECORDING_BYTES) the file is dropped: nothing
more of it reaches the temporary file, the rest of the body is read and discarded (so that the
browser gets the answer), and `request.upload_refused` names the file for the view to say why.
Each view still checks its own, smaller limit (an interview's transcript: VERBATIM_MAX_UPLOAD_BYTES).
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

# Room for the form's other fields and the multipart boundaries in a request that carries one file
# just under the ceiling.
FIELDS_ALLOWANCE = 1024 * 1024


class SizeCeiling(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.ceiling = settings.VERBATIM_MAX_RECORDING_BYTES
        # The declared length is known before any byte is read: a body that cannot hold a file
        # within the ceiling is refused at its first file.
        self.too_large = content_length > self.ceiling + FIELDS_ALLOWANCE
        return None

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0
        if self.too_large:
            self._refuse()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.ceiling:
            self._refuse()
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) makes the file

    def _refuse(self):
        self.request.upload_refused = self.file_name
        raise StopUpload(connection_reset=False)
