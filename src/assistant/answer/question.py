"""Understanding a question before answering it: what kind of answer it wants,
which terms it is about, which period it names, and, for follow-ups, what it
refers back to. Language-aware (English and Chinese), no model needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from assistant.lexical import tokenize
from ingest.text import cjk_ratio

# Words that frame a question rather than name what it is about (built on first use:
# tokenising the Chinese ones loads jieba's dictionary, which `assistant docs` never needs).
_FRAME_EN = """what which who whom whose when where why how many much share proportion portion percentage percent ratio
    part fraction number amount figure level value article document text note passage source year years time
    date period mid early late whole money full overall supposed expected said say tell according
    give list name describe explain happen happened do does did get got make made take taken
    must shall should may might ought can could would will required require requires"""
_FRAME_ZH = ("什么 哪些 多少 何时 哪个 哪 几 怎样 如何 比例 比重 占比 文件 "
             # Chinese question words and frames (jieba words): they ask, they do not name a topic.
             "时候 什么时候 时间 何年 哪年 哪一年 谁 哪家 哪里 是否 多长 多大 几个 几家 几项 所有 各 提出 规定 要求 应当 应该 需要")


@lru_cache(maxsize=1)
def frame_words() -> frozenset[str]:
    zh = _FRAME_ZH.split()
    return frozenset(tokenize(_FRAME_EN + " " + " ".join(zh[:13]), stem=True)) | {"mid", "whole"} | frozenset(zh[13:])


def __getattr__(name: str):
    if name == "FRAME_WORDS":
        return frame_words()
    raise AttributeError(name)


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
    category_terms: set[str] = field(default_factory=set)  # "which fields": the kind of answer, not its topic
    frame_terms: set[str] = field(default_factory=set)  # "what is the deadline for", "how large": they ask, not name
    comparison: bool = False  # "how does X compare with Y", "2022年和2023年……各是多少"
    parts: list[str] = field(default_factory=list)  # a comparison's sides as questions of their own
    focus: str = ""  # what the answer must be about, in words (a follow-up with a subject of its own: its own words)
    borrowed_terms: set[str] = field(default_factory=set)  # from an earlier turn: weigh less
    source_terms: set[str] = field(default_factory=set)  # "according to its January 2024 press conference": the source, not the answer
    also_types: list[str] = field(default_factory=list)  # "by when ..., and what is the outlay?": the kinds the further asks want


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
    if re.search(r"\b(what|which) (share|proportion|portion|percentage|percent|ratio|fraction)\b|\bhow much of\b(?! (?:it|that|this|them|these|those)\b)|\bwhat part\b|比例|比重|占比|百分之", ql) \
            or re.search(r"\b(what|which) ([\w-]+ ){0,3}(rates?|ratios?)\b(?! of (return|exchange)\b)|(率|比例)是多少", ql):
        return "percent"  # "what interest rate", "what deficit-to-GDP ratio": the head noun asks for a percentage
    if re.search(r"\bhow much\b(?! of)(?!.*\b(share|percent|proportion)\b)", ql) and re.search(
            r"\b(invest\w*|spen[dt]\w*|cost\w*|rais\w*|earn\w*|pa(y|id)\w*|fund\w*|capital|money|budget\w*|profit\w*|revenue|income|worth|allocat\w*|attract\w*|bring|brought|make|made)\b", ql) \
            or re.search(r"\b(what|which) (is |are |was |were )?(the )?([\w-]+ ){0,2}(allocation|outlay|provision|expenditure|spending|investment|funding)s?\b"
                         r"(?=\s*(?:for|of|on|to|in|under|does|did|do|will|would|is|are|was|were|has|have|\?|$))"
                         r"|\b(what|which)\b.*\b(is|are|was|were) (allocated|earmarked|set aside|budgeted)\b", ql) \
            and not re.search(r"\b(meant|used|aim\w*|purpose|designed|intended)\b", ql):
        return "amount"  # "what is the allocation for X", "what grant is allocated": the head noun asks for money
    if re.search(r"\bhow (many|much)\b|\bwhat (number|amount|total|sum|value|level)\b|多少|几(?![时月])|多大", ql):
        return "number"
    # "when" as the question's word, not as a conjunction ("what cost does it imply when ...")
    if re.search(r"(?:^|[,;:]\s*|\b(?:and|by|from|until|till|since|so|then)\s+)when\b|\b(what|which) (year|date|month|quarter|time|deadline)\b|\bhow long\b|何时|什么时候|什么时间|哪一年|哪年|哪个季度|几月|期限|截止|截至", ql):
        return "date"
    if re.search(r"\bwho\b|\bwhich (body|agency|official|person|organi[sz]ation|department|ministry|commission)\b|谁|哪[个些家]?(?:部门|单位|机构|机关)", ql):
        return "person"
    if re.search(r"\b(which|what) (\w+ ){0,2}(fields|areas|sectors|industries|aspects|tasks|priorities|measures|lines|steps|kinds|types|ways)\b|哪些", ql):
        return "list"
    return "other"


# "How many X, and over how many years?", "……有多大？其中……有多少？": a second question joined to the first.
_SECOND_ASK = re.compile(r",?\s+(?:and|as well as)\s+(?=(?:how|what|which|when|who|whom|where|by how|by when|by what|to what|over how|"
                         r"from when|from what|on what|in what|at what)\b)", re.I)
_SECOND_ASK_ZH = re.compile(r"[？?](?=.)|[，,]?其中")


# "What deposit limit and interest rate does the scheme offer?": two things asked of one subject.
_TWO_HEADS = re.compile(r"^(what|which)\s+((?:[\w'’-]+\s+){0,3}?[\w'’-]+)\s+and\s+((?:[\w'’-]+\s+){0,3}?[\w'’-]+)"
                        r"(\s+(?:does|do|did|will|would|is|are|was|were|has|have|can|should)\b.*)$", re.I | re.S)


_VERB_FIRST = re.compile(r"(?:is|are|was|were|does|do|did|will|would|has|have|can|should)\b", re.I)


def ask_parts(q: str) -> list[str]:
    """The questions a question asks, in order: one, or two when a second is joined on
    ("..., and what is the outlay?") or two heads share the rest ("what limit and rate does it offer")."""
    m = _SECOND_ASK.search(q) or _SECOND_ASK_ZH.search(q.strip())
    h = None if m else _TWO_HEADS.match(q.strip())
    if h and not _VERB_FIRST.match(h.group(2)):
        return [f"{h.group(1)} {h.group(2)}{h.group(4)}", f"{h.group(1)} {h.group(3)}{h.group(4)}"]
    if not m or not q[:m.start()].strip() or not q[m.end():].strip(" ？?"):
        return [q]
    return [q[:m.start()].strip() + ("" if re.search(r"[？?]$", q[:m.start()].strip()) else "?"), q[m.end():].strip()]


def asks_two(q: str) -> bool:
    """Two questions in one, or one that wants two values at once (分别, 各是)."""
    return len(ask_parts(q)) > 1 or bool(re.search(r"\b(?:and|as well as|both)\b[^?]*\b(?:how|what|which|when|who)\b", q, re.I)) \
        or bool(re.search(r"分别|各是|各为|其中", q))


def analyse(question: str) -> QuestionInfo:
    lang = "zh" if cjk_ratio(question) > 0.3 else "en"
    toks = tokenize(question.replace("-", " "))
    terms = [t for t in dict.fromkeys(toks) if t not in frame_words() and not re.match(r"[几哪]", t)]  # 几座, 哪项: frames
    ql = question.lower()
    m = re.search(r"\b(two|three|four|five|six|seven|eight|nine|ten|\d)\s+(\w+\s+)?\w+s\b|([两二三四五六])[个项大方面]", ql)
    expected = None
    if m:
        word = m.group(1) or m.group(3)
        expected = int(word) if word and word.isdigit() else _NUM_WORDS.get(word)
        terms = [t for t in terms if t != word]  # "which three areas": a count of the answer, not a topic
    about_author = bool(re.search(r"\bwho\b.*\b(report|wrote|write|written|author|byline|journalist)", ql)) or bool(re.search(r"(记者|作者|谁写|谁报道)", question))
    parts = ask_parts(question)
    kind = answer_type(parts[0])
    also = [t for t in (answer_type(p) for p in parts[1:]) if t != kind]
    frames = frame_terms(question)
    comparison = is_comparison(question)
    about_ledger = not comparison and _asks_for_listing(question, [t for t in terms if t not in frames])
    category = set()
    cm = re.search(r"\b(?:which|what)\s+(?:(?:two|three|four|five|six|\d+|main|key|new)\s+)?(\w+)", ql)
    if cm and kind in ("list", "person", "date"):
        category = set(tokenize(cm.group(1)))
    zm = re.search(r"(?:哪些|哪个|哪几个|哪家|哪几|什么)([\u4e00-\u9fff]{1,6})", question)
    if zm and kind in ("list", "person", "date"):
        category = set(tokenize(zm.group(1))[:1])  # "哪些领域": 领域 names the kind of answer, not the topic
    return QuestionInfo(text=question, language=lang, answer_type=kind, terms=terms,
                        years=_YEAR.findall(question), expected_items=expected, about_author=about_author,
                        about_ledger=about_ledger, category_terms=category, frame_terms=frames & set(terms),
                        comparison=comparison, parts=comparison_parts(question) if comparison else [],
                        source_terms=source_terms(question) & set(terms), also_types=also)


_RELATIVE_PERIOD = re.compile(
    r"\b(?:the )?(?:fiscal )?(?:year|month|quarter) (?:after|before|later|earlier)\b|\ba (?:year|month|quarter) (?:later|earlier|before|after)\b"
    r"|\b(?:next|following|previous|prior|coming|preceding) (?:fiscal )?(?:year|month|quarter)\b|次年|下一年|明年|上一年|前一年|去年|翌年|来年", re.I)


def analyse_turn(question: str, standalone: str, previous: str | None = None) -> QuestionInfo:
    """Analyse the standalone form of a follow-up; the words it borrowed from earlier turns weigh less."""
    info = analyse(question)
    if standalone != question:
        own, own_years = set(info.terms), info.years
        info = analyse(standalone)
        info.borrowed_terms = set(info.terms) - own
        own_topic = own - frame_words()
        earlier = set(analyse(previous).terms) if previous else set(info.borrowed_terms)
        if own_years or _RELATIVE_PERIOD.search(question):
            # "and from 2026 onwards?", "and the year after?": the follow-up sets its own period; the
            # earlier question's years would make every sentence about the new period look like a conflict
            info.years = list(own_years)
        if len(own_topic) >= 2 and not own_years and not (own_topic & earlier):
            # a follow-up with a subject of its own, sharing nothing with the earlier question ("and the survey of
            # reservoirs?"): no borrowed period or kind of answer, and its own words say what the answer is about
            info.years = []
            info.focus = question
            parts = ask_parts(question)
            info.answer_type = answer_type(parts[0])
            info.also_types = [t for t in (answer_type(p) for p in parts[1:]) if t != info.answer_type]
    return info


# The word after "how" (how large / often / long / important) and the head noun of a
# "what is the N of/for ..." phrase ask for the answer; they do not name its topic.
_HOW = re.compile(r"\bhow\s+([a-z]+)", re.I)
_WH_HEAD = re.compile(r"\b(?:what|which)\s+(?:is|are|was|were|will be)\s+(?:the\s+)?(?:\w+\s+)?(\w+)\s+(?:of|for|on|to|in|by|that|under|at)\b"
                      r"|\b(?:what|which)\s+(\w+)\s+(?:of|for)\b", re.I)
_ZH_FRAME = re.compile(r"(多大|多少|多长|多久|多高|多快|怎样|如何|什么)([\u4e00-\u9fff]{0,2})")


def frame_terms(question: str) -> set[str]:
    """Terms that frame the question ("deadline" in "what is the deadline for X", "large" in
    "how large is X"): told by their place in the question, not by a list of words."""
    out: set[str] = set()
    for m in _HOW.finditer(question):
        out.update(tokenize(m.group(1)))
    for m in _WH_HEAD.finditer(question):
        out.update(tokenize(m.group(1) or m.group(2) or ""))
    for m in _ZH_FRAME.finditer(question):
        out.update(tokenize(m.group(0)))
    return out


_COMPARE = re.compile(r"\b(compare[sd]?|comparison|versus|vs\.?|than|differ\w*|change[sd]? from|higher|lower|both)\b"
                      r"|相比|比较|对比|分别|各是|各为|和[^，。？]{0,12}各", re.I)


def is_comparison(question: str) -> bool:
    """A question that asks for two facts side by side (two periods, two documents)."""
    if _COMPARE.search(question) and (len(set(_YEAR.findall(question))) >= 2 or bool(
            re.search(r"\b(compare[sd]?|versus|vs\.?|than)\b|相比|比较|对比", question, re.I))):
        return True
    return bool(comparison_parts(question)) and _sides_joined(question)


def _sides_joined(question: str) -> bool:
    """Two names or periods joined to each other ("Westland's for 2031 or Eastmoor's", 「2030年和2031年」),
    not merely two in one question ("What export and job goals does Westland's Digital
    Decade set?" names one thing, of Westland)."""
    for seen in (_names(question), list(dict.fromkeys(m.group(1) for m in _PERIOD.finditer(question)))):
        if len(seen) >= 2:
            a, b = seen[0], seen[1]
            between = question[question.find(a) + len(a):question.find(b, question.find(a) + len(a))]
            if len(between) <= 40 and re.search(r"\b(?:and|or|versus|vs\.?|with|than)\b|[和与及或、]", between, re.I):
                return True
    return False


_NOT_NAMES = frozenset("what which how when who whom whose where why the a an in on by for and or under according "
                       "january february march april may june july august september october november december".split())
_PERIOD = re.compile(r"(?<![\d/-])((?:19|20)\d\d(?:\s*[-–/]\s*\d{2,4})?)(?![\d])")
_NAME = re.compile(r"(?<![.?!]\s)(?<!^)\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+)*)(?:['’]s)?\b")


_JOIN = r"(?:\s*(?:\b(?:and|or|versus|vs\.?|with|than)\b|和|与|及|或|、|,)\s*)"
_SIDE_UNIT = r"(?:['’]s|年度|年)?"
_POSSESSIVE_PHRASE = r"['’]s(?:\s+(?!(?:and|or|versus|vs|with|than)\b)[^\s,;:?？。]+)*"


def _drop_side(question: str, side: str) -> str:
    """Remove one side of a comparison with its unit and the word joining it to the other
    side ("2021 and 2022 plans" -> "2021 plans", 「2022年和2023年」 -> 「2023年」); a
    possessive side leaves with its phrase ("Westland's plan or Eastmoor's plan" ->
    "Westland's plan")."""
    name = re.escape(side)
    unit = _POSSESSIVE_PHRASE if re.search(rf"{name}['’]s", question) else _SIDE_UNIT
    before = re.compile(rf"{_JOIN}{name}{unit}(?![\d])", re.I)
    if before.search(question):
        return before.sub(" ", question, count=1)
    after = re.compile(rf"(?<![\d]){name}{unit}{_JOIN}", re.I)
    if after.search(question):
        return after.sub(" ", question, count=1)
    return re.sub(rf"{name}{_SIDE_UNIT}", " ", question)


def _tidy(text: str) -> str:
    """Collapse the spaces a removal leaves; none between Chinese characters."""
    text = re.sub(r"\s+([?？.,;:!])", r"\1", re.sub(r"\s+", " ", text)).strip()
    return re.sub(r"(?<=[\u3000-\u9fff\uff00-\uffef])\s+|\s+(?=[\u3000-\u9fff\uff00-\uffef])", "", text)


def _names(question: str) -> list[str]:
    """The capitalised names a question holds (countries, programmes), once each, in order."""
    return [n for n in dict.fromkeys(m.group(1) for m in _NAME.finditer(question))
            if n.lower() not in frame_words() and n.split()[0].lower() not in _NOT_NAMES]


def comparison_parts(question: str) -> list[str]:
    """The two sides of a comparison as separate questions, so each side is retrieved on
    its own: by period ("2022年和2023年…" -> one question per year) or by the names that
    differ ("Ghana's for 2025 or Nepal's for 2024/25" -> one per country)."""
    periods = list(dict.fromkeys(m.group(1) for m in _PERIOD.finditer(question)))
    names = _names(question)
    for side in (names if len(names) >= 2 else [], periods if len(periods) >= 2 else []):
        if len(side) >= 2:
            parts = []
            for keep in side[:2]:
                q = question
                for other in side:
                    if other != keep:
                        q = _drop_side(q, other)
                parts.append(_tidy(q))
            return parts
    return []


_LISTING = re.compile(r"\b(deadlines|targets|goals|commitments)\b|\bdue\b|(哪些目标|哪些任务|哪些期限|截止日期)", re.I)


def _asks_for_listing(question: str, topic_terms: list[str]) -> bool:
    """"Which targets are due by 2027?", "What are the deadlines?": a request for rows of the
    targets ledger, with (almost) no topic of its own; "what are the goals of X" is not one."""
    if not _LISTING.search(question) or not re.search(r"\b(what|which|list|all|show)\b|哪些|列出", question, re.I):
        return False
    listing_words = set(tokenize("deadline deadlines target targets goal goals commitment commitments due 目标 任务 期限 截止"))
    rest = [t for t in topic_terms if t not in listing_words and not _YEAR.fullmatch(t) and not t.isdigit()]
    return len(rest) <= 1


_FOLLOW_UP = re.compile(r"^\s*(and|what about|how about|also|same for|but|then|so)\b|^\s*(那么|那|还有|另外|其中|而)", re.I)
_PRONOUN = re.compile(r"\b(it|its|that|this|these|those|they|them|their|there|he|she)\b|(它|其|这些|那些|该|此)", re.I)


def history_questions(messages: list[dict[str, str]]) -> list[str]:
    """The user's previous questions, oldest first, from normalised messages (`turn.history_messages`)."""
    return [m["content"] for m in messages or [] if m.get("role") == "user" and m.get("content")]


def is_follow_up(question: str) -> bool:
    content = [t for t in tokenize(question.replace("-", " ")) if t not in frame_words()]
    return bool(_FOLLOW_UP.search(question)) or (len(content) <= 3 and bool(_PRONOUN.search(question))) or len(content) <= 1


def standalone_question(question: str, messages: list[dict[str, str]]) -> str:
    """Resolve a follow-up against the previous question: keep the new question's
    own words and borrow the topic words it leaves out ("and for local SOEs?" after
    "What share of main tasks had central SOEs completed?")."""
    previous = history_questions(messages)
    if not previous or not is_follow_up(question):
        return question
    prev = previous[-1]
    new = re.sub(_FOLLOW_UP, "", question).strip(" ?？,.，") or question
    new_years, prev_years = _YEAR.findall(new), _YEAR.findall(prev)
    own = [t for t in tokenize(_YEAR.sub(" ", new)) if t not in frame_words()]
    if new_years and prev_years and len(own) <= 1:
        # "那么2022年定的是多少？" after "2023年……目标是多少？": the earlier question, about the new period
        return _YEAR.sub(lambda m: new_years[0] if m.group(0) in prev_years else m.group(0), prev)
    prev_frame = re.match(r"^\s*((what|which|how|when|who|where|why)\b[^?]*?)(\?|$)", prev, re.I)
    if re.search(r"\b(for|in|of|at|about)\b", new.split()[0] if new.split() else "", re.I) or len(new.split()) <= 4 and not re.match(r"(what|which|how|when|who|where|why)\b", new, re.I):
        # "and for local SOEs?" -> previous question with the new qualifier swapped in
        base = prev.rstrip(" ?？")
        return f"{base} — {new}?" if prev_frame else f"{new} {base}"
    return f"{new.rstrip('?？')} ({prev.rstrip(' ?？')})?"
