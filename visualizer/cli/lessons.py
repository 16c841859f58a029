"""`lessons`: every lesson's id, title and topic (a table), or everything a
lesson holds (`--json`: id, title, topic, text, after, scene, its question
answered by the engine, and the steps, each with its line, after, scene, the
whole query that opens it and its question: null for a step that opens
another lesson, which asks its own)."""

from __future__ import annotations

from visualizer.cli.common import (
    PROG,
    add_listing_command,
    print_json,
    table,
)


def add_parser(sub) -> None:
    add_listing_command(
        sub, "lessons", lessons_command, help="list the lessons: ids, titles, topics and their steps",
        description="List every lesson (open one with lesson=<id> in a scene). --json adds each lesson's "
                    "text, scene and steps.",
        epilog=f"examples:\n  {PROG} lessons\n  {PROG} lessons --json\n  {PROG} run \"lesson=momentum\"")


def lessons_listing(answered: bool = True) -> list[dict]:
    """Every lesson as data; `answered`: with each question answered (that
    simulates every lesson's scenes: a minute or so the first time)."""
    from visualizer.core.lessons import LESSONS
    from visualizer.core.quiz import lesson_question

    out = []
    for lesson in LESSONS.values():
        entry = lesson.describe()
        if answered:
            entry["question"] = lesson_question(lesson.id, None).describe()
        for index, step in enumerate(entry["steps"]):
            step["query"] = lesson.step_query(index)
            if answered:
                opens_lesson = lesson.steps[index].question is None
                step["question"] = None if opens_lesson else lesson_question(lesson.id, index).describe()
        out.append(entry)
    return out


def lessons_command(args) -> int:
    listing = lessons_listing(answered=args.json)
    if args.json:
        print_json({"lessons": listing})
        return 0
    rows = [[entry["id"], entry["title"], entry["topic"], str(len(entry["steps"]))] for entry in listing]
    print(table(["id", "title", "topic", "steps"], rows))
    print(f"\nopen one: {PROG} run \"lesson=<id>\", or ?lesson=<id> in the app's address")
    return 0
