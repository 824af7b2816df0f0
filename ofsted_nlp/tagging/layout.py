"""The codebook's layout rule: what a sentence under "What needs to improve" is, by its form alone.

The codebook: "Recommendations ("Ensure that ...") and the short noun-phrase
bullets under 'What needs to improve' are findings, negative, even when a
bullet reads like praise out of context". :func:`is_recommendation_or_bullet`
recognises both forms wherever they stand; :func:`~ofsted_nlp.tagging.tags.decide`
applies the rule to sentences under a development or priority-action heading.

The forms, read from the corpus's development and priority-action sections
(letters and reports, 2009-2026):

- an **imperative**: a recommendation's verb first ("Provide regular
  supervision ...", "Work with partners to ensure ..."), also after a leading
  phrase set off by a comma ("For all children looked after ..., ensure ...",
  "In partnership with the KSCB, launch ...");
- a **duty**: the subject must, should or needs to act ("The virtual school
  needs to ensure ...", "Leaders should urgently review ...");
- a **noun-phrase bullet**: no finite verb in its main clause, however long,
  and whether or not it ends with a full stop ("The number of return
  interviews that are completed ...", "Purposeful visits to children which are
  responsive to ...", "How well plans are used to measure ...").

A finite verb inside a relative clause ("which are", "that have") or after a
leading "how", "whether" or "the extent to which" does not make a sentence a
clause: the bullet still names what needs to improve.

This is a separate test from the model's ``list_item`` feature
(:func:`~ofsted_nlp.tagging.codebook.is_list_item_or_recommendation`), which
the shipped model was trained with and which stays as it is until the model
is retrained.
"""

from __future__ import annotations

import re

__all__ = ["is_recommendation_or_bullet", "is_imperative", "is_duty", "is_noun_phrase_bullet"]

# Verbs Ofsted's recommendations open with (the base form, capitalised in the text).
IMPERATIVE_VERBS = (
    "ensure", "improve", "strengthen", "develop", "increase", "reduce", "review", "make", "provide", "monitor",
    "complete", "secure", "take", "work", "establish", "implement", "embed", "undertake", "continue", "consider",
    "address", "extend", "raise", "introduce", "agree", "evaluate", "analyse", "use", "build", "clarify",
    "tackle", "prioritise", "promote", "enable", "support", "record", "identify", "assess", "audit", "track",
    "act", "set", "put", "create", "expand", "accelerate", "refine", "revise", "update", "publish", "launch",
    "finalise", "deliver", "recruit", "retain", "stabilise", "reinforce", "engage", "involve", "consult",
    "listen", "respond", "arrange", "offer", "give", "help", "enhance", "sustain", "maintain", "challenge",
    "check", "confirm", "demonstrate", "measure", "quality", "target", "focus", "align", "commission",
    "co-ordinate", "coordinate", "resolve", "remove", "increase", "reduce", "avoid", "prevent", "tighten",
    "drive", "expedite", "sharpen", "include", "collate", "conduct", "consolidate", "be", "give", "put",
)
_IMPERATIVE = re.compile(r"(?:" + "|".join(sorted(set(IMPERATIVE_VERBS), key=len, reverse=True)) + r")\b")
# A leading phrase set off by a comma, before the verb: a preposition or conjunction opening it.
_LEADING = re.compile(r"^(?:for|in|with|when|where|as|through|by|across|together|alongside|working|following|"
                      r"at|to|within|once|before|after|until|if|while|whilst|on)\b", re.I)
_AFTER_COMMA = re.compile(r",\s*(?:" + "|".join(sorted(set(IMPERATIVE_VERBS), key=len, reverse=True)) + r")\b")
_ADVERB = re.compile(r"[a-z]+ly\s+")
_DUTY = re.compile(r"\b(?:should|must|needs? to|has to|have to|is required to|are required to|ought to|"
                   r"may (?:want|wish) to)\b:?"
                   r"(?:\s+(?:be|continue|urgently|now|further|also|still|quickly|swiftly|consistently|"
                   r"routinely|always|more|better|fully|all|both|each|in turn))*\s+[a-z]", re.I)

