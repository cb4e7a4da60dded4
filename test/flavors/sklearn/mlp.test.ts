/** MLPClassifier (multiclass, binary, multilabel) and MLPRegressor against the real scikit-learn. */
import { describeFamily } from './generated-more.js';
import { GENERATED_WILD, NO_GENERATED_WILD } from './generated-wild.js';

describeFamily('MLPs', ['mlp'], GENERATED_WILD, NO_GENERATED_WILD);
