"""Messages that are not questions about the papers: a greeting, a thank-you, "what can
you do?". They are answered with what the bot is and what to ask, not searched: "hi" was
answered "The indexed papers do not answer this question. The closest papers are: HyPINO:
Multi-Physics Neural Operators ...", a Slack user's first impression of the bot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_GREETING = re.compile(
    r"^\W*(?:hi|hello|hey|hiya|howdy|yo|greetings|good\s+(?:morning|afternoon|evening|day))"
    r"(?:\s+(?:there|all|everyone|folks|bot|team))?\W*$",
    re.IGNORECASE,
)
_HELP = re.compile(
    r"^\W*(?:help|what\s+(?:can|do)\s+you\s+do|who\s+are\s+you|what\s+are\s+you"
    r"|how\s+(?:do|can|should)\s+i\s+use\s+(?:you|this|it)|what\s+(?:can|should)\s+i\s+ask"
    r"(?:\s+you)?|how\s+does\s+this\s+work|what\s+(?:papers|topics)\s+do\s+you\s+(?:have|know"
    r"|cover)|how\s+many\s+papers\s+(?:do\s+you\s+have|are\s+(?:there|indexed|in\s+(?:the|your"
    r"|this)\s+(?:index|corpus|collection|library)))|what(?:'s|\s+is)\s+in\s+(?:the|your|this)"
    r"\s+(?:index|corpus|collection|library))\W*$",
    re.IGNORECASE,
)
_THANKS = re.compile(
    r"^\W*(?:thanks?|thank\s+you|thx|ty|cheers|many\s+thanks)(?:\s+(?:so\s+much|a\s+lot"
    r"|very\s+much))?(?:\W+(?:that\s+helps|great|perfect))?\W*$",
    re.IGNORECASE,
)
EXAMPLES = 3
"""Example questions in the reply to a greeting or a request for help."""


def small_talk_reply(message: str, papers: int, titles: Iterable[str]) -> str | None:
    """The reply to `message` when it is small talk, else None. `titles` (the index's)
    give example questions that this index answers: "What is KAN?" for "KAN:
    Kolmogorov-Arnold Networks"; a fixed example would ask about papers another corpus
    does not hold."""
    if _THANKS.match(message):
        return "You're welcome. Ask me anything else about the indexed papers."
    if not (_GREETING.match(message) or _HELP.match(message)):
        return None
    names = []
    for title in titles:
        name, colon, _ = title.partition(":")
        if colon and 0 < len(name.split()) <= 2 and name not in names:
            names.append(name.strip())
        if len(names) == EXAMPLES:
            break
    examples = ", ".join(f"\u201cWhat is {name}?\u201d" for name in names)
    asking = f" Try {examples}, or" if examples else " Ask"
    return (
        f"I answer questions from the {papers:,} paper abstract{'s' * (papers != 1)} indexed "
        "here, citing the "
        f"papers each answer quotes.{asking} \u201cpapers on X?\u201d, \u201cWho wrote X?\u201d "
        "or \u201ccompare X and Y\u201d. When the papers do not answer, I say so and list "
        "the closest ones."
    )