# Finite verbs and auxiliaries: one of these in the main clause makes it a clause, not a bullet. Words that
# are as often nouns in these documents ("support", "work", "review", "use", "offer", "needs", "visits") are
# left out: a bullet is made of them.
_FINITE_WORDS = (
    "is are was were has have had does do did can cannot could will would shall should must may might "
    "isn't aren't wasn't weren't hasn't haven't doesn't don't didn't won't can't couldn't wouldn't "
    "remains remain continues lacks vary varies means includes receive receives show shows know knows feel "
    "feels make makes take takes benefit benefits helps provide provides ensures understand understands "
    "meet meets reflects lead leads give gives get gets demonstrate demonstrates enables allows requires "
    "identifies wait waits tell tells recognise recognises acknowledge acknowledges hold holds manage "
    "manages respond responds protect protects operate operates delivers engage engages consider considers "
    "agree agrees follow follows listen listens stay stays become becomes appear appears seem seems exist "
    "exists occur occurs happen happens prevents promotes contribute contributes come comes go goes "
    "endeavour endeavours play plays applies refers carry carries see sees saw found noted told said"
).split()
_FINITE = re.compile(r"\b(?:" + "|".join(sorted(set(_FINITE_WORDS), key=len, reverse=True)) + r")\b"
                     r"|\b(?:it|this|that|they|he|she|these|those)\s+[a-z]+(?:s|ed)\b", re.I)
_VERB_AFTER_TO = sorted(set(IMPERATIVE_VERBS) | {w for w in _FINITE_WORDS if w.isalpha() and not w.endswith("s")}
                        | {"be", "have", "help", "enter", "access", "understand", "know", "meet", "achieve"},
                        key=len, reverse=True)
# What a finite verb inside does not count for: a relative, result or infinitive clause, to its end or the
# next comma (a preposition "to", "before" or "after" opens none).
_SUBORDINATE = re.compile(r"\b(?:so that|so)\b[^;]*"  # a result clause runs to the end
                          r"|\b(?:which|that|who|whom|whose|where|when|what|because|whether|while|"
                          r"whilst|to (?:" + "|".join(_VERB_AFTER_TO) + r"))\b[^,;]*", re.I)
_WH_START = re.compile(r"^\W*(?:how(?:\s+well|\s+effectively|\s+far|\s+quickly|\s+consistently|\s+accurately)?"
                       r"|whether|the extent to which|the degree to which|the ways? in which|the way)\b", re.I)


def is_imperative(text: str) -> bool:
    """A recommendation in the imperative: its verb first (perhaps after an adverb: "Fully implement ..."),
    or after a leading phrase set off by a comma ("When children go missing, ensure ...")."""
    head = text.lstrip(" \t-\u2022\u2013\u00b7*").lstrip()
    if not head[:1].isupper():
        return False
    low = head.lower()
    adverb = _ADVERB.match(low)
    if _IMPERATIVE.match(low) or (adverb is not None and _IMPERATIVE.match(low[adverb.end():])):
        return True
    if _LEADING.match(head):
        return bool(_AFTER_COMMA.search(low))
    return False


def is_duty(text: str) -> bool:
    """The subject must, should or needs to act: what has still to be done."""
    return bool(_DUTY.search(text))


def is_noun_phrase_bullet(text: str) -> bool:
    """No finite verb in the main clause (relative, complement and infinitive clauses set aside)."""
    words = text.split()
    if not words or len(words) > 60:
        return False
    if _WH_START.match(text):
        return True
    main = _SUBORDINATE.sub(" ", text)
    main = main.split(" ", 1)[1] if " " in main else ""  # a bullet may open with a gerund ("Capturing ...")
    return not _FINITE.search(main)


def is_recommendation_or_bullet(text: str) -> bool:
    """A recommendation (imperative or duty) or a noun-phrase bullet: what "What needs to improve" lists."""
    return is_imperative(text) or is_duty(text) or is_noun_phrase_bullet(text)
