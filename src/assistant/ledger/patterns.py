"""The ledger's reading of policy language, as data: date grammar, figure shapes,
comparators, tense and commitment markers, metric phrases and responsible bodies.

English and Chinese. Every entry describes how policy texts in general are written,
never one document; `extract.py` holds the rules that combine them.
"""

from __future__ import annotations

import re

# --------------------------------------------------------------------------- dates

YEAR = r"(?<!\d)(?:19|20)\d{2}(?!\d)"
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
MONTH = "|".join(MONTHS)
ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4,
           "一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
SMALL_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
                 "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
STATED_YEAR = re.compile(
    rf"({YEAR})\s+(?:is|will\s+be|marks)\s+(?:a|an|the)\b[^.;!?。]{{0,80}}?\byear\b"
    rf"|({YEAR})年是[^。；]{{0,30}}?年",
    re.IGNORECASE,
)
PREP = r"(?:(?P<prep>(?i:by|before|until|till|no later than|not later than|within|in|at|during|for|through))\s+)?"
PREP_REQUIRED = r"(?P<prep>(?i:by|before|until|till|no later than|not later than|within|in|at|during))\s+"
BINDING_PREPS = {"by", "before", "until", "till", "no later than", "not later than", "within", "over"}
DROPPED_PREPS = {"in", "during", "for", "through"}
REL_EN = r"(?P<rel>this|next|last|the)\s+year"
REL_ZH = r"(?P<rel>今年|明年|本年|去年|上年)"
ZH_PFX = r"(?P<pfx>到|至|于|在)?"
ZH_SFX = r"(?P<sfx>前|之前|以前|内)?"
DEADLINE_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("quarter", re.compile(PREP + r"(?:the\s+)?(?:end\s+of\s+(?:the\s+)?)?(?P<q>first|second|third|fourth|1st|2nd|3rd|4th)"
                           rf"\s+quarter(?:\s+of\s+(?:{REL_EN}|(?P<year>{YEAR})))?", re.I)),
    ("quarter", re.compile(PREP + rf"\bQ(?P<q>[1-4])(?:\s+(?P<year>{YEAR}))?\b")),
    ("half", re.compile(PREP + r"(?:the\s+)?(?:end\s+of\s+(?:the\s+)?)?(?P<h>first|second)\s+half\s+of\s+"
                        rf"(?:{REL_EN}|(?P<year>{YEAR}))", re.I)),
    ("mid", re.compile(PREP + rf"mid-(?:(?P<year>{YEAR})|(?P<rel>year))", re.I)),
    ("year_end", re.compile(PREP + rf"(?:the\s+)?end\s+of\s+(?:(?:the\s+)?{REL_EN}|(?P<year>{YEAR}))", re.I)),
    ("year_end", re.compile(PREP + rf"(?:the\s+)?year[- ]end(?:\s+(?P<year>{YEAR}))?", re.I)),
    ("year_end", re.compile(PREP + rf"end-(?P<year>{YEAR})", re.I)),
    ("day", re.compile(PREP_REQUIRED + rf"(?P<day>\d{{1,2}})\s+(?P<mon>{MONTH})(?:\s+(?P<year>{YEAR}))?")),
    ("day", re.compile(PREP_REQUIRED + rf"(?P<mon>{MONTH})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,\s*(?P<year>{YEAR}))?")),
    ("month", re.compile(PREP_REQUIRED + rf"(?:(?i:the\s+end\s+of)\s+)?(?P<mon>{MONTH})(?:\s+(?P<year>{YEAR}))?\b")),
    ("year", re.compile(r"(?P<prep>(?i:by|before|until|till|no later than|not later than|in|within|through|towards|toward))"
                        rf"\s+(?:the\s+year\s+)?(?P<year>{YEAR})(?![-–/]\d)")),
    ("year", re.compile(PREP + r"(?P<rel>this|next)\s+year\b", re.I)),
    ("next_n", re.compile(r"(?P<prep>(?i:within|over|in|during))\s+(?:the\s+)?(?i:next|coming|following)\s+"
                          r"(?P<n>\d+|(?i:one|two|three|four|five|six|seven|eight|nine|ten))\s+(?P<unit>(?i:years?|months?))")),
    ("next_n", re.compile(r"(?P<prep>(?i:within))\s+(?P<n>\d+|(?i:one|two|three|four|five|six|seven|eight|nine|ten))"
                          r"\s+(?P<unit>(?i:years?|months?))")),
    ("year_end", re.compile(ZH_PFX + rf"(?:(?P<year>{YEAR})年|{REL_ZH})?(?:年底|年末|(?<=年)底|(?<=年)末)(?P<sfx>前|之前|以前)?")),
    ("quarter", re.compile(ZH_PFX + rf"(?:(?P<year>{YEAR})年|{REL_ZH})?第?(?P<q>[一二三四1-4])季度(?:末|底)?" + ZH_SFX)),
    ("half", re.compile(ZH_PFX + rf"(?:(?P<year>{YEAR})年|{REL_ZH})?(?P<h>上|下)半年(?:末|底)?" + ZH_SFX)),
    ("day", re.compile(ZH_PFX + rf"(?:(?P<year>{YEAR})年)?(?P<mon>1[0-2]|0?[1-9])月(?P<day>3[01]|[12]\d|0?[1-9])日" + ZH_SFX)),
    ("month", re.compile(ZH_PFX + rf"(?:(?P<year>{YEAR})年)?(?<!\d)(?P<mon>1[0-2]|0?[1-9])月(?:底|末)?(?P<sfx>前|之前|以前)?")),
    ("year", re.compile(ZH_PFX + rf"(?P<year>{YEAR})年(?![度代底末])" + ZH_SFX)),
    ("year", re.compile(r"(?P<rel>今年|明年|本年度?|当年)(?P<sfx>内)?|(?P<within>年内)")),
    ("next_n", re.compile(r"(?:今后|未来|此后)(?P<n>\d+|[一二两三四五六七八九十])(?P<unit>年|个月)(?P<sfx>内|间)?")),
]

