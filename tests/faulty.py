"""The real app with a switch for the fault matrix (tests/test_faults.py): while the file named by
HOTLINE_FAULT_FILE holds a request path, the call service raises inside that path's handler, as a
bug would. Served by the real server: `flask --app faulty:create_app serve`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, request

import hotline
from hotline import calls


def create_app() -> Flask:
    app = hotline.create_app()
    switch = Path(os.environ["HOTLINE_FAULT_FILE"])
    real_apply = calls.apply

    def apply(*args: Any, **kwargs: Any) -> Any:
        if switch.exists() and switch.read_text() == request.path:
            raise RuntimeError(f"injected fault in {request.path}")
        return real_apply(*args, **kwargs)

    calls.apply = apply  # type: ignore[assignment]
    return app
