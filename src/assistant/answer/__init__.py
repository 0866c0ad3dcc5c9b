"""The answer path: a `Turn` built once, retrieval once, then the first stage that answers.

    turn.py       Turn, clean_question, QuestionError
    question.py   what a question asks for (answer type, terms, period, follow-ups)
    stage.py      AnswerStage (the one seam), AnswerContext (per-request inputs)
    pipeline.py   AnswerPipeline: retrieve -> stages -> finish
    special.py    BylineStage, LedgerStage
    generated.py  GeneratedStage (an LLM, opt-in), checked by grounding.py; backends in chat.py
    extractive.py ExtractiveStage: quotes the answering sentences or refuses
    compose.py    citations, refusals, notes and warnings shared by every stage
"""

from assistant.answer.stage import AnswerContext, AnswerStage
from assistant.answer.turn import QuestionError, Turn, build_turn, clean_question

__all__ = ["AnswerContext", "AnswerStage", "QuestionError", "Turn", "build_turn", "clean_question"]
