"""Mule-ring candidates: connected components and communities over suspicious payment edges.

An edge is suspicious when its transaction produced a typology hit. Components of the graph
of suspicious edges are split by Louvain community detection when they grow large (a busy
shop paid by two unrelated rings must not merge them), then ranked by the money that flowed
along suspicious edges and the typology scores of their accounts. Candidates are leads for an
investigator, never a verdict on anybody.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import polars as pl

from lantern.fraud.rules import CASH_ACCOUNT as CASH

SPLIT_ABOVE = 12  # components with more accounts than this are split into communities


@dataclass(frozen=True)
class Candidate:
    accounts: tuple[str, ...]
    flow: float  # money along suspicious edges inside the candidate
    score: float  # sum over accounts of their best typology score
    edges: int

    @property
    def rank_key(self) -> tuple[float, float]:
        return (self.score, self.flow)


def suspicious_edges(transactions: pl.DataFrame, hits: pl.DataFrame) -> pl.DataFrame:
    """Payments between two accounts (not cash) that produced at least one hit."""
    flagged = hits.select("tx_id").unique()
    return transactions.join(flagged, on="tx_id", how="semi").filter(pl.col("to_account") != CASH)


def graph(edges: pl.DataFrame) -> nx.Graph:
    """Undirected weighted graph: weight is the money between the two accounts."""
    g: nx.Graph = nx.Graph()
    for src, dst, amount in edges.select("from_account", "to_account", "amount").iter_rows():
        if g.has_edge(src, dst):
            g[src][dst]["weight"] += amount
            g[src][dst]["count"] += 1
        else:
            g.add_edge(src, dst, weight=amount, count=1)
    return g


def candidates(transactions: pl.DataFrame, hits: pl.DataFrame, min_size: int = 2, seed: int = 0) -> list[Candidate]:
    """Mule-ring candidates, best first."""
    g = graph(suspicious_edges(transactions, hits))
    best = dict(hits.group_by("account").agg(pl.col("score").max()).iter_rows())
    groups: list[set[str]] = []
    for component in nx.connected_components(g):
        if len(component) > SPLIT_ABOVE:
            groups.extend(nx.community.louvain_communities(g.subgraph(component), weight="weight", seed=seed))
        else:
            groups.append(set(component))
    found = []
    for group in groups:
        if len(group) < min_size:
            continue
        sub = g.subgraph(group)
        found.append(
            Candidate(
                accounts=tuple(sorted(group)),
                flow=round(sum(d["weight"] for _, _, d in sub.edges(data=True)), 2),
                score=float(sum(best.get(a, 0.0) for a in group)),
                edges=sum(d["count"] for _, _, d in sub.edges(data=True)),
            )
        )
    return sorted(found, key=lambda c: c.rank_key, reverse=True)


def neighbourhood(transactions: pl.DataFrame, account: str, hops: int = 2, limit: int = 200) -> nx.Graph:
    """The account's payment network up to ``hops`` away (for the investigator's network view)."""
    g = graph(transactions.filter(pl.col("to_account") != CASH))
    if account not in g:
        return nx.Graph()
    nodes = nx.single_source_shortest_path_length(g, account, cutoff=hops)
    keep = sorted(nodes, key=lambda n: (nodes[n], n))[:limit]
    return g.subgraph(keep).copy()


def layout(
    nodes: list[str], edges: list[tuple[str, str]], width: float = 640, height: float = 360
) -> dict[str, tuple[float, float]]:
    """Deterministic positions for drawing (spring layout, fixed seed), inside a margin of 24 px."""
    g: nx.Graph = nx.Graph()
    g.add_nodes_from(nodes)
    g.add_edges_from(edges)
    if not nodes:
        return {}
    pos = nx.spring_layout(g, seed=7) if len(nodes) > 1 else {nodes[0]: (0.0, 0.0)}
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    return {
        n: (
            round(24 + (p[0] - min(xs)) / span_x * (width - 48), 1),
            round(24 + (p[1] - min(ys)) / span_y * (height - 48), 1),
        )
        for n, p in pos.items()
    }
