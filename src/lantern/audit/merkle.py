"""RFC 6962 Merkle tree hash (pure), used to sign checkpoints over the audit log.

MTH({})      = SHA-256()
MTH({d})     = SHA-256(0x00 || d)
MTH(D[n])    = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k the largest power of two < n
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def leaf_hash(data: bytes) -> bytes:
    """Hash of one leaf."""
    return hashlib.sha256(b"\x00" + data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root_of_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """Tree hash over already-hashed leaves."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = _split(len(hashes))
    return _node(root_of_leaf_hashes(hashes[:k]), root_of_leaf_hashes(hashes[k:]))


def tree_hash(leaves: Sequence[bytes]) -> bytes:
    """RFC 6962 Merkle tree hash of the leaf data.

    Examples
    --------
    >>> tree_hash([]).hex()[:16]
    'e3b0c44298fc1c14'
    >>> tree_hash([b"a", b"b"]) == _node(leaf_hash(b"a"), leaf_hash(b"b"))
    True
    """
    return root_of_leaf_hashes([leaf_hash(d) for d in leaves])
