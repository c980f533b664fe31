"""Drawing an attempt's questions and shuffling their answers. Pure; the caller passes the random source."""
from __future__ import annotations

import random
from collections import defaultdict

from lms.content.gift import Question

SHUFFLED_KINDS = {"single", "multiple"}


def draw_questions(pool: list[tuple[int, int | None]], count: int, rng: random.Random) -> list[int]:
    """Pick `count` question ids from (id, module id) pairs, one from every module first, in random order.

    When there are more modules than questions to draw, `count` modules are chosen at random.
    """
    by_module: dict[int | None, list[int]] = defaultdict(list)
    for question_id, module_id in pool:
        by_module[module_id].append(question_id)
    modules = sorted(by_module, key=lambda m: (m is None, m or 0))
    rng.shuffle(modules)
    chosen = [rng.choice(by_module[module]) for module in modules[:count]]
    taken = set(chosen)
    rest = [question_id for question_id, _ in pool if question_id not in taken]
    chosen += rng.sample(rest, min(max(count - len(chosen), 0), len(rest)))
    rng.shuffle(chosen)
    return chosen


def shuffle_answers(question: Question, rng: random.Random) -> tuple[list[int], list[str]]:
    """(choice order, match options) for one drawn question.

    The choice order maps each displayed position to the choice's index in the bank; true/false,
    short-answer and numerical questions show no choices. Matching questions offer every distinct
    match text in a random order.
    """
    choice_order: list[int] = []
    if question.kind in SHUFFLED_KINDS:
        choice_order = list(range(len(question.choices)))
        rng.shuffle(choice_order)
    match_options: list[str] = []
    if question.kind == "matching":
        match_options = sorted({pair.match for pair in question.pairs})
        rng.shuffle(match_options)
    return choice_order, match_options
