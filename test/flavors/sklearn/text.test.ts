/**
 * CountVectorizer, TfidfVectorizer and TfidfTransformer in text pipelines (word, char and
 * char_wb analyzers, n-grams, stop words, accents, custom token patterns, norms, idf), with
 * MultinomialNB, ComplementNB and BernoulliNB, against the real scikit-learn.
 */
import { describeFamily } from './generated-more.js';
import { GENERATED_WILD, NO_GENERATED_WILD } from './generated-wild.js';

describeFamily('text pipelines', ['text'], GENERATED_WILD, NO_GENERATED_WILD);
