"""Blocking clients (ncclient, the SDK) called from an async test, in a thread, while the server
serves on the test's event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from ncclient.operations import RPCError

T = TypeVar("T")


async def call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(function, *args, **kwargs)


async def rpc_error(function: Callable[..., object], *args: Any, **kwargs: Any) -> RPCError:
    """The rpc-error ``function`` raises (it must raise one)."""
    with pytest.raises(RPCError) as caught:
        await call(function, *args, **kwargs)
    return caught.value
