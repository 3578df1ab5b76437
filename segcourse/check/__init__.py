"""Exercise checks: call ``check.<exercise>(your_function)`` in a chapter to test your answer.

Each check runs your function on several cases, edge cases included, and prints what passed and, for a
failure, the input, the expected and the actual value. It never shows the reference solution and never
stops the notebook. ``segcourse grade`` collects the same results from handed-in notebooks.
"""

from __future__ import annotations

from segcourse.check._core import RESULT_MIMETYPE, Case, Result, close, records_from_outputs, run_cases

__all__ = ["RESULT_MIMETYPE", "Case", "Result", "close", "records_from_outputs", "run_cases"]
