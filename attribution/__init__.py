"""attribution: who is speaking in a news article, and how sure.

    import attribution
    nlp = attribution.load()                  # the command line's defaults (pipeline.yaml)
    article = nlp("Ukraine's air force said it had shot down 40 drones.")
    for article in nlp.pipe(attribution.read("articles/"), workers=2): ...
    article.to_record(); article.to_html(); article.to_text()
"""

from attribution.document import Article
from attribution.ingest import IngestFailure, read
from attribution.pipeline import AnnotationError, Pipeline, load, register_stage
from attribution.version import VERSION as __version__

__all__ = ["Article", "AnnotationError", "IngestFailure", "Pipeline", "__version__", "load", "read", "register_stage"]
