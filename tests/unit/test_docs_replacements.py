"""The docs runners put the ports a test got in place of the pages' default ports."""

from tests.support.docs import replaced


def test_a_port_put_in_for_one_default_is_not_replaced_again() -> None:
    # the OS gave the switch 38443, which holds the web's default 8443: the README's example
    # then dialled 127.0.0.1:357133 (the docs runner failed once on it)
    ports = {"8830": "38443", "8443": "57133"}
    assert replaced("8830 and https://127.0.0.1:8443/", ports) == (
        "38443 and https://127.0.0.1:57133/"
    )


def test_the_longest_default_wins_where_two_overlap() -> None:
    assert replaced("4334 43349", {"4334": "1", "43349": "2"}) == "1 2"
    assert replaced("unchanged", {}) == "unchanged"
