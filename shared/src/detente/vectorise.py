"""The models' TF-IDF features, computed faster than scikit-learn does, with the same result.

scikit-learn counts n-grams one by one in Python (`CountVectorizer._count_vocab`), which made
the statement model's character n-grams the engine's largest single cost. Here a fitted
`TfidfVectorizer` is read, never changed: its character n-grams are looked up once per
distinct word (words repeat across statements: "said", "SPEAKER", "the"; up to
`MAX_CACHED_WORDS` are remembered, some tens of MB at most), word n-grams are built from
the vectorizer's own tokenizer and a whole batch's looked up at once by numpy
(`_CodedNgrams`), and scipy counts the occurrences. The counts then go through
the vectorizer's own TF-IDF weighting, so the matrix is the one `transform` returns, entry
for entry (tests/unit/detente/test_vectorise.py checks it). The second stage's actor
features skip DictVectorizer the same way (`CachedDictPipeline`, test_dict_features.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import chain, repeat
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline

# Distinct words whose n-grams are remembered; past this, new words are analysed each time.
MAX_CACHED_WORDS = 200_000
# Vocabulary indices, as the count matrix holds them.
_INDEX = np.int32


class CachedTfidf:
    """`vectorizer.transform(texts)` for a fitted TfidfVectorizer, faster."""

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        self._vectorizer = vectorizer
        self._vocabulary: dict[str, int] = vectorizer.vocabulary_
        self._analyze: Callable[[str], list[str]] = vectorizer.build_analyzer()
        self._by_word = vectorizer.analyzer == "char_wb"
        self._preprocess: Callable[[str], str] = vectorizer.build_preprocessor()
        self._tokenize: Callable[[str], list[str]] = vectorizer.build_tokenizer()
        self._word_features: dict[str, bytes] = {}
        # build_tokenizer's own pattern, when nothing else (a preprocessor, accent stripping,
        # a tokenizer of one's own) stands between a text and its tokens.
        default = (
            vectorizer.preprocessor is None
            and vectorizer.strip_accents is None
            and vectorizer.tokenizer is None
            and vectorizer.input == "content"
        )
        self._token_pattern: Callable[[str], list[str]] | None = self._tokenize if default else None
        low, high = vectorizer.ngram_range
        self._unigrams = low == 1
        # "{} {}" for bigrams: the words as they are, joined by one space (as sklearn's).
        self._joins = [(n, " ".join(["{}"] * n)) for n in range(max(low, 2), high + 1)]
        # Each n-gram entry (n ≥ 2) of the vocabulary by its tokens: "a b" as ("a", "b").
        self._ngrams: dict[tuple[str, ...], int] = (
            {}
            if self._by_word
            else {
                tuple(term.split(" ")): index
                for term, index in self._vocabulary.items()
                if " " in term
            }
        )
        self._coded = None if self._by_word else _CodedNgrams.of(self._vocabulary, low, high)

    @staticmethod
    def supports(vectorizer: object) -> bool:
        """Only the settings this class reproduces exactly; anything else keeps sklearn's path."""
        return (
            isinstance(vectorizer, TfidfVectorizer)
            and vectorizer.analyzer in ("word", "char_wb")
            and vectorizer.input == "content"
            and vectorizer.get_stop_words() is None
            and hasattr(vectorizer, "vocabulary_")
        )

    def _features_of_word(self, word: str) -> bytes:
        """Vocabulary indices of one word's character n-grams, with repeats, as the bytes of
        an `_INDEX` array. `char_wb` n-grams never cross a space, so a text's are the
        concatenation of its words': joined as bytes, they reach numpy without a Python
        integer each."""
        cached = self._word_features.get(word)
        if cached is None:
            vocabulary = self._vocabulary
            found = [vocabulary[g] for g in self._analyze(word) if g in vocabulary]
            cached = np.array(found, dtype=_INDEX).tobytes()
            if len(self._word_features) < MAX_CACHED_WORDS:
                self._word_features[word] = cached
        return cached

    def _char_features(self, text: str) -> bytes:
        """`_features_of_word` of each of the text's words, joined."""
        # The analyzer splits on whitespace the same way (runs of it collapse).
        return b"".join(map(self._features_of_word, self._vectorizer.decode(text).split()))

    def _word_features_of(self, text: str) -> list[int]:
        """Vocabulary indices of the text's word n-grams (without stop words), with repeats,
        in no particular order. Each n's n-grams come from shifted copies of the tokens,
        not from slicing in a loop; an n-gram (n ≥ 2) is looked up as the tuple of its
        tokens, which is the vocabulary's entry split at its spaces whenever no token holds a
        space (else the tokens are joined by spaces, as scikit-learn joins them)."""
        tokens = self._tokens(text)
        known = self._vocabulary.get
        found = list(map(known, tokens)) if self._unigrams else []
        if " " in "".join(tokens):
            for n, template in self._joins:
                found += map(known, map(template.format, *(tokens[i:] for i in range(n))))
        else:
            known_ngram = self._ngrams.get
            for n, _ in self._joins:
                # The shifted copies are shorter on purpose: zip stops at the last n-gram.
                found += map(known_ngram, zip(*(tokens[i:] for i in range(n)), strict=False))
        return [i for i in found if i is not None]

    def _tokens(self, text: str) -> list[str]:
        """The vectorizer's tokens of `text`: with its default preprocessing and tokenizer,
        the token pattern's matches in the (lowercased) text, without the three calls."""
        if self._token_pattern is not None and isinstance(text, str):
            return self._token_pattern(text.lower() if self._vectorizer.lowercase else text)
        return self._tokenize(self._preprocess(self._vectorizer.decode(text)))

    def _occurrences(self, texts: Sequence[str]) -> tuple[Any, list[int]]:
        """Every text's vocabulary indices, one after another (an `_INDEX` array), and how
        many each text has."""
        if self._by_word:
            rows = [self._char_features(text) for text in texts]
            size = np.dtype(_INDEX).itemsize
            joined = np.frombuffer(b"".join(rows), dtype=_INDEX)
            return joined, [len(row) // size for row in rows]
        if self._coded is not None:
            tokens = [self._tokens(text) for text in texts]
            flat = list(chain.from_iterable(tokens))
            # A token with a space is joined, not split, by sklearn: the per-text path then.
            if " " not in "".join(flat):
                return self._coded.occurrences(flat, list(map(len, tokens)))
        features: list[int] = []
        counts = []
        for text in texts:
            found = self._word_features_of(text)
            features.extend(found)
            counts.append(len(found))
        return np.asarray(features, dtype=_INDEX), counts

    def transform(self, texts: Sequence[str]) -> Any:
        features, per_text = self._occurrences(texts)
        indptr = np.zeros(len(texts) + 1, dtype=_INDEX)
        np.cumsum(per_text, out=indptr[1:])
        # Each occurrence as a 1 in its row; summing duplicates counts them and sorts each
        # row's indices, which gives the matrix CountVectorizer builds, then weighted by the
        # vectorizer's own TF-IDF transformer.
        counts = sp.csr_array(
            (np.ones(len(features), dtype=np.intc), features, indptr),
            shape=(len(texts), len(self._vocabulary)),
            dtype=self._vectorizer.dtype,
        )
        # Through CSC and back: scipy's conversions (counting sorts, linear) leave each row's
        # entries in column order, duplicates side by side, so summing them sorts nothing.
        counts = counts.tocsc().tocsr()
        counts.sum_duplicates()
        if self._vectorizer.binary:
            counts.data.fill(1)
        return self._vectorizer._tfidf.transform(counts, copy=False)


class _CodedNgrams:
    """A word vocabulary's n-grams as integers, so that a batch's are looked up by numpy
    rather than one tuple at a time: each token of the vocabulary gets a code (every other
    token one code more than the largest), and an n-gram is its tokens' codes read as the
    digits of one number. Its entries are then found by binary search among the
    vocabulary's own n-gram numbers."""

    def __init__(self, codes: dict[str, int], unigrams: Any, numbers: list[tuple[int, Any, Any]]):
        self._codes = codes
        self._unknown = len(codes)
        self._unigrams = unigrams  # vocabulary index per code, -1 when not a unigram entry
        self._numbers = numbers  # (n, sorted n-gram numbers, their vocabulary indices)

    @classmethod
    def of(cls, vocabulary: dict[str, int], low: int, high: int) -> _CodedNgrams | None:
        """None when the numbers would not fit in 63 bits (a vast vocabulary, long n-grams)."""
        terms = [(term.split(" "), index) for term, index in vocabulary.items()]
        codes: dict[str, int] = {}
        for words, _ in terms:
            for word in words:
                codes.setdefault(word, len(codes))
        base = len(codes) + 1
        if base**high >= 2**63:
            return None
        unigrams = np.full(base, -1, dtype=np.int64)
        by_length: dict[int, tuple[list[int], list[int]]] = {}
        for words, index in terms:
            if len(words) == 1:
                unigrams[codes[words[0]]] = index
                continue
            number = 0
            for word in words:
                number = number * base + codes[word]
            numbers, indices = by_length.setdefault(len(words), ([], []))
            numbers.append(number)
            indices.append(index)
        coded = []
        for n in range(max(low, 2), high + 1):
            keys, at = (np.asarray(a, dtype=np.int64) for a in by_length.get(n, ([], [])))
            order = np.argsort(keys, kind="stable")
            coded.append((n, keys[order], at[order]))
        return cls(codes, unigrams if low == 1 else None, coded)

    def occurrences(self, tokens: list[str], per_text: list[int]) -> tuple[Any, list[int]]:
        """As `CachedTfidf._occurrences`: the vocabulary indices of the texts' n-grams, text
        after text (the order within a text differs, which the counting ignores), and how
        many each text has. `tokens` are all the texts' tokens, one text after another."""
        code = self._codes.get
        codes = np.fromiter(
            map(code, tokens, repeat(self._unknown)), dtype=np.int64, count=len(tokens)
        )
        text_of = np.repeat(np.arange(len(per_text)), per_text)
        base = self._unknown + 1
        rows, found = [], []
        if self._unigrams is not None:
            indices = self._unigrams[codes]
            known = indices >= 0
            rows.append(text_of[known])
            found.append(indices[known])
        for n, numbers, vocabulary_indices in self._numbers:
            starts = len(codes) - n + 1
            if starts <= 0 or not len(numbers):
                continue
            number = codes[:starts].copy()
            for k in range(1, n):
                number *= base
                number += codes[k : k + starts]
            at = np.minimum(np.searchsorted(numbers, number), len(numbers) - 1)
            # An n-gram counts when it is an entry and its n tokens are of one text.
            known = (numbers[at] == number) & (text_of[:starts] == text_of[n - 1 :])
            rows.append(text_of[:starts][known])
            found.append(vocabulary_indices[at[known]])
        if not rows:
            return np.zeros(0, dtype=_INDEX), [0] * len(per_text)
        row = np.concatenate(rows)
        order = np.argsort(row, kind="stable")
        features = np.concatenate(found)[order].astype(_INDEX)
        return features, np.bincount(row, minlength=len(per_text)).tolist()


def _features_then_classifier(pipeline: object) -> tuple[Any, Any] | None:
    """A fitted pipeline's two steps, features then classifier; None for any other shape."""
    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) != 2:
        return None
    features, classifier = (step for _, step in pipeline.steps)
    return features, classifier