# --------------------------------------------------------------------------- figures

NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
NUM_START = r"(?<![0-9A-Za-z.,$¥￥])"
SCALE = r"thousand|million|billion|trillion"
CURRENCY = r"yuan|RMB|renminbi|US\s+dollars|U\.S\.\s+dollars|dollars|USD|CNY|euros?|EUR"
ZH_SCALE = r"万亿|千亿|百亿|亿|千万|百万|万|千"
FIGURE_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("money", re.compile(rf"(?:US\$|\$|¥|￥)(?:{NUM})(?:\s?(?:{SCALE})\b)?", re.I)),
    ("money", re.compile(rf"{NUM_START}(?:{NUM})(?:\s?(?:{SCALE}))?\s+(?:{CURRENCY})\b", re.I)),
    ("money", re.compile(rf"{NUM_START}(?:{NUM})(?:余|多)?(?:{ZH_SCALE})?(?:余|多)?(?:美元|欧元|元)")),
    ("percent", re.compile(rf"{NUM_START}(?:{NUM})\s?(?:%|％|per\s?cent\b|percentage\s+points?\b)", re.I)),
    ("percent", re.compile(r"百分之[零一二三四五六七八九十百点]+")),
    ("count", re.compile(rf"{NUM_START}(?:{NUM})(?:{ZH_SCALE})?(?:余|多)?(?:家次|项次|个|家|项|户|人|名|件|条|所|座|批)(?!月)")),
    ("fraction", re.compile(r"(?<![A-Za-z-])(?:one|two|three|four)-(?:halves|half|thirds?|quarters?|fifths?)\b", re.I)),
    ("count", re.compile(rf"{NUM_START}(?:{NUM})(?:\s(?:{SCALE}))?(?=\s+[A-Za-z])", re.I)),
]
CURRENCY_CLASS = [("usd", re.compile(r"\$|dollar|USD|美元", re.I)), ("eur", re.compile(r"euro|EUR|欧元", re.I))]
NOUN_STOPS = {
    "and", "or", "of", "in", "on", "at", "to", "by", "for", "from", "with", "the", "a", "an", "that", "which", "who",
    "had", "has", "have", "was", "were", "is", "are", "will", "would", "should", "be", "been", "as", "than", "into",
}
NOT_PLURAL = {"was", "has", "is", "its", "this", "thus", "as", "us", "does", "his", "less", "plus", "across",
              "previous", "various", "serious", "numerous", "status", "focus", "process", "bonus", "gross"}
