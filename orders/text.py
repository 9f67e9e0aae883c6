"""Text as search compares it (issue 24, point 4): customers type without accents or capitals,
so "Emilie" finds Émilie and "lefevre" finds Lefèvre. One function, used to fill the searched
column on every write path and to read the search box, on both databases."""

import unicodedata

# Letters that carry no combining accent to strip but that people write otherwise.
_LETTERS = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l"})


def search_text(value: str) -> str:
    """`value` without accents, case-folded, its spaces squeezed."""
    decomposed = unicodedata.normalize("NFKD", value.translate(_LETTERS))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.casefold().split())
