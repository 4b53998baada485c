"""The README text the engine's ``service gen-doc`` renders from mesg.yml (v0.2 template).

Maps are rendered in sorted key order, as Go's templates iterate them. The engine puts the
``# Events`` part before ``# Tasks``; `render_tasks` and `render_events` give each part alone,
byte for byte as it appears in the whole, for documents that place them in another order.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._definition import Parameter, ServiceDefinition

_TABLE_HEAD = "| **Key** | **Type** | **Description** |\n| --- | --- | --- |\n"


def _rows(parameters: Mapping[str, Parameter]) -> str:
    return "".join(
        f"| **{key}** | `{parameters[key].type}` | {parameters[key].description} |\n"
        for key in sorted(parameters)
    )


def render_events(definition: ServiceDefinition) -> str:
    """The ``# Events`` part of the document (empty without events)."""
    if not definition.events:
        return ""
    out = ["# Events\n"]
    for key in sorted(definition.events):
        event = definition.events[key]
        out.append(f"\n## {key}\n\nEvent key: `{key}`\n\n{event.description}\n\n")
        if event.data:
            out.append(_TABLE_HEAD + _rows(event.data))
    return "".join(out)


def render_tasks(definition: ServiceDefinition) -> str:
    """The ``# Tasks`` part of the document (empty without tasks)."""
    if not definition.tasks:
        return ""
    out = ["\n# Tasks\n"]
    for key in sorted(definition.tasks):
        task = definition.tasks[key]
        out.append(f"\n## {key}\n\nTask key: `{key}`\n\n{task.description}\n\n")
        if task.inputs:
            out.append("### Inputs\n\n" + _TABLE_HEAD + _rows(task.inputs))
        out.append("\n\n")
        if task.outputs:
            out.append("### Outputs\n\n")
            for output_key in sorted(task.outputs):
                output = task.outputs[output_key]
                out.append(
                    f"##### {output_key}\n\nOutput key: `{output_key}`\n\n{output.description}\n\n"
                    + _TABLE_HEAD
                    + _rows(output.data)
                    + "\n"
                )
        out.append("\n\n")
    return "".join(out)


def render(definition: ServiceDefinition) -> str:
    """The whole document, byte for byte as the engine renders it."""
    out = [f"# {definition.name}\n\n{definition.description}\n"]
    if definition.repository:
        out.append(f"\n```bash\nmesg-core service deploy {definition.repository}\n```\n")
    out.append("\n")
    out.append(render_events(definition))
    out.append("\n")
    out.append(render_tasks(definition))
    out.append("\n")
    return "".join(out)