DURATIONS = {"years", "months", "days", "weeks", "hours", "decades", "times", "year", "month", "day", "week"}
IRREGULAR_PLURALS = {"people", "staff", "personnel", "children"}
CMP_EN = [
    (r"not\s+less\s+than|no\s+less\s+than", "not less than", True),
    (r"not\s+more\s+than|no\s+more\s+than|not\s+exceeding|not\s+to\s+exceed|at\s+most", "up to", True),
    (r"more\s+than|in\s+excess\s+of", "more than", False),
    (r"over|above|exceeding|exceeds?", "over", False),
    (r"at\s+least", "at least", False),
    (r"up\s+to", "up to", False),
    (r"nearly|almost|close\s+to", "nearly", False),
    (r"about|around|approximately|roughly|some", "about", False),
    (r"less\s+than|fewer\s+than|under|below", "less than", False),
    (r"exactly|precisely", "exactly", False),
    (r"reach(?:es|ing)?", "reach", False),
]
CMP_ZH = [
    (r"不低于|不少于", "not less than", True),
    (r"不超过|不高于|不多于", "up to", True),
    (r"至少", "at least", False),
    (r"超过|逾", "over", False),
    (r"高于|多于", "more than", False),
    (r"低于|少于|不足", "less than", False),
    (r"约为|大约|约", "about", False),
    (r"将近|接近|近", "nearly", False),
    (r"达到|达", "reach", False),
]
CMP_BEFORE_EN = re.compile(
    "(?<![A-Za-z])(?:" + "|".join(f"(?P<e{i}>{p})" for i, (p, _, _) in enumerate(CMP_EN)) + r")\s+(?:the\s+)?$", re.I)
CMP_BEFORE_ZH = re.compile("(?:" + "|".join(f"(?P<z{i}>{p})" for i, (p, _, _) in enumerate(CMP_ZH)) + r")\s*$")
CMP_AFTER = [
    (re.compile(r"\s+or\s+(?:more|above|higher|over)\b", re.I), "at least"),
    (re.compile(r"\s+or\s+(?:less|below|fewer|lower|under)\b", re.I), "up to"),
    (re.compile(r"以上"), "more than"),
    (re.compile(r"以下|以内"), "up to"),
    (re.compile(r"左右|上下"), "about"),
]
LOCATIVE_OVER = re.compile(r"\b(?:spread|spanning|distributed|scattered|extending)\s+$", re.I)
CONVERSION_GAP = re.compile(
    r"\s*[,，]?\s*[(（]?\s*(?:(?:or|i\.e\.|that is|equivalent to|equal to|roughly|about|approximately|around|some|约合|折合|合)\s*)*",
    re.I)
BACK_REFERENCE = re.compile(r"\bthe\s+(?:\S+\s+(?:and|or)\s+)?$", re.I)
BASELINE = re.compile(r"(?:\bfrom|[由从])\s*$", re.I)

# --------------------------------------------------------------------------- tense

FUTURE_EN = re.compile(
    r"\b(?:will|shall|should|must|(?:is|are)\s+(?:expected\s+|set\s+|scheduled\s+|planned\s+|required\s+)?to"
    r"|(?:aims?|aiming|plans?|planning|strives?|striving|seeks?|seeking|intends?|intending|needs?|pledged?|pledges"
    r"|vows?|commits?|committed|going|expects?)\s+to|(?:necessary|required|essential)\s+to"
    r"|ensures?|ensuring)\b", re.I)
