"""Module 02's structural check of a Numba `parallel=True` function: its parallel loops and
the writes in them that can race.

A race shows up in the result only when two threads happen to touch the same memory at the same
moment: on one core, or on a lucky run, a racy loop gives the right answer. So the grader does not
rely on luck. It reads the loops Numba built (its *parfors*, the same ones that
`parallel_diagnostics()` prints) and applies one rule:

    inside a parallel loop, a write to an array that exists outside the loop must land in a cell
    whose index contains the loop's own index variable (`out[i] = ...`, `out[i, j] = ...`, or
    any cell of a view taken at the loop index, `row = out[i]`), and a scalar that outlives the
    loop must be a reduction Numba recognises (`total += ...`).

Distinct iterations then write distinct cells, whatever the thread timing. The rule proves the
common safe patterns and catches the common races (`counts[label] += 1`, `out[0] += x[i]`, a
scalar assigned in the loop and read after it). It is not a full race detector: writes made
inside functions called from the loop are not seen, and a write at a computed index such as
`out[2 * i]` is reported even though it is safe; restructure such code, or reason about it
yourself.

Hidden tests load this file with runpy (like grading.py); it imports nothing from the package.
"""

import re

__all__ = ["inspect_parallel"]

_INDEX_NAME = re.compile(r"^\$?parfor_?_index_?\.?(\d+)(?:\.\d+)?$")


def _nest_number(name):
    """'parfor_index.50' and '$parfor__index_50.97' both name loop nest 50."""
    match = _INDEX_NAME.match(name)
    return int(match.group(1)) if match else None


def _body_statements(parfor, Parfor, hoist_info):
    """Every statement run by one iteration of `parfor`, nested parfors' statements included,
    and those Numba hoisted out of the loop (each thread still runs them once for itself)."""
    for hoisted in hoist_info.get(parfor.id, {}).get("hoisted", ()):
        yield hoisted
    for block in parfor.loop_body.values():
        for stmt in block.body:
            if isinstance(stmt, Parfor):
                yield from stmt.init_block.body
                yield from _body_statements(stmt, Parfor, hoist_info)
            else:
                yield stmt


def _top_level_parfors(func_ir, Parfor):
    for block in func_ir.blocks.values():
        for stmt in block.body:
            if isinstance(stmt, Parfor):
                yield stmt


def _describe(parfor):
    kind = parfor.patterns[0]
    if isinstance(kind, tuple) and kind and kind[0] == "prange":
        return "prange" if kind[1] in ("user", "pndindex") else f"internal ({kind[1]})"
    return "array expression"