class CachedTextPipeline:
    """`pipeline.predict_proba(texts)` for a fitted pipeline of TF-IDF features (one
    vectorizer or a union of them) then a classifier, with the features from CachedTfidf."""

    def __init__(self, vectorizers: list[CachedTfidf], classifier: Any) -> None:
        self._vectorizers = vectorizers
        self._classifier = classifier

    @classmethod
    def of(cls, pipeline: object) -> CachedTextPipeline | None:
        """None when the pipeline has another shape: callers then use it as it is."""
        steps = _features_then_classifier(pipeline)
        if steps is None:
            return None
        features, classifier = steps
        if isinstance(features, FeatureUnion):
            if features.transformer_weights:
                return None
            parts = [step for _, step in features.transformer_list]
        else:
            parts = [features]
        if not parts or not all(CachedTfidf.supports(part) for part in parts):
            return None
        return cls([CachedTfidf(part) for part in parts], classifier)

    def predict_proba(self, texts: Sequence[str]) -> Any:
        blocks = [vectorizer.transform(texts) for vectorizer in self._vectorizers]
        # FeatureUnion joins its parts' matrices this way.
        features = blocks[0] if len(blocks) == 1 else sp.hstack(blocks).tocsr()
        return self._classifier.predict_proba(features)


class CachedDictPipeline:
    """`pipeline.predict_proba(rows)` for a fitted pipeline of a DictVectorizer then a
    classifier (the second stage's actor features), with the matrix built directly: the
    vectorizer asks each value its type, several times, in Python. The same matrix, entry for
    entry, when every value is a float; any other row goes through the pipeline itself."""

    def __init__(self, pipeline: Any, vectorizer: DictVectorizer, classifier: Any) -> None:
        self._pipeline = pipeline
        self._vocabulary: dict[str, int] = vectorizer.vocabulary_
        self._dtype = vectorizer.dtype
        self._classifier = classifier

    @classmethod
    def of(cls, pipeline: object) -> CachedDictPipeline | None:
        """None when the pipeline has another shape: callers then use it as it is."""
        steps = _features_then_classifier(pipeline)
        if steps is None:
            return None
        vectorizer, classifier = steps
        if not (
            isinstance(vectorizer, DictVectorizer)
            and vectorizer.sparse
            and hasattr(vectorizer, "vocabulary_")
        ):
            return None
        return cls(pipeline, vectorizer, classifier)

    def predict_proba(self, rows: Sequence[dict[str, float]]) -> Any:
        vocabulary = self._vocabulary
        indices: list[int] = []
        values: list[float] = []
        indptr = [0]
        for row in rows:
            for name, value in row.items():
                # A string or a list is a feature of its own in DictVectorizer; only plain
                # floats are read here.
                if type(value) is not float:
                    return self._pipeline.predict_proba(rows)
                index = vocabulary.get(name)
                if index is not None:
                    indices.append(index)
                    values.append(value)
            indptr.append(len(indices))
        matrix = sp.csr_array(
            (values, np.asarray(indices, dtype=np.intc), indptr),
            shape=(len(rows), len(vocabulary)),
            dtype=self._dtype,
        )
        matrix.sort_indices()  # as DictVectorizer leaves it
        return self._classifier.predict_proba(matrix)
