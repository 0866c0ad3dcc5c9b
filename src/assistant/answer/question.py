"""Understanding a question before answering it: what kind of answer it wants,
which terms it is about, which period it names, and, for follow-ups, what it
refers back to. Language-aware (English and Chinese), no model needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from assistant.lexical import STOPWORDS, tokenize
from ingest.text import cjk_ratio

# Words that frame a question rather than name what it is about.
FRAME_WORDS = frozenset(tokenize(
    """what which who whom whose when where why how many much share proportion portion percentage percent ratio
    part fraction number amount figure level value article document text note passage source year years time
    date period mid early late whole money full overall supposed expected said say tell according
    give list name describe explain happen happened do does did get got make made take taken
    must shall should may might ought can could would will required require requires
    什么 哪些 多少 何时 哪个 哪 几 怎样 如何 比例 比重 占比 文件""" , stem=True)) | {"mid", "whole"} | frozenset(
    # Chinese question words and frames (jieba words): they ask, they do not name a topic.
    "时候 什么时候 时间 何年 哪年 哪一年 谁 哪家 哪里 是否 多长 多大 几个 几家 几项 所有 各 提出 规定 要求 应当 应该 需要".split())

# A small thesaurus of paraphrases common in policy and economic writing. Each
# group is a set of interchangeable stems; phrases are matched as token runs.
SYNONYM_GROUPS = [
    "group batch round tranche cohort",
    "complet finish accomplish fulfil fulfill",
    "establish set found creat form launch",
    "rais attract bring draw",
    "grow rise increas gain climb expand",
    "spend invest expend",
    "firm compani enterpris busi",
    "staff employe worker workforc personnel",
    "reporter author journalist correspond writer",
    "cover involv includ span",
    "particip involv join",
    "target goal aim object",
    "deadlin due",
    "acceler speed quicken hasten",
    "boost strengthen enhanc improv",
    "revenu incom earn",
    "profit earn",
    "sci scienc",
    "tech technolog",
    "plan programm scheme",
    "measur step action",
    "suppos expect intend requir",
]
PHRASES = {
    ("ahead", "schedul"): ("advanc", "earli", "ahead"),
    ("research", "develop"): ("r&d",),
    ("r&d",): ("research",),
    ("set", "up"): ("establish", "found", "creat", "set"),
    ("centrally", "administ"): ("central",),
    ("locally", "administ"): ("local",),
}


@lru_cache(maxsize=1)
def _synonyms() -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for group in SYNONYM_GROUPS:
        words = set(group.split())
        for w in words:
            out.setdefault(w, set()).update(words)
    return {k: frozenset(v) for k, v in out.items()}


def variants(term: str) -> frozenset[str]:
    """A term and its thesaurus synonyms (stems)."""
    return _synonyms().get(term, frozenset()) | {term}


@dataclass
class QuestionInfo:
    text: str
    language: str
    answer_type: str  # number | percent | date | person | list | other
    terms: list[str]
    years: list[str]
    expected_items: int | None = None
    about_author: bool = False
    about_ledger: bool = False
    phrases: list[tuple[str, ...]] = field(default_factory=list)
    category_terms: set[str] = field(default_factory=set)
    borrowed_terms: set[str] = field(default_factory=set)  # from an earlier turn: weigh less
    source_terms: set[str] = field(default_factory=set)  # "according to its January 2024 press conference": the source, not the answer


_SOURCE_CLAUSE = re.compile(
    r"\b(?:according to|as (?:reported|stated|announced|said|set out|described) (?:by|in|at)|as per|cited (?:by|in))\s+([^,;?]+)"
    r"|(?:根据|据|按照)([\u4e00-\u9fff\w ]{2,20}?)(?:的?(?:说法|报道|介绍|数据|表述))?(?=[，,。？?]|$)", re.I)


def source_terms(question: str) -> set[str]:
    """Terms of an attribution clause: they say where the answer is stated, so any
    passage of that source satisfies them, not only the answering sentence."""
    out: set[str] = set()
    for m in _SOURCE_CLAUSE.finditer(question):
        out.update(tokenize((m.group(1) or m.group(2) or "").replace("-", " ")))
    return out


_NUM_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
              "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")


def answer_type(q: str) -> str:
    ql = q.lower()
    if re.search(r"\b(what|which) (share|proportion|portion|percentage|percent|ratio|fraction)\b|\bhow much of\b|\bwhat part\b|比例|比重|占比|百分之", ql):
        return "percent"
    if re.search(r"\bhow much\b(?! of)(?!.*\b(share|percent|proportion)\b)", ql) and re.search(
            r"\b(invest\w*|spen[dt]\w*|cost\w*|rais\w*|earn\w*|pa(y|id)\w*|fund\w*|capital|money|budget\w*|profit\w*|revenue|income|worth|allocat\w*|attract\w*|bring|brought|make|made)\b", ql):
        return "amount"
    if re.search(r"\bhow (many|much)\b|\bwhat (number|amount|total|sum|value|level)\b|多少|几(?![时月])|多大", ql):
        return "number"
    if re.search(r"\bwhen\b|\bby when\b|\b(what|which) (year|date|month|quarter|time|deadline)\b|\bhow long\b|何时|什么时候|什么时间|哪一年|哪年|哪个季度|几月|期限|截止|截至", ql):
        return "date"
    if re.search(r"\bwho\b|\bwhich (body|agency|official|person|organi[sz]ation|department|ministry|commission)\b|谁|哪[个些家]?(?:部门|单位|机构|机关)", ql):
        return "person"
    if re.search(r"\b(which|what) (\w+ ){0,2}(fields|areas|sectors|industries|aspects|tasks|priorities|measures|lines|steps|kinds|types|ways)\b|哪些", ql):
        return "list"
    return "other"


def analyse(question: str) -> QuestionInfo:
    lang = "zh" if cjk_ratio(question) > 0.3 else "en"
    toks = tokenize(question.replace("-", " "))
    terms = [t for t in dict.fromkeys(toks) if t not in FRAME_WORDS and not re.match(r"[几哪]", t)]  # 几座, 哪项: frames
    ql = question.lower()
    m = re.search(r"\b(two|three|four|five|six|seven|eight|nine|ten|\d)\s+(\w+\s+)?\w+s\b|([两二三四五六])[个项大方面]", ql)
    expected = None
    if m:
        word = m.group(1) or m.group(3)
        expected = int(word) if word and word.isdigit() else _NUM_WORDS.get(word)
        terms = [t for t in terms if t != word]  # "which three areas": a count of the answer, not a topic
    about_author = bool(re.search(r"\bwho\b.*\b(report|wrote|write|written|author|byline|journalist)", ql)) or bool(re.search(r"(记者|作者|谁写|谁报道)", question))
    about_ledger = bool(re.search(r"\b(deadlines|targets|goals|due)\b", ql) and re.search(r"\b(what|which|list|all)\b", ql)) \
        or bool(re.search(r"(哪些目标|哪些任务|截止|期限)", question))
    phrases = [p for p in PHRASES if _contains_run(toks, p)]
    kind = answer_type(question)
    category = set()
    cm = re.search(r"\b(?:which|what)\s+(?:(?:two|three|four|five|six|\d+|main|key|new)\s+)?(\w+)", ql)
    if cm and kind in ("list", "person", "date"):
        category = set(tokenize(cm.group(1)))
    zm = re.search(r"(?:哪些|哪个|哪几个|哪家|哪几|什么)([\u4e00-\u9fff]{1,6})", question)
    if zm and kind in ("list", "person", "date"):
        category = set(tokenize(zm.group(1))[:1])  # "哪些领域": 领域 names the kind of answer, not the topic
    return QuestionInfo(text=question, language=lang, answer_type=kind, terms=terms,
                        years=_YEAR.findall(question), expected_items=expected, about_author=about_author,
                        about_ledger=about_ledger, phrases=phrases, category_terms=category,
                        source_terms=source_terms(question) & set(terms))


def analyse_turn(question: str, standalone: str) -> QuestionInfo:
    """Analyse the standalone form of a follow-up; the words it borrowed from earlier turns weigh less."""
    info = analyse(question)
    if standalone != question:
        own = set(info.terms)
        info = analyse(standalone)
        info.borrowed_terms = set(info.terms) - own
    return info


def _contains_run(tokens: list[str], run: tuple[str, ...]) -> bool:
    n = len(run)
    return any(tuple(tokens[i:i + n]) == run for i in range(len(tokens) - n + 1))


_FOLLOW_UP = re.compile(r"^\s*(and|what about|how about|also|same for|but|then|so)\b|^\s*(那|那么|还有|另外|其中)", re.I)
_PRONOUN = re.compile(r"\b(it|its|that|this|these|those|they|them|their|there|he|she)\b|(它|其|这些|那些|该|此)", re.I)


def history_questions(messages: list[dict[str, str]]) -> list[str]:
    """The user's previous questions, oldest first, from normalised messages (`turn.history_messages`)."""
    return [m["content"] for m in messages or [] if m.get("role") == "user" and m.get("content")]