FUTURE_NOUN_EN = re.compile(r"\b(?:targets?|goals?|objectives?)\b", re.I)
PAST_TIME_EN = re.compile(
    r"\b(?:last\s+year|a\s+year\s+(?:earlier|ago)|previous\s+year|year[\s-]on[\s-]year|so\s+far|to\s+date"
    r"|since\s+(?:19|20)\d\d)\b", re.I)
PAST_EN = re.compile(
    r"\b(?:(?:had|has|have)\s+(?!to\b)[a-z]+|was|were"
    r"|(?<!\bbe\s)(?<!\bbeen\s)(?<!\bto\s)(?:grew|rose|fell|dropped|declined|increased|decreased|surged|jumped"
    r"|climbed|reached|totall?ed|amounted|came\s+to|stood\s+at|invested|completed|exceeded|attracted|founded"
    r"|selected|recorded|posted|registered|achieved|generated|earned|accounted|saw|made|brought|reported))\b", re.I)
FUTURE_ZH = re.compile(r"力争|争取|确保|力求|务必|必须|应当|应该|计划|拟|预计|目标|将(?![来近])|(?<![主重需纲摘概只不必])要(?![求素点闻])")
PAST_ZH = re.compile(r"已经|已|同比|比上年|较上年|累计|截至|截止|去年|上年|(?<![为除])了")
# ';' parts are independent clauses, ', and/but/while' joins coordinated predicates
CLAUSE_BREAK = re.compile(r"[;；]|,\s+(?:and|but|while|whereas)\s+")
FIRST_WORD = re.compile(r"[^A-Za-z\u4e00-\u9fff]*([A-Za-z]+)")
QUESTION_END = re.compile(r"[?？][\"'”’」』）)】》\]]*\s*$")
IMPERATIVE_VERBS = {
    "improve", "deepen", "promote", "strengthen", "accelerate", "complete", "establish", "carry", "implement",
    "ensure", "build", "develop", "advance", "optimize", "optimise", "push", "focus", "expand", "encourage",
    "adjust", "reduce", "raise", "achieve", "launch", "formulate", "finish", "guide", "explore", "enhance",
    "speed", "continue", "give", "submit", "publish", "introduce", "upgrade", "consolidate", "refine",
    "cultivate", "foster", "boost", "lower", "maintain", "deliver", "realise", "realize", "tighten", "pursue",
    "coordinate", "clean", "streamline", "accomplish", "fulfil", "fulfill", "set",
}

# --------------------------------------------------------------------------- metric and responsible body

NP_STOPS = ("by|in|before|at|under|for|from|and|or|which|that|to|over|during|within|on|with|than|between|as|is|are|was"
            "|were|had|has|have|will|would|should|must|shall|can|may|together|including|among|spread|across|who|whose|while")
NP = rf"[A-Za-z][\w'&-]*(?:\s+(?!(?:{NP_STOPS})\b)[A-Za-z][\w'&-]*){{0,6}}"
OF_NP = re.compile(rf"\s+of\s+(?:(?:the|their|its)\s+)?({NP})", re.I)
SHARE_OF = re.compile(r"(?:\b((?:in|among|across|for)\s+[^,;]{1,60}?)\s+)?\b(coverage|share|proportion|percentage|ratio|rate"
                      r"|intensity|level)\s+of\s*$", re.I)
CHANGE = re.compile(r"\b(?:(up|a\s+rise\s+of|an\s+increase\s+of|growth\s+of)|(down|a\s+(?:fall|drop|decline)\s+of))\s*$", re.I)
LINKING = re.compile(r"(?<!\ba\s)(?<!\ban\s)(?<!\bthe\s)\b(?:account(?:s|ed)?\s+for|make[s]?\s+up|made\s+up|represent(?:s|ed)?"
                     r"|hold|holds|held|earn|earns|equal(?:s|led)?(?:\s+to)?|comprised?|involve[sd]?|reach(?:es|ed)?|grows?"
                     r"|rises|amount(?:s|ed)?\s+to|total(?:s|led)?|invest(?:s|ed)?|complete[sd]?|averag(?:e|es|ed))\b", re.I)
