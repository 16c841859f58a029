"""`lessons`: every lesson's id, title and topic (a table), or everything a
lesson holds (`--json`: id, title, topic, text, scene and the steps, each
with its line, its scene and the whole query that opens it)."""

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


def lessons_listing() -> list[dict]:
    from visualizer.core.lessons import LESSONS

    out = []
    for lesson in LESSONS.values():
        entry = lesson.describe()
        for index, step in enumerate(entry["steps"]):
            step["query"] = lesson.step_query(index)
        out.append(entry)
    return out


def lessons_command(args) -> int:
    listing = lessons_listing()
    if args.json:
        print_json({"lessons": listing})
        return 0
    rows = [[entry["id"], entry["title"], entry["topic"], str(len(entry["steps"]))] for entry in listing]
    print(table(["id", "title", "topic", "steps"], rows))
    print(f"\nopen one: {PROG} run \"lesson=<id>\", or ?lesson=<id> in the app's address")
    return 0
