"""paper-rag inside LlamaIndex: a retriever for query engines and agents, and the four
paper tools as `FunctionTool`s.

LlamaIndex is the natural, maintained home for this: its `BaseRetriever` plugs into every
query engine, response synthesizer and agent it has, and `FunctionTool` derives the tool
schema from a typed function, so we write adapters, not a framework. (We already depend
on llama-index-core for the sentence model and prompt templates.)

    retriever = PaperRAGRetriever(PaperRAG.open(), k=5)
    engine = RetrieverQueryEngine.from_args(retriever, llm=my_llm)
    tools = paper_tools(PaperRAG.open())   # for a FunctionAgent / ReActAgent
"""

# No `from __future__ import annotations`: FunctionTool builds each tool's schema from the
# functions' annotations at run time, and string annotations of local names cannot resolve.
import datetime as dt
from typing import Annotated

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.tools import FunctionTool
from pydantic import Field

from rag.answering import Message
from rag.paper_rag import PaperRAG
from rag.plain_text import answer_text, paper_text, search_text, support_text


class PaperRAGRetriever(BaseRetriever):
    """One node per paper, best first: the paper's best passage as text, its record
    (paper_id, title, date, url, arXiv id) as metadata, and `relevance` as the score
    (>= 0.5: relevant enough to answer from), so a postprocessor can cut off-topic papers."""

    def __init__(
        self,
        rag: PaperRAG,
        k: int = 5,
        since: dt.date | None = None,
        until: dt.date | None = None,
    ) -> None:
        super().__init__()
        self.rag, self.k, self.since, self.until = rag, k, since, until

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        results = self.rag.search(query_bundle.query_str, self.k, self.since, self.until)
        nodes = []
        for result in results:
            paper = self.rag.paper(result.paper_id)
            metadata = {
                "paper_id": paper.paper_id,
                "title": paper.title,
                "date": paper.date.isoformat() if paper.date else None,
                "url": paper.url,
                "arxiv_id": paper.arxiv_id,
            }
            node = TextNode(id_=paper.paper_id, text=result.snippet, metadata=metadata)
            nodes.append(NodeWithScore(node=node, score=result.relevance))
        return nodes


def paper_tools(rag: PaperRAG) -> list[FunctionTool]:
    """search_papers, get_paper, ask and check_claim (the MCP server's tools) for a
    LlamaIndex agent; each returns the readable text of `rag.plain_text`. (FunctionTool
    keeps only descriptions in its schemas, so ranges are stated there; `PaperRAG` checks
    them.)"""

    def search_papers(
        query: Annotated[str, Field(description="Topic, question or keywords.")],
        k: Annotated[int, Field(description="How many papers (1-100).")] = 10,
    ) -> str:
        """Find the papers most relevant to a query, best first, with snippets."""
        return search_text(rag.search(query, k))

    def get_paper(
        paper_id: Annotated[str, Field(description="A paper_id, an arXiv id, or a title.")],
    ) -> str:
        """One paper's full record: title, date, authors, links and the whole abstract."""
        return paper_text(rag.paper(paper_id))

    async def ask(
        question: Annotated[str, Field(description="The question.")],
        history: Annotated[list[Message] | None, Field(description="Earlier turns.")] = None,
    ) -> str:
        """A cited answer from the papers, each citation with its verbatim quote."""
        return answer_text(await rag.answer(question, history))

    def check_claim(
        text: Annotated[str, Field(description="A claim or sentence.")],
        k: Annotated[int, Field(description="At most this many papers (1-20).")] = 5,
    ) -> str:
        """Which papers support this text, each with its supporting sentence."""
        return support_text(rag.cite(text, k))

    return [
        FunctionTool.from_defaults(fn=search_papers),
        FunctionTool.from_defaults(fn=get_paper),
        FunctionTool.from_defaults(async_fn=ask),
        FunctionTool.from_defaults(fn=check_claim),
    ]