RAISE_TO = re.compile(r"\b(?:raise|raising|lift|lifting|increase|increasing|cut|cutting|reduce|reducing|lower|lowering"
                      r"|bring|bringing|keep|keeping)\s+(.+?)\s+to\s*$", re.I)
PUT_AT = re.compile(r"\b(?:put|puts|estimated|estimates|valued|values)\s+(.+?)\s+at\s*$", re.I)
TAIL_CHANGE = re.compile(r"\s+(?:(higher|more|larger|up)|(lower|less|smaller|down))\b", re.I)
ACTION_PARTICIPLES = {"complete": "completed", "finish": "finished", "fulfil": "fulfilled", "fulfill": "fulfilled",
                      "achieve": "achieved", "cover": "covered", "implement": "implemented", "reduce": "reduced",
                      "raise": "raised", "close": "closed", "restructure": "restructured"}
NOMINALS = {"invested": "investment by", "invest": "investment by", "invests": "investment by", "earned": "earnings of"}
CHANGE_VERBS = {"grew": "growth of", "rose": "growth of", "increased": "growth of", "fell": "fall in", "declined": "fall in"}
FRAME = re.compile(r"^.*(?:,|:|\b(?:said|says|reported|announced|stated|noted|shows?|showed)(?:\s+that)?"
                    r"|\baccording\s+to\s+[^,]+)\s*", re.I)
TRAILING_AUX = re.compile(r"(?:\s+(?:is|are|was|were|will|shall|should|must|would|had|has|have|be|been|to|now|currently"
                          r"|still|also|already|together))+\s*$", re.I)
DANGLING_PREP = re.compile(r"\s+(?:in|at|by|during|for|on|of|to)$", re.I)
LEADING_DET = re.compile(r"^(?:(?:the|their|its|a|an|these|those|this|our)\s+)+", re.I)
PRONOUN = re.compile(r"(?:they|it|we|he|she|this|these|those|which|who)", re.I)
ZH_COUNT_LEAD = re.compile(r"(?:已有|共有|合计|累计|有|共)$")
BODY = (r"(?:SASAC|[Cc]ommission|[Mm]inistry|[Oo]ffice|[Cc]ouncil|[Gg]overnment|[Dd]epartments?|[Bb]ureaus?|[Cc]ommittees?"
        r"|[Aa]dministration|[Aa]genc(?:y|ies)|[Aa]uthorit(?:y|ies)|[Gg]roups?|[Ee]nterprises?|SOEs?|[Rr]egions?"
        r"|[Cc]ompan(?:y|ies)|[Ff]irms?|[Ss]ubsidiar(?:y|ies)|[Pp]rovinces?|[Cc]it(?:y|ies)|NDRC|MOF|SCIO|CSRC|PBOC|CPC)"
        r"(?:\s+of\s+(?:the\s+)?[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)?")
BODY_MOD = (r"(?:all|each|every|local|central|provincial|municipal|relevant|competent|state-owned|centrally\s+administered"
            r"|[A-Z][\w&'-]*)")
BODY_EN = re.compile(rf"(?:{BODY_MOD}\s+){{0,4}}{BODY}(?:\s+(?:and|or)\s+(?:{BODY_MOD}\s+){{0,3}}{BODY})?")
BODY_ZH = re.compile(r"[\u4e00-\u9fff]{0,10}(?:国资委|委员会|人民政府|政府|国务院|办公室|领导小组|部门|部|局|厅|委|办|企业|集团|公司|各地|地方)")
SET_BY = re.compile(rf"\b(?:set|issued|announced|led|organi[sz]ed|coordinated|assigned|adopted)\s+by\s+((?:the\s+)?{BODY_EN.pattern})")
LED_BY_ZH = re.compile(r"由([\u4e00-\u9fff]{1,14}?)(?:牵头|负责|组织)")

