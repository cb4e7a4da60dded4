/** AdaBoostClassifier and AdaBoostRegressor against the real scikit-learn. */
import { describeFamily } from './generated-more.js';
import { GENERATED_WILD, NO_GENERATED_WILD } from './generated-wild.js';

describeFamily('AdaBoost', ['adaboost'], GENERATED_WILD, NO_GENERATED_WILD);
