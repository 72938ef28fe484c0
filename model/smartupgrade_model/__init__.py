"""The Smart Upgrade model shared by the server and the client: the constants, enumerations and
dataclasses generated from the YANG modules (``model``), the switch's display layout
(``display``), the table of the seed's configuration commands (``commands``), the module files
themselves (``modules``, package data under ``yang/``) and the conversions between the
dataclasses and RFC 7951 data (``convert``); the installed version (``distribution``)."""
