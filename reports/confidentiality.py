"""Small-group protection for reports.

A group with fewer responses than the firm's minimum group size is never shown. Hiding it is not
enough when the total is shown: total minus the shown groups would give it back. So more groups
are hidden (the smallest shown ones first) until the hidden groups together are either none, or
at least two groups with at least the minimum number of responses between them; what can then be
derived by subtraction is only a combined group that is itself large enough.
"""

from __future__ import annotations


def visible_groups(sizes: dict[str, int], min_group: int) -> set[str]:
    hidden = {group for group, n in sizes.items() if n < min_group}
    shown = sorted((n, str(group), group) for group, n in sizes.items() if group not in hidden)
    while hidden and shown and (len(hidden) == 1 or sum(sizes[g] for g in hidden) < min_group):
        _n, _name, group = shown.pop(0)
        hidden.add(group)
    return set(sizes) - hidden
