"""What a self-check says differently from official grading.

A self-check (no ``--solutions``) compares with the public cases shipped in
``exercises/public_cases.json``, never with the reference. The checks word their
titles and messages for official grading ("compared with the reference"); here,
in one table, each such text is mapped to its public-case form (same parameters),
and :func:`reword` applies the table to a self-check's result, titles, messages,
notes and message parameters alike. A test renders whole self-checks and finds no
"reference" left.
"""

from __future__ import annotations

from typing import Any

from ..i18n import Message
from . import Result

PUBLIC_WORDING: dict[str, str] = {
    "title.value": "public.value",
    "title.value_4d": "public.value_4d",
    "title.backward_reference": "public.backward_reference",
    "title.backward_reference_of": "public.backward_reference_of",
    "title.net_value": "public.net_value",
    "stability.title.bn_train": "public.bn_train",
    "backward.mismatch": "public.backward_mismatch",
    "recurrent.gate_order.lstm": "public.gate_order_lstm",
    "recurrent.gate_order.gru": "public.gate_order_gru",
    **{f"capstone.title.{k}": f"capstone.public.{k}"
       for k in ("head", "init", "scores", "loss", "step_clipped", "step_below", "step_none")},
}


def public_form(value: Any) -> Any:
    """``value`` with every message of the table replaced by its public-case form
    (inside parameters, lists and dicts too)."""
    if isinstance(value, Message):
        return Message(PUBLIC_WORDING.get(value.key, value.key),
                       {k: public_form(v) for k, v in value.params.items()})
    if isinstance(value, list):
        return [public_form(v) for v in value]
    if isinstance(value, tuple):
        return tuple(public_form(v) for v in value)
    if isinstance(value, dict):
        return {k: public_form(v) for k, v in value.items()}
    return value


def reword(result: Result) -> Result:
    """Word a self-check's result for what it compared with (in place; returned)."""
    if result.official:
        return result
    for er in result.exercises:
        er.notes = public_form(er.notes)
        for r in er.results:
            r.title = public_form(r.title)
            r.messages = public_form(r.messages)
            r.details = public_form(r.details)
    return result