def _analyse(parfor, ir, Parfor, hoist_info):
    """Racy writes of one top-level parfor, as readable strings."""
    nests = {_nest_number(nest.index_variable.name) for nest in parfor.loop_nests}
    stmts = list(_body_statements(parfor, Parfor, hoist_info))
    defined = {stmt.target.name for stmt in stmts if isinstance(stmt, ir.Assign)}

    # identifies[name]: the loop nests whose index this variable carries (a set), or for a
    # tuple a list of such sets, one per item. Iterate to a fixed point: blocks come in any order.
    identifies = {}
    for nest in parfor.loop_nests:
        identifies[nest.index_variable.name] = {_nest_number(nest.index_variable.name)}
    # view_at_index[name] = True when the variable is a view of an outside array taken at the
    # loop index (its cells belong to this iteration), False for any other alias of one.
    view_at_index = {}

    def carried(name):
        info = identifies.get(name)
        if info is None:
            number = _nest_number(name)
            return {number} if number in nests else set()
        if isinstance(info, list):
            return set().union(*info) if info else set()
        return info

    def outside(name):
        return name not in defined or name in view_at_index

    changed, rounds = True, 0
    while changed and rounds < 100:         # each round only adds facts; the cap is a safety net
        changed, rounds = False, rounds + 1
        for stmt in stmts:
            if not isinstance(stmt, ir.Assign):
                continue
            target, value = stmt.target.name, stmt.value
            new_ident, new_view = None, None
            if isinstance(value, ir.Var):
                if value.name in identifies or _nest_number(value.name) in nests:
                    new_ident = identifies.get(value.name, carried(value.name))
                if outside(value.name):
                    new_view = view_at_index.get(value.name, False)
            elif isinstance(value, ir.Expr):
                if value.op == "build_tuple":
                    items = [carried(item.name) for item in value.items]
                    if any(items):
                        new_ident = items
                elif value.op == "exhaust_iter" and value.value.name in identifies:
                    new_ident = identifies[value.value.name]
                elif value.op == "static_getitem" and isinstance(identifies.get(value.value.name), list):
                    items = identifies[value.value.name]
                    if isinstance(value.index, int) and 0 <= value.index < len(items):
                        new_ident = items[value.index]
                if value.op in ("getitem", "static_getitem", "getattr") and outside(value.value.name):
                    index = value.index_var if value.op == "static_getitem" else \
                        value.index if value.op == "getitem" else None
                    at_index = isinstance(index, ir.Var) and nests <= carried(index.name)
                    new_view = view_at_index.get(value.value.name, False) or at_index
                elif value.op == "call" and value.func.name in view_at_index:
                    new_view = view_at_index[value.func.name]     # out.reshape(...), out.ravel()
            if new_ident is not None and identifies.get(target) != new_ident:
                identifies[target] = new_ident
                changed = True
            if new_view is not None and view_at_index.get(target) != new_view and \
                    not view_at_index.get(target, False):
                view_at_index[target] = new_view
                changed = True
    private = defined - set(view_at_index)

    races = []
    # Numba stores a racing scalar through a one-element array named after it (last.2 -> last_2):
    # that store is reported once, as the scalar, below.
    racing = {str(var).replace(".", "_") for var in getattr(parfor, "races", ()) or ()}
    for stmt in stmts:
        if isinstance(stmt, (ir.SetItem, ir.StaticSetItem)):
            array = stmt.target.name
            if array in private or array in racing or view_at_index.get(array, False):
                continue
            index = stmt.index_var if isinstance(stmt, ir.StaticSetItem) else stmt.index
            if isinstance(index, ir.Var) and nests <= carried(index.name):
                continue
            shown = repr(stmt.index) if isinstance(stmt, ir.StaticSetItem) else _user_name(index.name)
            races.append(f"line {stmt.loc.line}: {_user_name(array)}[{shown}] = ... writes at an index that "
                         "does not contain the parallel loop's index, so two iterations (on two "
                         "threads) can update the same cell at once")
    for var in sorted(getattr(parfor, "races", ()) or (), key=str):
        races.append(f"line {parfor.loc.line}: the variable {_user_name(str(var))} is assigned in the parallel "
                     "loop and used after it, and it is not a reduction: its value depends on "
                     "which thread ran last")
    return races


def _user_name(name):
    """'$116binary_subscr.5' (a temporary) -> '...'; 'counts' stays; 's.2' -> 's'."""
    if name is None:
        return "?"
    name = str(name)
    if name.startswith("$"):
        return "..."
    return name.split(".")[0]


def inspect_parallel(dispatcher):
    """{'loops': [(line, kind), ...], 'races': [message, ...]} for a compiled Numba dispatcher.

    Call the function once first (Numba compiles on the first call). `loops` lists the parallel
    loops Numba built (kind 'prange' for your own prange loops); a function compiled without
    parallel=True has none. Raises TypeError for anything that is not a compiled Numba function.
    """
    from numba.core import ir
    from numba.parfors.parfor import Parfor

    signatures = getattr(dispatcher, "signatures", None)
    if signatures is None or not hasattr(dispatcher, "get_metadata"):
        raise TypeError(f"{dispatcher!r} is not a Numba-compiled function (use @njit(parallel=True))")
    if not signatures:
        raise TypeError("the function has not been compiled yet: call it once first")
    loops, races = [], []
    for signature in signatures:
        diagnostics = dispatcher.get_metadata(signature).get("parfor_diagnostics")
        if getattr(diagnostics, "func_ir", None) is None:       # compiled without parallel=True
            continue
        for parfor in _top_level_parfors(diagnostics.func_ir, Parfor):
            loops.append((parfor.loc.line, _describe(parfor)))
            races += _analyse(parfor, ir, Parfor, diagnostics.hoist_info or {})
    return {"loops": sorted(set(loops)), "races": list(dict.fromkeys(races))}
