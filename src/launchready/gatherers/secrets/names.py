"""Which names say that a value is a credential (`DB_PASSWORD`, `api_key`, `FLY_API_TOKEN`).

One definition, shared by the engine's generic rule (``rules.py``) and by the deploy stage,
which masks `NAME=value` in the commands and documents it quotes. Kept apart from
``rules.py`` so that a reader of names does not have to load every rule.
"""

from __future__ import annotations

import re

# Words that make an identifier name a credential. `pass` must end its word, so that
# `passenger` or `passive` stay quiet (`BYPASS_X` does not: a cost of also catching `DB_PASS`).
SECRET_WORDS = (
    r"(?:secret|pass(?:word|wd|phrase)?(?![a-z])|pwd|token|api[_-]?key|apikey"
    r"|access[_-]?key|auth[_-]?key|private[_-]?key|credentials?)"
)
SECRET_NAME = re.compile(SECRET_WORDS, re.IGNORECASE)