def is_follow_up(question: str) -> bool:
    content = [t for t in tokenize(question.replace("-", " ")) if t not in FRAME_WORDS]
    return bool(_FOLLOW_UP.search(question)) or (len(content) <= 3 and bool(_PRONOUN.search(question))) or len(content) <= 1


def standalone_question(question: str, messages: list[dict[str, str]]) -> str:
    """Resolve a follow-up against the previous question: keep the new question's
    own words and borrow the topic words it leaves out ("and for local SOEs?" after
    "What share of main tasks had central SOEs completed?")."""
    previous = history_questions(messages)
    if not previous or not is_follow_up(question):
        return question
    prev = previous[-1]
    new = re.sub(_FOLLOW_UP, "", question).strip(" ?？,.") or question
    prev_frame = re.match(r"^\s*((what|which|how|when|who|where|why)\b[^?]*?)(\?|$)", prev, re.I)
    if re.search(r"\b(for|in|of|at|about)\b", new.split()[0] if new.split() else "", re.I) or len(new.split()) <= 4 and not re.match(r"(what|which|how|when|who|where|why)\b", new, re.I):
        # "and for local SOEs?" -> previous question with the new qualifier swapped in
        base = prev.rstrip(" ?？")
        return f"{base} — {new}?" if prev_frame else f"{new} {base}"
    return f"{new.rstrip('?？')} ({prev.rstrip(' ?？')})?"
