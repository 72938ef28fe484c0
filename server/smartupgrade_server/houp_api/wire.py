"""The constants of the HOUP's HTTPS API, spelled once for the HOUP and the switch."""

from typing import Final

VERSION_CHECK_PATH: Final = "/api/v1/version-check"
LIMIT_HEADER: Final = "X-HOUP-Error"
"""The header of a 503 that names why the HOUP refused the request."""
SERVER_SPEC_UP_LIMIT: Final = "serverSpecUpLimit"
"""The HOUP's connection limit was reached (`LIMIT_HEADER` value and JSON `error`)."""
UNSUPPORTED_MODEL: Final = "unsupportedModel"
"""The JSON `error` of a 404 to a version check: the HOUP has no version for the model."""
NEED_UPDATE: Final = "needUpdate"
VERSION_OPTIMAL: Final = "versionOptimal"
