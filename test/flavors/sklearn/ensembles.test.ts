/** VotingClassifier/Regressor and StackingClassifier/Regressor against the real scikit-learn. */
import { describeFamily } from './generated-more.js';
import { GENERATED_WILD, NO_GENERATED_WILD } from './generated-wild.js';

describeFamily('Voting and Stacking', ['ensembles'], GENERATED_WILD, NO_GENERATED_WILD);
