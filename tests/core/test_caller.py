"""The caller's scope key: the response cache's only notion of rights, so two different scope
sets must never share one, whatever characters their scopes hold."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gateway.core.caller import Caller, is_scope_token

# Scopes as an attacker would write them: spaces, separators, quotes, control characters.
_SCOPE = st.text(alphabet=st.sampled_from(list('ab:* \t\n",[]\\\x00')), max_size=6)


def test_sets_whose_joined_names_collide_get_different_keys() -> None:
    one = Caller("sub:x", frozenset({"contacts:pii contacts:read instance:*"}))
    three = Caller("key:y", frozenset({"contacts:pii", "contacts:read", "instance:*"}))
    assert one.scope_key != three.scope_key


@given(st.frozensets(_SCOPE, max_size=4), st.frozensets(_SCOPE, max_size=4))
def test_distinct_scope_sets_never_share_a_key(a: frozenset[str], b: frozenset[str]) -> None:
    same_key = Caller("a", a).scope_key == Caller("b", b).scope_key
    assert same_key == (a == b)


def test_the_key_depends_on_the_scopes_only() -> None:
    scopes = frozenset({"contacts:read", "instance:*"})
    assert Caller("key:a", scopes).scope_key == Caller("sub:b", scopes).scope_key


def test_a_scope_token_is_one_printable_word() -> None:
    assert is_scope_token("contacts:read")
    assert is_scope_token("instance:0f0f-1")
    for bad in ("", "contacts:read contacts:pii", "a\nb", "a\tb", 'a"b', "a\\b", "é", 7, None):
        assert not is_scope_token(bad), bad
    assert not is_scope_token("contacts:read\n")
