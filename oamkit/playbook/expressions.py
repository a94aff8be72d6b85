"""The Jinja environment of playbooks, in one place because three stages share it: loading
substitutes `{{ var }}` in strings, the schema compiles every `assert.that` expression, and the
`assert` step evaluates them. All of them run in Jinja's sandbox: a playbook is reviewed text,
not code."""
from __future__ import annotations

import jinja2
import jinja2.nativetypes
import jinja2.sandbox
from jinja2 import meta, nodes


class _SandboxedNativeEnvironment(jinja2.nativetypes.NativeEnvironment,
                                  jinja2.sandbox.SandboxedEnvironment):
    """Native types ("{{ n }}" stays a number) with the sandbox's attribute and call checks:
    a playbook is reviewed text, not code, so `{{ ''.__class__.__mro__ }}` must not run."""


def jinja_env(native: bool = False) -> jinja2.Environment:
    """A sandboxed environment with StrictUndefined (an unset variable is an error, not "");
    `native` keeps "{{ n }}" a number when substituting variables."""
    cls = _SandboxedNativeEnvironment if native else jinja2.sandbox.SandboxedEnvironment
    return cls(undefined=jinja2.StrictUndefined, autoescape=False)


def private_names(expression: str) -> list[str]:
    """Attribute and item names starting with '_' in a Jinja expression (the sandbox would
    refuse them only when the assertion runs)."""
    tree = jinja_env().parse("{{ " + expression + " }}")
    found = [n.attr for n in tree.find_all(nodes.Getattr) if n.attr.startswith("_")]
    found += [n.arg.value for n in tree.find_all(nodes.Getitem)
              if isinstance(n.arg, nodes.Const) and isinstance(n.arg.value, str)
              and n.arg.value.startswith("_")]
    return list(dict.fromkeys(found))


def unknown_names(expression: str, names: set[str], registered: set[str]) -> list[str]:
    """What an assertion names that the play will not have when it runs: variables other than
    `names` (the vars, `result`, `results`), and `results.X` / `results["X"]` for an X no
    earlier step registers. Found at load time, before the first step runs."""
    return unknown_names_in_template("{{ " + expression + " }}", names, registered)


def unknown_names_in_template(template: str, names: set[str], registered: set[str]) -> list[str]:
    """unknown_names for a whole template (an assertion's fail_msg), `{{ }}` and all."""
    tree = jinja_env().parse(template)
    found = [f"'{name}'" for name in sorted(meta.find_undeclared_variables(tree)) if name not in names]
    # `results.get('x')` calls the mapping's method: `get` is no registered name
    methods = {id(call.node) for call in tree.find_all(nodes.Call)}
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        if not (isinstance(node.node, nodes.Name) and node.node.name == "results") or id(node) in methods:
            continue
        key = node.attr if isinstance(node, nodes.Getattr) else \
            node.arg.value if isinstance(node.arg, nodes.Const) else None
        if isinstance(key, str) and key not in registered:
            found.append(f"'results.{key}' (no step before it registers {key!r})")
    return list(dict.fromkeys(found))
