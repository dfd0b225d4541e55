"""The Overview at its own address, /overview (Streamlit serves the default page at / only)."""
from __future__ import annotations

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).with_name("overview.py")), run_name="__main__")