# --------------------------------------------------------------------------- document structure (training material)

# Chinese policy tasks open with a bare verb ("加快建设…", "（一）着力扩大…"), as English ones do (IMPERATIVE_VERBS).
ZH_ACTION = re.compile(
    r"(?:着力|加快|加强|加大|推进|推动|深化|深入|完善|健全|实施|促进|支持|坚持|落实|提高|提升|扩大|稳定|强化|优化|建立|构建"
    r"|建设|发展|开展|做好|抓好|保障|鼓励|引导|防范|化解|培育|巩固|增强|统筹|规范|严格|切实|大力|积极|全面|持续|继续|进一步"
    r"|坚决|有效|着眼|聚焦|围绕|用好|办好|守住|筑牢|打造|创新|改善|保持|确保|力争|争取)")
# Words that name priorities or key tasks.
PRIORITY_WORDS = re.compile(
    r"\b(?:priorit(?:y|ies|ise|ize)|key\s+(?:tasks?|areas?|measures?|actions?)|main\s+tasks?|focus(?:es|ed)?\s+on"
    r"|pillars?|thrust\s+areas?)\b|重点|着力|首要|优先|主要任务|关键", re.I)
# Headings of sections that look back ("Review of 2030", 工作回顾): what they describe was done, not promised.
REVIEW_HEADING = re.compile(
    r"\b(?:review|performance|achievements?|accomplishments?|retrospect|progress\s+(?:made|report|so\s+far)"
    r"|(?:last|past|previous)\s+(?:year|years|decade))\b|回顾|过去|成就|成效|进展情况", re.I)
# Numbering before a heading, list item or run-in label: "1)", "(a)", "12.", "（一）", "一、", "第一，", "- ".
LIST_MARKER = re.compile(
    r"(?:[-*•·]\s*|\(?(?:\d{1,3}|[a-zA-Z]|[ivxIVX]{1,4})[.)]\s+|[（(][一二三四五六七八九十\d]+[)）]\s*"
    r"|[一二三四五六七八九十]+[、．.]\s*|第[一二三四五六七八九十]+[，、,]\s*)")
# The speaker about the speech ("I will speak about them shortly"): not a policy commitment.
SPEECH_ACT = re.compile(r"\bI\s+(?:will|shall|would|now|am|beg|rise|present|wish|propose\s+to\s+speak)\b|我代表|请予审议")
# Headings of sections that look ahead: they end a review section ("Outlook for 2025", 今年工作安排).
FORWARD_HEADING = re.compile(
    r"\b(?:outlook|priorit(?:y|ies)|plans?|programmes?|measures|proposals|policies|polic(?:y|ies)\s+(?:stance|direction)"
    r"|strateg(?:y|ies)|way\s+forward|targets?|goals?|objectives?|next\s+(?:year|steps)|budget\s+for|medium[- ]term)\b"
    r"|今年|明年|安排|任务|建议|目标|措施|举措|重点|部署|思路", re.I)
# A forecast is not a commitment ("growth is expected to reach 5%", "prices will remain stable").
FORECAST = re.compile(
    r"\b(?:is|are|was|were|be)\s+(?:expected|predicted|projected|forecast|estimated|likely|anticipated)\s+to\b"
    r"|\b(?:expected|predicted|projected|forecast)\s+to\s+(?:reach|rise|fall|grow|decline|remain|increase|decrease)\b"
    r"|\b(?:anticipated|predicted|projected|forecast|expected)\s+that\b|\b(?:predicts?|forecasts?)\s+that\b"
    r"|\bwill\s+(?:remain|continue\s+to\s+be|likely)\b|预计|有望", re.I)
# A table of contents line ("Figure 2: ... ........ 14").
LEADER_DOTS = re.compile(r"\.{4,}|…{2,}|·{4,}")
